//! Write the rendered site to a folder, for cron and static servers.
//!
//! Every file is written atomically (a temporary file in the same folder, fsync, rename), and
//! only when its bytes changed: a no-change rebuild touches nothing, so a static server's ETag
//! and Last-Modified stay put. Files a previous build wrote that are no longer part of the site
//! (a deleted article's page) are removed; the list of what feedpub wrote is kept in a manifest,
//! so nothing else in the folder is ever touched.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::atomic::{Batch, remove_stale_temporaries, write_atomic};
use super::manifest;
use crate::config::Compression;
use crate::publish::compress::{self, Effort};
use crate::render::Output;

pub use super::manifest::MANIFEST;

/// Held (an exclusive file lock) while a build writes the folder: two overlapping cron runs
/// take turns instead of interleaving, and temporary files left by a killed build can be
/// removed safely.
pub const LOCK: &str = ".feedpub-lock";

/// A write to the output folder failed; names the file.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// An I/O error on a file or folder.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Outputs planned (compared with the old files, compressed) at once.
const PLAN_CHUNK: usize = 256;

/// What a build did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BuildReport {
    /// Files in the site (including precompressed siblings).
    pub files: usize,
    /// Files written because they were new or changed.
    pub written: usize,
    /// Bytes written.
    pub bytes_written: u64,
    /// Stale files removed.
    pub removed: usize,
}

/// Present while a build writes the folder (and after a killed one): the next build then
/// looks for the temporary files it left.
pub const BUILDING: &str = ".feedpub-building";

/// Where a build left a folder: written last, after every file and the manifest, so a build
/// killed part-way leaves the previous state and the next build redoes what it had not done.
pub const STATE: &str = ".feedpub-state";

/// Writes `outputs` (and their `.gz`/`.br` siblings as `compress` says) under `out_dir`, and
/// removes what earlier builds wrote that `outputs` no longer holds: a whole site at once.
pub fn write_site(out_dir: &Path, outputs: &[Output], compress: Compression) -> Result<BuildReport, PublishError> {
    let mut site = SiteWriter::open(out_dir, compress)?;
    site.write(outputs)?;
    site.finish(outputs.iter().map(|o| o.path.clone()).collect(), &|_| false, None)
}

/// A build of one output folder in progress, holding its lock: outputs are written batch by
/// batch as they are rendered (only a batch's bytes are ever held), then [`SiteWriter::finish`]
/// removes what the site no longer has.
pub struct SiteWriter {
    out_dir: PathBuf,
    compress: Compression,
    _lock: std::fs::File,
    report: BuildReport,
    touched_dirs: BTreeSet<PathBuf>,
}

impl SiteWriter {
    /// Creates `out_dir` if needed, takes its lock (waiting for another build) and removes the
    /// temporary files a killed build left.
    pub fn open(out_dir: &Path, compress: Compression) -> Result<Self, PublishError> {
        std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
        let lock_path = out_dir.join(LOCK);
        // Opened, never truncated: a no-change build must not touch even this file's mtime.
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        // Temporary files exist only where a build was killed, and a killed build leaves its
        // marker: walking a 300,000-file folder for them every build would cost more than an
        // incremental build itself.
        let marker = out_dir.join(BUILDING);
        if marker.exists() {
            remove_stale_temporaries(out_dir).map_err(io(out_dir))?;
        } else {
            std::fs::File::create(&marker).map_err(io(&marker))?;
        }
        Ok(Self {
            out_dir: out_dir.to_owned(),
            compress,
            _lock: lock,
            report: BuildReport::default(),
            touched_dirs: BTreeSet::new(),
        })
    }

    /// Removes the recorded state (durably) before a build that does not continue from it.
    pub fn forget_state(&mut self) -> Result<(), PublishError> {
        let path = self.out_dir.join(STATE);
        match std::fs::remove_file(&path) {
            Ok(()) => std::fs::File::open(&self.out_dir).and_then(|d| d.sync_all()).map_err(io(&self.out_dir)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(PublishError::Io { path, source: e }),
        }
    }

    /// The state the last completed build recorded (see [`SiteWriter::finish`]).
    pub fn state(&self) -> Option<String> {
        std::fs::read_to_string(self.out_dir.join(STATE)).ok()
    }

    /// Writes the outputs whose bytes differ from the files on disk, with their siblings.
    /// Reading old files and compressing is the expensive part and is independent per file,
    /// so it runs on every core, a chunk at a time.
    pub fn write(&mut self, outputs: &[Output]) -> Result<(), PublishError> {
        let (out_dir, compress) = (self.out_dir.as_path(), self.compress);
        // Reverse order: article pages land before the feeds and pages that link to them.
        for chunk in outputs.rchunks(PLAN_CHUNK) {
            let plans: Vec<_> = chunk.par_iter().map(|o| plan(out_dir, o, compress)).collect();
            let mut batch = Batch::default();
            for (rel, bytes) in plans.iter().rev().flatten() {
                let path = out_dir.join(rel);
                batch.stage(&path, bytes)?;
                self.touched_dirs.insert(path.parent().unwrap_or(out_dir).to_owned());
                self.report.written += 1;
                self.report.bytes_written += bytes.len() as u64;
            }
            batch.commit(out_dir)?;
        }
        Ok(())
    }

    /// Completes the build. The site now has the primary files in `site` (with their
    /// siblings) and the files of the last manifest that `keep` selects (the parts of the site
    /// this build did not look at); files earlier builds wrote that it no longer has are
    /// removed, the manifest is rewritten if it changed, and `state` is recorded last (none: an
    /// earlier state is removed, so the next build trusts nothing of it).
    pub fn finish(
        mut self,
        site: BTreeSet<String>,
        keep: &dyn Fn(&str) -> bool,
        state: Option<&str>,
    ) -> Result<BuildReport, PublishError> {
        let out_dir = self.out_dir.clone();
        let mut new: Vec<String> = site
            .into_iter()
            .flat_map(|p| {
                let (gz, br) = sibling_names(&p, self.compress);
                [gz, br, Some(p)].into_iter().flatten()
            })
            .collect();
        new.sort_unstable();
        new.dedup();
        let (mut removed, mut dirs) = (0, BTreeSet::new());
        let merged = manifest::rewrite(&out_dir, &new, keep, &mut |stale| {
            let path = out_dir.join(stale);
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    // One file that cannot go must not stop every build: it stays listed, and
                    // the next build tries again.
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove a file the site no longer has");
                    return false;
                }
            }
            // Removals are durable once their folders (and those of emptied folders) are synced.
            dirs.extend(path.ancestors().skip(1).take_while(|d| d.starts_with(&out_dir)).map(Path::to_owned));
            remove_empty_parents(&path, &out_dir);
            true
        })
        .map_err(io(&out_dir.join(MANIFEST)))?;
        self.report.files = merged.files;
        self.report.removed += removed;
        if merged.changed {
            self.touched_dirs.insert(out_dir.clone());
        }
        self.touched_dirs.extend(dirs.into_iter().filter(|d| d.is_dir()));
        // Renames are durable once their folders are synced: every file before the state that
        // vouches for them.
        for dir in std::mem::take(&mut self.touched_dirs) {
            std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(io(&dir))?;
        }
        self.replace_if_changed(STATE, state.map(str::as_bytes))?;
        std::fs::remove_file(out_dir.join(BUILDING)).map_err(io(&out_dir.join(BUILDING)))?;
        std::fs::File::open(&out_dir).and_then(|d| d.sync_all()).map_err(io(&out_dir))?;
        Ok(self.report)
    }

    /// Makes the file `name` in the folder hold `bytes` (none: not exist), touching it only
    /// when it differs.
    fn replace_if_changed(&mut self, name: &str, bytes: Option<&[u8]>) -> Result<(), PublishError> {
        let path = self.out_dir.join(name);
        let old = std::fs::read(&path).ok();
        if old.as_deref() == bytes {
            return Ok(());
        }
        match bytes {
            Some(bytes) => write_atomic(&path, bytes)?,
            None => std::fs::remove_file(&path).map_err(io(&path))?,
        }
        self.touched_dirs.insert(self.out_dir.clone());
        Ok(())
    }
}

/// An I/O error on `path`.
fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + use<> {
    let path = path.to_owned();
    move |source| PublishError::Io { path, source }
}

/// The files to write for one output, siblings first.
///
/// Siblings are derived from the primary file and always written before it, so an unchanged
/// primary with its siblings present means the siblings are current too: a no-change rebuild
/// compresses nothing.
fn plan<'a>(out_dir: &Path, o: &'a Output, compress: Compression) -> Vec<(String, Cow<'a, [u8]>)> {
    let unchanged = |rel: &str, bytes: &[u8]| std::fs::read(out_dir.join(rel)).is_ok_and(|old| old == bytes);
    let (gz, br) = sibling_names(&o.path, compress);
    let siblings_present = [&gz, &br].into_iter().flatten().all(|rel| out_dir.join(rel).is_file());
    let primary_unchanged = unchanged(&o.path, &o.bytes);
    if primary_unchanged && siblings_present {
        return Vec::new();
    }
    let mut writes = Vec::new();
    if let Some(gz) = gz {
        writes.push((gz, Cow::Owned(compress::gzip(&o.bytes))));
    }
    if let Some(br) = br {
        writes.push((br, Cow::Owned(compress::brotli(&o.bytes, Effort::for_output(o)))));
    }
    writes.retain(|(rel, bytes)| !unchanged(rel, bytes));
    if !primary_unchanged {
        writes.push((o.path.clone(), Cow::Borrowed(&o.bytes[..])));
    }
    writes
}

/// The `.gz` and `.br` names beside `path` that `compress` asks for.
fn sibling_names(path: &str, compress: Compression) -> (Option<String>, Option<String>) {
    (compress.gzip.then(|| format!("{path}.gz")), compress.brotli.then(|| format!("{path}.br")))
}

/// How many files the site in `out_dir` has, by its manifest.
pub fn site_files(out_dir: &Path) -> usize {
    manifest::count(out_dir)
}

fn remove_empty_parents(path: &Path, root: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != root && d.starts_with(root)) {
        // Fails (and stops) at the first folder that still holds something.
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(path: &str, text: &str) -> Output {
        Output {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
            kind: crate::render::OutputKind::ItemPage,
            updated: chrono::DateTime::UNIX_EPOCH,
            ttl_minutes: 15,
            archived: Default::default(),
        }
    }

    const NONE: Compression = Compression { gzip: false, brotli: false };

    #[test]
    fn writes_only_changes_and_prunes_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("keep.txt"), "not ours").unwrap();
        let r = write_site(root, &[out("a/x.html", "1"), out("a/y.html", "2")], NONE).unwrap();
        assert_eq!((r.files, r.written, r.removed), (2, 2, 0));
        let r = write_site(root, &[out("a/x.html", "1"), out("a/y.html", "2")], NONE).unwrap();
        assert_eq!((r.written, r.removed, r.bytes_written), (0, 0, 0));
        let r = write_site(root, &[out("b/x.html", "1")], NONE).unwrap();
        assert_eq!((r.written, r.removed), (1, 2));
        assert!(!root.join("a").exists(), "emptied folder is removed");
        assert_eq!(std::fs::read_to_string(root.join("keep.txt")).unwrap(), "not ours");
        // A killed build leaves its temporaries and its marker.
        std::fs::write(root.join("b/.feedpub-killed.tmp"), "half").unwrap();
        std::fs::write(root.join(BUILDING), "").unwrap();
        write_site(root, &[out("b/x.html", "1")], NONE).unwrap();
        assert!(root.join(LOCK).is_file());
        let leftovers: Vec<_> = std::fs::read_dir(root.join("b"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn siblings_follow_the_switches() {
        let dir = tempfile::tempdir().unwrap();
        let both = Compression { gzip: true, brotli: true };
        let r = write_site(dir.path(), &[out("f.xml", "<x/>")], both).unwrap();
        assert_eq!(r.files, 3);
        assert!(dir.path().join("f.xml.gz").is_file() && dir.path().join("f.xml.br").is_file());
        write_site(dir.path(), &[out("f.xml", "<x/>")], NONE).unwrap();
        assert!(!dir.path().join("f.xml.gz").exists());
    }

    #[test]
    fn a_hostile_manifest_cannot_delete_outside() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "precious").unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir(&site).unwrap();
        std::fs::write(site.join(MANIFEST), format!("../outside.txt\n{}\n", outside.display())).unwrap();
        write_site(&site, &[out("i.html", "x")], NONE).unwrap();
        assert!(outside.exists());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_site(dir.path(), &[out("f.xml", "x")], NONE).unwrap();
        let mode = std::fs::metadata(dir.path().join("f.xml")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}
