//! What the store knows about local articles and about change: the types of an incremental
//! sync (only the files that moved are read) and of the change sequence a build plans from.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{StoreError, SyncReport};
use crate::model::{Article, ItemId, Slug};

/// A position in the store's change sequence: every change to what the site shows takes the
/// next number.
pub type Seq = i64;

/// Which store, and how far its changes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Random and permanent per store: output rendered from another store is not trusted.
    pub store_id: String,
    /// The number of the last change.
    pub seq: Seq,
}

/// The last changes of one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChange {
    /// The feed.
    pub slug: Slug,
    /// Last change to anything its documents show (an item added, edited, removed; its definition).
    pub changed: Seq,
    /// Last change to its definition (which every page of the feed shows).
    pub meta_changed: Seq,
}

/// What the store recorded about one local article file at the last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Size and modification time of the article and its sidecar.
    pub stamp: String,
    /// Digest of the article's and the sidecar's bytes.
    pub hash: String,
    /// The item the file made.
    pub id: ItemId,
}

/// A feed's local state as last synced.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Digest of its `feed.toml`; `None` before its first sync.
    pub def_hash: Option<String>,
    /// Its article files, by file name.
    pub files: HashMap<String, FileRecord>,
}

/// One feed's changes, as a sync found them on disk.
#[derive(Debug, Clone, Copy)]
pub struct LocalDelta<'a> {
    /// The feed.
    pub feed: &'a Slug,
    /// Digest of its `feed.toml` now.
    pub def_hash: &'a str,
    /// Its `feed.toml` now (kept for replicas without `feeds/`).
    pub definition: &'a str,
    /// Files to record (read again because their stamp moved), by name.
    pub files: &'a [(String, FileRecord)],
    /// The articles of the files that were parsed again.
    pub articles: &'a [Article],
    /// Names of files that are gone.
    pub gone: &'a [String],
    /// Articles not read again because their files are as recorded.
    pub unchanged: usize,
}

/// A sync of local articles in progress: one transaction, so a sync that fails part-way (bad
/// input anywhere) leaves the store as it was. Dropped without [`LocalSync::commit`], it rolls
/// back.
pub trait LocalSync {
    /// What the store recorded for `feed`.
    fn recorded(&mut self, feed: &Slug) -> Result<Recorded, StoreError>;

    /// Applies one feed's changes: articles added or updated (by content, as [`super::Store`]
    /// decides), file records replaced, and the local items no recorded file makes removed.
    fn apply(&mut self, delta: LocalDelta<'_>) -> Result<(), StoreError>;

    /// Removes every feed not in `feeds` (with its items and poll state) and commits.
    fn commit(self: Box<Self>, feeds: &[&Slug]) -> Result<SyncReport, StoreError>;
}

/// The dates a feed's summary on the index needs, without its items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedDates {
    /// The newest `updated` among all its items.
    pub newest_updated: Option<DateTime<Utc>>,
    /// Publication times of the newest `limit` items, newest first.
    pub published: Vec<DateTime<Utc>>,
}
