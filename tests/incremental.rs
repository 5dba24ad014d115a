//! The incremental build is a full build, only cheaper: after every step of a random sequence
//! of edits (articles added, edited within the same second and size, touched, renamed, deleted,
//! feed definitions edited, feeds added and removed, polls storing and changing items, bad
//! input refused), the folder an incremental build keeps is byte-identical to a full build of
//! the same store into an empty folder, a rebuild renders nothing, and each build writes only
//! the files whose bytes changed. And after every step, a consumer walking each feed's history
//! (RFC 5005 archive pages, JSON Feed's `next_url`, the HTML pages' `rel=next`) from its
//! subscription documents sees every stored item exactly once, newest first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

use common::walk::{Format, walk};

use chrono::{TimeZone, Utc};
use feedpub::config::Config;
use feedpub::model::{Content, ItemId, Slug};
use feedpub::pipeline::{self, Scope};
use feedpub::store::{self, SourceState, UpstreamArticle};

/// A small deterministic generator (xorshift64*): the sequence is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SOURCE: &str = "http://127.0.0.1:9/upstream.xml";

struct World {
    dir: tempfile::TempDir,
    config: Config,
    rng: Rng,
    counter: usize,
    /// Seconds past 2020 given as the mtime of what a step writes: time passes between steps,
    /// so stamps are trusted as they would be in a cron job.
    clock: u64,
}

impl World {
    fn new(seed: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let text = "base_url = \"http://127.0.0.1:8080/\"\nfeeds_dir = \"feeds\"\noutput_dir = \"public\"\n\
                    database_url = \"sqlite:store.sqlite3\"\n[compress]\ngzip = true\nbrotli = false\n";
        std::fs::write(dir.path().join("feedpub.toml"), text).unwrap();
        let config = Config::load(&dir.path().join("feedpub.toml")).unwrap();
        let mut w = World { dir, config, rng: Rng(seed), counter: 0, clock: 0 };
        for f in 0..2 {
            w.add_feed(&format!("feed-{f}"));
        }
        w
    }

    fn feeds_dir(&self) -> PathBuf {
        self.dir.path().join("feeds")
    }

    fn feeds(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.feeds_dir()).unwrap().map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    }

    fn articles(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        v.sort();
        v
    }

    fn feed_toml(title: &str, limit: usize) -> String {
        format!(
            "title = \"{title}\"\ndescription = \"d\"\nlanguage = \"ar\"\nlimit = {limit}\n\
             [[source]]\nurl = \"{SOURCE}\"\n"
        )
    }

    fn add_feed(&mut self, slug: &str) {
        let dir = self.feeds_dir().join(slug);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("feed.toml"), Self::feed_toml(&format!("عنوان {slug}"), 3)).unwrap();
        for _ in 0..3 {
            self.add_article(&dir);
        }
    }

    fn article_text(&mut self, n: usize, day: usize, word: usize) -> String {
        format!(
            "+++\ntitle = \"خبر {n}\"\ndate = 2024-{:02}-{:02}T10:00:00Z\n+++\nنص الخبر {word} رقم {n}.\n",
            // Over three months, so feeds have archive pages, and adds land in old ones too.
            1 + day % 3,
            day % 28 + 1
        )
    }

    fn add_article(&mut self, dir: &Path) {
        self.counter += 1;
        let (n, day, word) = (self.counter, self.rng.below(28), self.rng.below(10));
        let text = self.article_text(n, day, word);
        self.write(&dir.join(format!("a{n:04}.md")), text.as_bytes());
    }

    /// Writes `bytes` with the mtime of the step's clock.
    fn write(&self, path: &Path, bytes: &[u8]) {
        std::fs::write(path, bytes).unwrap();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800 + self.clock);
        std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
    }

    /// An edit within the same second as the build before it, of the same size, on a file
    /// system that keeps whole seconds: the stamp does not move, only the bytes do.
    fn racy_edit(&mut self, a: &Path) {
        let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(second);
        let set = |p: &Path| std::fs::File::options().write(true).open(p).unwrap().set_modified(t).unwrap();
        set(a);
        self.build(&self.dir.path().join("public")).unwrap();
        bump_digit(a);
        set(a);
    }

    /// One random step; returns what it did, for the failure message.
    fn step(&mut self) -> String {
        let feeds = self.feeds();
        let feed = feeds[self.rng.below(feeds.len())].clone();
        let articles = Self::articles(&feed);
        let pick = |rng: &mut Rng| articles.get(rng.below(articles.len().max(1))).cloned();
        let step = self.rng.below(12);
        self.clock += 10;
        match step {
            0 | 1 => {
                self.add_article(&feed);
                format!("add to {}", feed.display())
            }
            2 => match pick(&mut self.rng) {
                Some(a) => {
                    bump_digit(&a);
                    let bytes = std::fs::read(&a).unwrap();
                    self.write(&a, &bytes);
                    format!("edit {}", a.display())
                }
                None => "edit nothing".into(),
            },
            3 | 11 => match pick(&mut self.rng) {
                Some(a) => {
                    self.racy_edit(&a);
                    format!("racy edit {}", a.display())
                }
                None => "racy edit nothing".into(),
            },
            4 => match pick(&mut self.rng) {
                Some(a) => {
                    std::fs::remove_file(&a).unwrap();
                    format!("delete {}", a.display())
                }
                None => "delete nothing".into(),
            },
            5 => match pick(&mut self.rng) {
                Some(a) => {
                    self.counter += 1;
                    let to = feed.join(format!("r{:04}.md", self.counter));
                    std::fs::rename(&a, &to).unwrap();
                    format!("rename {} to {}", a.display(), to.display())
                }
                None => "rename nothing".into(),
            },
            6 => match pick(&mut self.rng) {
                Some(a) => {
                    let bytes = std::fs::read(&a).unwrap();
                    self.write(&a, &bytes);
                    format!("touch {}", a.display())
                }
                None => "touch nothing".into(),
            },
            7 => {
                let (title, limit) = (format!("عنوان {}", self.rng.below(3)), 2 + self.rng.below(3));
                self.write(&feed.join("feed.toml"), Self::feed_toml(&title, limit).as_bytes());
                format!("feed.toml of {}: {title}, limit {limit}", feed.display())
            }
            8 if feeds.len() > 1 && self.rng.below(2) == 0 => {
                std::fs::remove_dir_all(&feed).unwrap();
                format!("remove feed {}", feed.display())
            }
            8 => {
                self.counter += 1;
                let slug = format!("feed-n{}", self.counter);
                self.add_feed(&slug);
                format!("add feed {slug}")
            }
            _ => {
                let slug = Slug::new(feed.file_name().unwrap().to_str().unwrap()).unwrap();
                let n = self.rng.below(4);
                let word = self.rng.below(3);
                self.poll(&slug, n, word);
                format!("poll {slug}: item u{n}, version {word}")
            }
        }
    }

    /// Stores what a poll of the feed's source would: item `u{n}` in version `word`.
    fn poll(&mut self, feed: &Slug, n: usize, word: usize) {
        let mut s = store::open(&self.config.database).unwrap();
        let url = url::Url::parse(SOURCE).unwrap();
        let now = Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap();
        let item = UpstreamArticle {
            id: ItemId::new(format!("u{n}")).unwrap(),
            content: Content::new(format!("upstream {n}"), "s", format!("<p>version {word}</p>")),
            published: Some(Utc.with_ymd_and_hms(2024, 1, 1 + n as u32, 0, 0, 0).unwrap()),
            updated: None,
            raw_hash: None,
        };
        s.record_poll(feed, &url, &SourceState::new(&url, now), &[item], 1000, now).unwrap();
    }

    fn build(&self, out: &Path) -> Result<pipeline::BuildOutcome, pipeline::PipelineError> {
        pipeline::build(&self.config, out)
    }
}

/// Makes an article's last digit the next one: the same size, other bytes.
fn bump_digit(a: &Path) {
    let text = std::fs::read_to_string(a).unwrap();
    let at = text.rfind(|c: char| c.is_ascii_digit()).unwrap();
    let d = text.as_bytes()[at];
    let new = if d == b'9' { '0' } else { char::from(d + 1) };
    std::fs::write(a, format!("{}{new}{}", &text[..at], &text[at + 1..])).unwrap();
}

/// The store holds exactly what the articles on disk say (a sync that skipped a changed file
/// would leave both builds agreeing on stale content).
fn assert_store_matches_disk(w: &World, context: &str) {
    let (feeds, _) = pipeline::check(&w.config).unwrap();
    let s = store::open(&w.config.database).unwrap();
    for feed in feeds {
        let stored: BTreeMap<String, (Content, chrono::DateTime<Utc>)> = s
            .items(&feed.meta.slug, None)
            .unwrap()
            .into_iter()
            .filter(|i| !i.id.as_str().starts_with('u'))
            .map(|i| (i.id.to_string(), (i.content, i.published)))
            .collect();
        let on_disk: BTreeMap<String, (Content, chrono::DateTime<Utc>)> =
            feed.articles.into_iter().map(|a| (a.id.to_string(), (a.content, a.published))).collect();
        assert!(stored == on_disk, "{context}: the store differs from {}", feed.meta.slug);
    }
}

/// Walking each feed's history from its subscription documents, in every format, gives every
/// stored item exactly once, newest first (the store's order). Returns how many archive pages
/// the walks read.
fn assert_history_complete(w: &World, out: &Path, context: &str) -> usize {
    let s = store::open(&w.config.database).unwrap();
    let base = w.config.base_url.as_str();
    let get = |url: &str| {
        let rel = url.strip_prefix(base)?;
        let file = if rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_owned() };
        std::fs::read_to_string(out.join(file)).ok()
    };
    let mut pages = 0;
    for feed in w.feeds() {
        let slug = feed.file_name().unwrap().to_str().unwrap();
        let items = s.items(&Slug::new(slug).unwrap(), None).unwrap();
        let expected: Vec<String> = items.iter().map(|i| format!("{base}{slug}/{}.html", i.id)).collect();
        for format in Format::ALL {
            let (ids, urls) = walk(format, &format!("{base}{slug}/{}", format.file()), &get);
            assert!(ids == expected, "{context}: {slug} in {format:?}: walked {ids:#?}, stored {expected:#?}");
            pages += urls.len() - 1;
        }
    }
    pages
}

/// Every file of a folder but the state file (which names the store, not the site).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::snapshot(dir).into_iter().filter(|(k, _)| k != ".feedpub-state").map(|(k, (b, _))| (k, b)).collect()
}

fn run(seed: u64, steps: usize) {
    let mut w = World::new(seed);
    let inc = w.dir.path().join("public");
    w.build(&inc).unwrap();
    let mut log = Vec::new();
    let mut pages = 0;
    for i in 0..steps {
        log.push(w.step());
        let before = tree(&inc);
        let outcome = w.build(&inc).unwrap_or_else(|e| panic!("seed {seed}, step {i}: {e}\n{log:#?}"));
        let after = tree(&inc);
        assert_store_matches_disk(&w, &format!("seed {seed}, step {i}\n{log:#?}"));
        pages += assert_history_complete(&w, &inc, &format!("seed {seed}, step {i}\n{log:#?}"));
        let full_dir = tempfile::tempdir().unwrap();
        let full = w.build(full_dir.path()).unwrap();
        assert_eq!(full.scope, Scope::Full);
        let full_tree = tree(full_dir.path());
        let differs: Vec<_> =
            after.keys().chain(full_tree.keys()).filter(|k| after.get(*k) != full_tree.get(*k)).collect();
        assert!(differs.is_empty(), "seed {seed}, step {i}: incremental and full differ in {differs:?}\n{log:#?}");
        // Only files whose bytes changed were written (the manifest counts when it changed).
        let changed = after.iter().filter(|(k, v)| before.get(*k) != Some(v) && *k != ".feedpub-manifest").count();
        assert_eq!(outcome.report.written, changed, "seed {seed}, step {i}: {outcome:?}\n{log:#?}");
        let again = w.build(&inc).unwrap();
        assert_eq!((again.scope, again.report.written), (Scope::Nothing, 0), "seed {seed}, step {i}\n{log:#?}");
    }
    assert!(pages > steps, "seed {seed}: the walks read only {pages} archive pages");
}

#[test]
fn random_edit_sequences_build_what_a_full_build_builds() {
    for seed in [0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03, 42] {
        run(seed, 40);
    }
}

#[test]
fn bad_input_leaves_store_and_output_as_they_were() {
    let w = World::new(7);
    let out = w.dir.path().join("public");
    w.build(&out).unwrap();
    let before = tree(&out);
    let feed = w.feeds()[0].clone();
    let good = World::articles(&feed)[0].clone();
    std::fs::write(&good, "+++\ntitle = \"x\"\ndate = 2024-01-01T00:00:00Z\n+++\nedited\n").unwrap();
    std::fs::write(feed.join("bad.md"), "+++\ntitle = \"x\"\n+++\ncontrol \u{10}\n").unwrap();
    let e = w.build(&out).unwrap_err().to_string();
    assert!(e.contains("bad.md"), "{e}");
    assert_eq!(before, tree(&out), "a refused build publishes nothing");
    std::fs::remove_file(feed.join("bad.md")).unwrap();
    // The good edit was not stored by the refused build: this build stores and publishes it.
    let outcome = w.build(&out).unwrap();
    assert_eq!(outcome.sync.changed, 1, "{outcome:?}");
    let full = tempfile::tempdir().unwrap();
    w.build(full.path()).unwrap();
    assert_eq!(tree(&out), tree(full.path()));
}

#[test]
fn a_full_build_that_stops_part_way_leaves_no_state_to_trust() {
    let mut w = World::new(11);
    let out = w.dir.path().join("public");
    w.build(&out).unwrap();
    let title = w.config.title.clone();
    // Another title: a full build, which fails at the index (a folder stands where it goes),
    // as a build killed part-way would stop.
    w.config.title = "another title".into();
    let index = out.join("index.html");
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir_all(index.join("in-the-way")).unwrap();
    assert!(w.build(&out).is_err());
    std::fs::remove_dir_all(&index).unwrap();
    // The title back: the old state would match again and vouch for a folder it no longer
    // describes; it was forgotten, so this build renders everything.
    w.config.title = title;
    let again = w.build(&out).unwrap();
    assert_eq!(again.scope, Scope::Full);
    let full = tempfile::tempdir().unwrap();
    w.build(full.path()).unwrap();
    assert_eq!(tree(&out), tree(full.path()));
}

#[test]
fn a_change_renders_only_what_shows_it() {
    let mut w = World::new(5);
    let out = w.dir.path().join("public");
    w.build(&out).unwrap();
    let feed = w.feeds()[0].clone();
    let slug = Slug::new(feed.file_name().unwrap().to_str().unwrap()).unwrap();
    // A poll storing one new item: that feed's documents and that item's page.
    w.poll(&slug, 1, 0);
    let polled = w.build(&out).unwrap();
    assert_eq!(polled.scope, Scope::Changed { feeds: 1, pages: 1 }, "{polled:?}");
    // An edited article: its feed's documents and its page.
    let article = World::articles(&feed)[0].clone();
    w.clock += 10;
    bump_digit(&article);
    let bytes = std::fs::read(&article).unwrap();
    w.write(&article, &bytes);
    let edited = w.build(&out).unwrap();
    assert_eq!((edited.sync.changed, edited.scope), (1, Scope::Changed { feeds: 1, pages: 1 }), "{edited:?}");
    // A feed.toml edit: every page of that feed, no other feed.
    w.clock += 10;
    w.write(&feed.join("feed.toml"), World::feed_toml("عنوان آخر", 3).as_bytes());
    let pages = World::articles(&feed).len() + 1; // and the polled item
    let redefined = w.build(&out).unwrap();
    assert_eq!(redefined.scope, Scope::Changed { feeds: 1, pages }, "{redefined:?}");
}
