//! Source → Store: bring the store level with `feeds/`, reading only the files that moved.

use std::collections::HashSet;
use std::time::SystemTime;

use chrono::{SubsecRound as _, Utc};
use rayon::prelude::*;

use super::PipelineError;
use crate::config::{Config, DatabaseUrl};
use crate::model::{Article, FeedMeta};
use crate::source::{self, ArticleFile, ScannedFeed, SourceError, SourceErrors};
use crate::store::{FileRecord, LocalDelta, LocalSync, Recorded, Store, SyncReport};

/// Syncs the local articles under `feeds_dir` into `store` and drops the items of the
/// `[[source]]`s no feed lists any more; returns what changed and every feed's definition.
///
/// A file whose size and modification time are as recorded is not opened; one whose stamp
/// moved is read and, if its bytes are as recorded, not parsed. A new `feed.toml` makes its
/// feed's articles be parsed again (they inherit from it). Every bad input anywhere is
/// reported at once and the store is left as it was.
///
/// A replica (see [`Role`]) has no `feeds/`: it syncs nothing and returns the definitions the
/// store holds.
pub fn sync(config: &Config, store: &mut dyn Store) -> Result<(SyncReport, Vec<FeedMeta>), PipelineError> {
    if Role::of(config) == Role::Replica {
        return Ok((SyncReport::default(), stored_definitions(store)?));
    }
    sync_feeds_dir(config, store)
}

/// `feedpub sync`: brings the store level with `feeds/` and renders nothing (the host that
/// holds `feeds/` for a set of replicas: they re-render from the store). Without `feeds/` it
/// is an error naming the folder, whatever the store.
pub fn sync_store(config: &Config) -> Result<SyncReport, PipelineError> {
    let mut store = crate::store::open(&config.database)?;
    Ok(sync_feeds_dir(config, store.as_mut())?.0)
}

fn sync_feeds_dir(config: &Config, store: &mut dyn Store) -> Result<(SyncReport, Vec<FeedMeta>), PipelineError> {
    let since = SystemTime::now();
    let scanned = source::scan(&config.feeds_dir)?;
    let now = Utc::now().trunc_subsecs(0);
    let (mut errors, mut untouched) = (Vec::new(), 0);
    let mut tx = store.begin_local_sync(now)?;
    for feed in &scanned {
        // One feed's files at a time: listed, compared, parsed, handed over, dropped.
        let files = match feed.files(since) {
            Ok((files, mut errs)) => {
                errors.append(&mut errs);
                files
            }
            // The folder went since the scan (a move in progress): its items stay as they are
            // until the next sync sees it gone or back.
            Err(SourceError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let recorded = tx.recorded(&feed.meta.slug)?;
        match read_feed(feed, &files, &recorded) {
            // Once input is known to be bad, nothing more is written: the sync rolls back.
            Ok(delta) if errors.is_empty() => untouched += delta.apply(feed, tx.as_mut())?,
            Ok(_) => {}
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(SourceErrors(errors).into());
    }
    let slugs: Vec<_> = scanned.iter().map(|f| &f.meta.slug).collect();
    let mut report = tx.commit(&slugs)?;
    report.unchanged += untouched;
    let metas: Vec<FeedMeta> = scanned.into_iter().map(|f| f.meta).collect();
    let listed: Vec<_> = metas.iter().map(|m| (&m.slug, m.sources.as_slice())).collect();
    report.unlisted = store.drop_unlisted_sources(&listed)?;
    if (report.added, report.changed, report.removed, report.unlisted) != (0, 0, 0, 0) {
        store.checkpoint()?;
    }
    Ok((report, metas))
}

/// What a process does with the local articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It holds `feeds/` and syncs it into the store (the only role with SQLite).
    Writer,
    /// It shares a PostgreSQL store and has no `feeds/`: it renders, serves and polls from
    /// what the writer synced.
    Replica,
}

impl Role {
    /// The role `config` gives this process: a replica is a PostgreSQL store without `feeds/`.
    /// (With SQLite, a missing `feeds/` stays the error it always was: nobody else can write
    /// that store.)
    pub fn of(config: &Config) -> Self {
        match config.database {
            DatabaseUrl::Postgres(_) if !config.feeds_dir.exists() => Self::Replica,
            _ => Self::Writer,
        }
    }
}

/// Every feed's definition as the store keeps it.
pub fn stored_definitions(store: &dyn Store) -> Result<Vec<FeedMeta>, PipelineError> {
    Ok(source::stored_definitions(store.definitions()?)?)
}

/// What one feed's sync must change.
#[derive(Default)]
struct FeedDelta {
    files: Vec<(String, FileRecord)>,
    articles: Vec<Article>,
    gone: Vec<String>,
    unchanged: usize,
    def_changed: bool,
}

impl FeedDelta {
    /// Hands the delta to the store, unless nothing changed; returns the articles it counted
    /// as unchanged without handing them over.
    fn apply(self, feed: &ScannedFeed, tx: &mut dyn LocalSync) -> Result<usize, PipelineError> {
        let untouched = self.files.is_empty() && self.gone.is_empty() && !self.def_changed;
        if untouched {
            return Ok(self.unchanged);
        }
        tx.apply(LocalDelta {
            feed: &feed.meta.slug,
            def_hash: &feed.def_hash,
            definition: &feed.definition,
            files: &self.files,
            articles: &self.articles,
            gone: &self.gone,
            unchanged: self.unchanged,
        })?;
        Ok(0)
    }
}

/// How one file compares with its record.
enum Look {
    /// Stamp as recorded: not opened.
    Same,
    /// Bytes as recorded under another stamp: recorded again, not parsed.
    Restamped(FileRecord),
    /// New or changed: parsed.
    Parsed(FileRecord, Box<Article>),
}

/// Compares a feed's files with what the store recorded, parsing (on every core) only those
/// that moved, and checks ids stay unique across parsed and untouched files.
fn read_feed(feed: &ScannedFeed, files: &[ArticleFile], recorded: &Recorded) -> Result<FeedDelta, Vec<SourceError>> {
    let def_changed = recorded.def_hash.as_deref() != Some(feed.def_hash.as_str());
    let looks: Vec<Result<Look, SourceError>> =
        files.par_iter().map(|f| look(f, recorded.files.get(&f.name), def_changed, &feed.meta)).collect();
    let mut delta = FeedDelta { def_changed, ..FeedDelta::default() };
    let (mut errors, mut ids) = (Vec::new(), Vec::with_capacity(files.len()));
    for (file, look) in files.iter().zip(looks) {
        match look {
            Ok(Look::Same) => {
                delta.unchanged += 1;
                ids.push((recorded.files[&file.name].id.clone(), file));
            }
            Ok(Look::Restamped(rec)) => {
                delta.unchanged += 1;
                ids.push((rec.id.clone(), file));
                delta.files.push((file.name.clone(), rec));
            }
            Ok(Look::Parsed(rec, article)) => {
                ids.push((rec.id.clone(), file));
                delta.files.push((file.name.clone(), rec));
                delta.articles.push(*article);
            }
            Err(e) => errors.push(e),
        }
    }
    errors.extend(source::duplicate_ids(ids.iter().map(|(id, f)| (id, f.path.as_path()))));
    let present: HashSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    delta.gone = recorded.files.keys().filter(|n| !present.contains(n.as_str())).cloned().collect();
    delta.gone.sort();
    if errors.is_empty() { Ok(delta) } else { Err(errors) }
}

fn look(file: &ArticleFile, rec: Option<&FileRecord>, def_changed: bool, meta: &FeedMeta) -> Result<Look, SourceError> {
    let stamp_same = rec.is_some_and(|r| !file.stamp.is_empty() && r.stamp == file.stamp);
    if stamp_same && !def_changed {
        return Ok(Look::Same);
    }
    let hash = file.digest()?;
    if let Some(r) = rec.filter(|r| r.hash == hash && !def_changed) {
        return Ok(Look::Restamped(FileRecord { stamp: file.stamp.clone(), hash, id: r.id.clone() }));
    }
    let article = source::import_file(file, meta)?;
    Ok(Look::Parsed(FileRecord { stamp: file.stamp.clone(), hash, id: article.id.clone() }, Box::new(article)))
}
