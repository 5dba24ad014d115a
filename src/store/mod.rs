//! STORE: where items live between runs.
//!
//! One interface, [`Store`], chosen by the database URL in [`open`]: SQLite (the embedded
//! default) or PostgreSQL (the shared store of many replicas). Both run the same SQL
//! ([`sql`]): the decision of what a sync changes ([`decide`]) and every query are written
//! once, so every backend gives the same `updated` times, the same order, and therefore the same
//! rendered bytes.

mod follow;
mod local;
mod postgres;
mod sql;
mod sql_history;
mod sql_local;
mod sql_store;
mod sql_subscriber;
mod sql_upstream;
mod sql_websub;
mod sqlite;
mod upstream;

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use crate::config::DatabaseUrl;
use crate::model::{Article, Item, ItemId, Slug, UpstreamSource};

pub use crate::model::UpstreamArticle;
pub use follow::{Follower, follow};
pub use local::{FeedChange, FeedDates, FileRecord, Head, LocalDelta, LocalSync, Recorded, Seq};
pub use sql::{DbError, Engine};
pub use sql_local::CHANGES_CHANNEL;
pub use sql_store::SqlStore;
pub use sql_subscriber::{UpstreamState, UpstreamSubscription};
pub use sql_websub::{Claim as DistributionClaim, HubSecret, Owed, Subscription};
pub use upstream::{Backfill, Claim, KnownItem, PollReport, Polled, SourceState};

/// Store failures; each names the database (a file, or a URL without its password) or the row
/// it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, created or reached.
    #[error("cannot open store {store}: {message}")]
    Open {
        /// The database.
        store: String,
        /// The cause.
        message: String,
    },
    /// A query failed.
    #[error("store {store}: {source}")]
    Query {
        /// The database.
        store: String,
        /// The cause.
        source: DbError,
    },
    /// The database was migrated by a newer feedpub.
    #[error("store {store} has schema version {found}, newer than this feedpub knows ({known}); upgrade feedpub")]
    TooNew {
        /// The database.
        store: String,
        /// Its version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A stored row cannot be read back.
    #[error("store {store}: item {feed}/{id} is unreadable: {message}")]
    Corrupt {
        /// The database.
        store: String,
        /// Feed slug.
        feed: String,
        /// Item id.
        id: String,
        /// What failed.
        message: String,
    },
}

impl StoreError {
    /// Whether the database could not be reached (rather than refused what was asked): worth
    /// trying again later, unchanged.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Open { .. } => true,
            Self::Query { source, .. } => source.is_disconnect(),
            Self::TooNew { .. } | Self::Corrupt { .. } => false,
        }
    }
}

/// What a sync did, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    /// Articles seen for the first time.
    pub added: usize,
    /// Articles whose content changed.
    pub changed: usize,
    /// Articles that no longer exist.
    pub removed: usize,
    /// Articles as they were.
    pub unchanged: usize,
    /// Upstream items removed with their source, which `feed.toml` no longer lists.
    pub unlisted: usize,
}

/// The storage interface every backend implements.
pub trait Store: Send {
    /// Begins a sync of local articles (one transaction; see [`LocalSync`]). `now` is when
    /// it runs; it only becomes an item's `updated` time when that item's content changed.
    fn begin_local_sync(&mut self, now: DateTime<Utc>) -> Result<Box<dyn LocalSync + '_>, StoreError>;

    /// Makes the stored local articles equal to `feeds` (every feed there is), in one
    /// transaction: new articles are added, changed ones updated, vanished ones and the items of
    /// vanished feeds removed. The whole-archive form of [`Store::begin_local_sync`], for
    /// callers that hold every article (each is recorded as a file named by its id).
    fn sync_local(&mut self, feeds: &[(&Slug, &[Article])], now: DateTime<Utc>) -> Result<SyncReport, StoreError> {
        let mut sync = self.begin_local_sync(now)?;
        for (feed, articles) in feeds {
            let recorded = sync.recorded(feed)?;
            let files: Vec<(String, FileRecord)> = articles
                .iter()
                .map(|a| (a.id.to_string(), FileRecord { stamp: String::new(), hash: String::new(), id: a.id.clone() }))
                .collect();
            let gone: Vec<String> =
                recorded.files.into_keys().filter(|name| !files.iter().any(|(n, _)| n == name)).collect();
            let def_hash = recorded.def_hash.unwrap_or_default();
            sync.apply(LocalDelta {
                feed,
                def_hash: &def_hash,
                definition: "",
                files: &files,
                articles,
                gone: &gone,
                unchanged: 0,
            })?;
        }
        sync.commit(&feeds.iter().map(|(f, _)| *f).collect::<Vec<_>>())
    }

    /// Which store this is and the number of its last change.
    fn head(&self) -> Result<Head, StoreError>;

    /// Every feed the store holds, by slug, with the number of its last change.
    fn feed_changes(&self) -> Result<BTreeMap<Slug, FeedChange>, StoreError>;

    /// The ids of a feed's items, sorted; with `changed_after`, only those changed after it.
    fn item_ids(&self, feed: &Slug, changed_after: Option<Seq>) -> Result<Vec<ItemId>, StoreError>;

    /// The dates a feed's line on the index shows, without reading its items.
    fn feed_dates(&self, feed: &Slug, limit: usize) -> Result<FeedDates, StoreError>;

    /// A feed's dates (every item's `published`, newest first) and the items `pick` chooses
    /// from them (a range of that order), read in one snapshot: an archive page planned from
    /// the dates holds exactly the items the plan says, whatever a poll commits meanwhile.
    fn history(
        &self,
        feed: &Slug,
        pick: &mut dyn FnMut(&[DateTime<Utc>]) -> std::ops::Range<usize>,
    ) -> Result<(FeedDates, Vec<Item>), StoreError>;

    /// One item.
    fn item(&self, feed: &Slug, id: &ItemId) -> Result<Option<Item>, StoreError>;

    /// A feed's items, newest first (ties broken by id, so the order is stable); the newest
    /// `limit` of them, or all.
    fn items(&self, feed: &Slug, limit: Option<usize>) -> Result<Vec<Item>, StoreError>;

    /// Makes a batch of writes cheap to read back and durable in the main file, after the
    /// batch rather than inside it (SQLite's WAL checkpoint; a no-op where there is none).
    fn checkpoint(&mut self) -> Result<(), StoreError>;

    /// Checks that the store still answers (for readiness probes).
    fn ping(&self) -> Result<(), StoreError>;

    /// The poll state of `source` in `feed`; `None` before its first poll.
    fn source_state(&self, feed: &Slug, source: &url::Url) -> Result<Option<SourceState>, StoreError>;

    /// The poll state of every source of `feed` polled so far, by configured URL: what a
    /// round plans from, in one query.
    fn source_states(&self, feed: &Slug) -> Result<std::collections::HashMap<url::Url, SourceState>, StoreError>;

    /// Stores what one poll of `source` brought and its new state, in one transaction. An item
    /// already stored under its id is updated when its content changed; an item without a
    /// date, or dated more than a day ahead of `now` (for as long as it repeats that claim), is
    /// published at the time it was first seen. The source then keeps its newest `keep` items by
    /// first-seen order, and every item of this poll; older ones are removed.
    fn record_poll(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        state: &SourceState,
        items: &[UpstreamArticle],
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PollReport, StoreError> {
        self.record(feed, source, state, Polled { items, unchanged: &[] }, keep, now)
    }

    /// [`Store::record_poll`], with the items the poll left unread because they are stored as
    /// they are (they count as this poll's, for `keep`).
    fn record(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        state: &SourceState,
        polled: Polled<'_>,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PollReport, StoreError>;

    /// Stores the items of one page of `source`'s history (its `backfill` walk) and `next`, how
    /// far the walk has come, in one transaction. The items rank below every item the source
    /// has (first seen just before the earliest), so `keep` drops them first; once the source
    /// holds `keep` items the walk is [`Backfill::Done`], which is returned with the report.
    fn record_backfill(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        polled: Polled<'_>,
        keep: usize,
        next: &Backfill,
        now: DateTime<Utc>,
    ) -> Result<(PollReport, Backfill), StoreError>;

    /// The items of `source` in `feed` stored with the hash of their raw text, by that hash:
    /// what a poll need not read again.
    fn raw_hashes(
        &self,
        feed: &Slug,
        source: &url::Url,
    ) -> Result<std::collections::HashMap<String, KnownItem>, StoreError>;

    /// Claims `source` of `feed` for one poll: takes its lease until `until` when it is due at
    /// `now` (due or not, with `force`) and no other replica holds it. The lease is released by
    /// [`Store::record_poll`], or runs out if this process dies first.
    fn claim(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, StoreError>;

    /// The time by the store's clock (PostgreSQL's, shared by every replica), in whole seconds:
    /// what a poll claims leases and schedules sources by.
    fn clock(&self) -> Result<DateTime<Utc>, StoreError>;

    /// Every feed's definition (its `feed.toml`) as last synced, by slug: what a replica
    /// without `feeds/` renders and polls from.
    fn definitions(&self) -> Result<Vec<(Slug, String)>, StoreError>;

    /// Removes the items and poll state of every upstream source that the feeds in `listed` no
    /// longer name (a `[[source]]` taken out of `feed.toml`). Returns how many items left.
    fn drop_unlisted_sources(&mut self, listed: &[(&Slug, &[UpstreamSource])]) -> Result<usize, StoreError>;
}

/// Opens (creating and migrating if needed) the store `url` names.
pub fn open(url: &DatabaseUrl) -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(open_sql(url)?))
}

/// [`open`], as the concrete store (tests and diagnostics: [`SqlStore::schema_version`]).
pub fn open_sql(url: &DatabaseUrl) -> Result<SqlStore, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => sqlite::open(path),
        DatabaseUrl::Postgres(url) => postgres::open(url),
    }
}

/// What the store already holds for an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    /// [`fingerprint`] of the stored version.
    pub hash: String,
    /// When the store first saw the stored content (`None`: the original content).
    pub content_seen_at: Option<DateTime<Utc>>,
}

/// What a sync must do with one article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Not stored yet: its `updated` is its publication time until its content changes.
    Insert,
    /// Stored with other content: remember when this content was first seen.
    Update {
        /// The new `content_seen_at`.
        content_seen_at: DateTime<Utc>,
    },
    /// Stored as is.
    Unchanged,
}

/// The backend-independent sync rule.
pub(crate) fn decide(stored: Option<&Stored>, article: &Article, hash: &str, now: DateTime<Utc>) -> Change {
    match stored {
        None => Change::Insert,
        Some(s) if s.hash == hash => Change::Unchanged,
        // Never before publication: an item updated before it was published confuses readers.
        Some(_) => Change::Update { content_seen_at: now.max(article.published) },
    }
}

/// The stored form of an article's content.
pub(crate) fn content_json(article: &Article) -> String {
    serde_json::to_string(&article.content).expect("content serialises")
}

/// A digest of everything rendered about an article, to notice a change.
#[cfg(test)]
pub(crate) fn fingerprint(article: &Article) -> String {
    fingerprint_json(&content_json(article), article)
}

/// A digest of everything rendered about an article, to notice a change, from its content
/// already serialised (the same JSON is stored: serialise once).
pub(crate) fn fingerprint_json(content_json: &str, article: &Article) -> String {
    let mut h = Sha256::new();
    h.update(content_json);
    h.update(timestamp(article.published));
    if let Some(u) = article.updated {
        h.update(timestamp(u));
    }
    crate::model::digest::hex(&h.finalize())
}

/// The one text form of a time in every backend: RFC 3339, UTC, seconds (sorts as text).
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `now + d`, for a stored time: past the year 9999 (which [`timestamp`] could not write at a
/// fixed width, so text order would no longer be time order) it is the last second of 9999.
pub(crate) fn later(now: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    let end = DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z").expect("a valid time").with_timezone(&Utc);
    chrono::Duration::from_std(d).ok().and_then(|d| now.checked_add_signed(d)).map_or(end, |t| t.min(end))
}

/// The inverse of [`timestamp`].
pub(crate) fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Content, ItemId};

    fn article(body: &str) -> Article {
        Article {
            id: ItemId::new("a").unwrap(),
            content: Content::new("t", "s", body),
            published: parse_timestamp("2023-11-16T00:00:00Z").unwrap(),
            updated: None,
        }
    }

    #[test]
    fn decisions() {
        let now = parse_timestamp("2024-01-01T00:00:00Z").unwrap();
        let a = article("<p>x</p>");
        let h = fingerprint(&a);
        assert_eq!(decide(None, &a, &h, now), Change::Insert);
        let stored = Stored { hash: h.clone(), content_seen_at: None };
        assert_eq!(decide(Some(&stored), &a, &h, now), Change::Unchanged);
        let b = article("<p>y</p>");
        let hb = fingerprint(&b);
        assert_ne!(h, hb);
        assert_eq!(decide(Some(&stored), &b, &hb, now), Change::Update { content_seen_at: now });
        // A clock behind the publication date never makes updated < published.
        let early = parse_timestamp("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(decide(Some(&stored), &b, &hb, early), Change::Update { content_seen_at: b.published });
    }

    #[test]
    fn an_unreachable_postgres_is_an_error_without_the_password() {
        // Port 1 on loopback: nothing listens there, and nothing leaves the machine.
        let url = DatabaseUrl::parse("postgres://u:secret@127.0.0.1:1/db?connect_timeout=2").unwrap();
        let e = open(&url).err().unwrap();
        let text = format!("{e} {e:?}");
        assert!(e.is_unavailable() && text.contains("127.0.0.1") && !text.contains("secret"), "{text}");
    }
}
