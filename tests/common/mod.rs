//! Shared fixtures: a throw-away site (config, feeds, store, output) driven through the real
//! `feedpub` binary.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

pub mod child;
pub mod pg;
pub mod server;
pub mod walk;

pub const SLUG: &str = "russia-islamic-world";
pub const SEED: &str = "000_216685895bd1f649";

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed article as shipped.
pub fn seed_text() -> String {
    std::fs::read_to_string(repo().join("feeds").join(SLUG).join(format!("{SEED}.txt"))).unwrap()
}

/// The seed's five body paragraphs (its lines minus the three trailer lines).
pub fn seed_paragraphs() -> Vec<String> {
    let text = seed_text();
    let lines: Vec<&str> = text.lines().collect();
    lines[..lines.len() - 3].iter().map(|s| s.to_string()).collect()
}

/// A site in a temporary folder, laid out like the repository, with a copy of the shipped feed.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let site = Site { dir };
        std::fs::create_dir_all(site.root().join("config")).unwrap();
        std::fs::copy(repo().join("config/feedpub.toml"), site.config()).unwrap();
        let feed = site.feed_dir();
        std::fs::create_dir_all(&feed).unwrap();
        for entry in std::fs::read_dir(repo().join("feeds").join(SLUG)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), feed.join(entry.file_name())).unwrap();
        }
        site
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.root().join("config/feedpub.toml")
    }

    pub fn feed_dir(&self) -> PathBuf {
        self.root().join("feeds").join(SLUG)
    }

    pub fn out(&self) -> PathBuf {
        self.root().join("public")
    }

    pub fn db(&self) -> PathBuf {
        self.root().join("data/feedpub.sqlite3")
    }

    /// Runs `feedpub --config <site config> ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        feedpub(&[&["--config", self.config().to_str().unwrap()], args].concat())
    }

    /// Runs `build` and insists it succeeded.
    pub fn build(&self) -> String {
        let out = self.run(&["build"]);
        assert_success(&out);
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.out().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn write_feed_file(&self, name: &str, bytes: impl AsRef<[u8]>) {
        std::fs::write(self.feed_dir().join(name), bytes).unwrap();
    }
}

/// Runs the real binary with a clean environment for feedpub's own variables.
pub fn feedpub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedpub"))
        .args(args)
        .env_remove("FEEDPUB_CONFIG")
        .env_remove("FEEDPUB_DATABASE_URL")
        .output()
        .unwrap()
}

pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "feedpub failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir` (relative path → bytes and mtime), for before/after comparisons.
pub fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
                out.insert(rel, (std::fs::read(&path).unwrap(), mtime));
            }
        }
    }
    out
}
