//! The embedded default: one SQLite file, WAL mode, versioned migrations.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::local::{FeedChange, FeedDates, Head, LocalSync, Seq};
use super::sqlite_local::SqliteLocalSync;
use super::{PollReport, SourceState, Store, StoreError, Stored, UpstreamArticle, parse_timestamp, timestamp};
use crate::model::{Article, Content, Item, ItemId, Slug, UpstreamSource};

/// Versioned migrations, applied in order; `PRAGMA user_version` records the last one applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_items.sql"),
    include_str!("migrations/sqlite/0002_sources.sql"),
    include_str!("migrations/sqlite/0003_upstream_bounds.sql"),
    include_str!("migrations/sqlite/0004_incremental.sql"),
];

/// A store in one SQLite file.
pub struct SqliteStore {
    pub(super) conn: Connection,
    pub(super) path: String,
}

impl SqliteStore {
    /// Opens `path`, creating the file and its folder on first use, and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let name = path.display().to_string();
        let open_err = |message: String| StoreError::Open { path: name.clone(), message };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        let mut store = Self { conn, path: name.clone() };
        store.configure().map_err(|e| open_err(e.to_string()))?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        // WAL lets `serve` read while `build` or `poll` writes; the busy timeout makes writers
        // wait for each other instead of failing.
        self.conn.busy_timeout(Duration::from_secs(10))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // SQLite folds the WAL back into the database (copy + fsync) inside whichever commit
        // pushes it past the threshold: at the default 1,000 pages (4 MB) one 1,000-item poll
        // paid ~65 ms for it, more than all of its inserts. Callers checkpoint after a batch
        // instead ([`Store::checkpoint`], and on close); this bound only caps the WAL if
        // nobody does.
        self.conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        self.conn.pragma_update(None, "journal_size_limit", 64 << 20)?;
        Ok(())
    }

    pub(super) fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite { path: self.path.clone(), source }
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let path = self.path.clone();
        let err = move |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(&err)?;
        if version > known {
            return Err(StoreError::TooNew { path: self.path.clone(), found: version, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(&err)?;
            tx.pragma_update(None, "user_version", i as i64 + 1).map_err(&err)?;
        }
        tx.commit().map_err(&err)
    }

    pub(super) fn stored(tx: &rusqlite::Transaction, feed: &Slug) -> rusqlite::Result<HashMap<String, Stored>> {
        let mut stmt =
            tx.prepare("SELECT id, content_hash, content_seen_at FROM items WHERE feed = ?1 AND source IS NULL")?;
        let rows = stmt.query_map([feed.as_str()], |r| {
            let seen: Option<String> = r.get(2)?;
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, seen))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, hash, seen) = row?;
            let content_seen_at = seen.as_deref().and_then(|s| parse_timestamp(s).ok());
            out.insert(id, Stored { hash, content_seen_at });
        }
        Ok(out)
    }

    /// Writes one item, marked changed at `seq`.
    pub(super) fn write(tx: &rusqlite::Transaction, feed: &Slug, row: &ItemRow, seq: Seq) -> rusqlite::Result<()> {
        let a = row.article;
        // Cached: a poll or a sync writes thousands of rows with this one statement.
        tx.prepare_cached(
            "INSERT INTO items (feed, id, published, meta_updated, content_seen_at, content_hash, content, source,
                                first_seen, claimed_published, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (feed, id) DO UPDATE SET published = excluded.published,
               meta_updated = excluded.meta_updated, content_seen_at = excluded.content_seen_at,
               content_hash = excluded.content_hash, content = excluded.content, source = excluded.source,
               first_seen = excluded.first_seen, claimed_published = excluded.claimed_published,
               changed = excluded.changed",
        )?
        .execute(params![
            feed.as_str(),
            a.id.as_str(),
            timestamp(a.published),
            a.updated.map(timestamp),
            row.content_seen_at.map(timestamp),
            row.hash,
            row.content_json,
            row.upstream.map(|u| u.source),
            row.upstream.map(|u| timestamp(u.first_seen)),
            row.upstream.and_then(|u| u.claimed_published).map(timestamp),
            seq,
        ])?;
        Ok(())
    }
}

/// One row of `items` to write.
pub(super) struct ItemRow<'a> {
    pub article: &'a Article,
    /// [`content_json`] of the article.
    pub content_json: &'a str,
    /// [`fingerprint_json`] of the article.
    pub hash: &'a str,
    /// When the store first saw this content (`None`: the original content).
    pub content_seen_at: Option<DateTime<Utc>>,
    /// Where an upstream item came from; `None` for a local article.
    pub upstream: Option<UpstreamRow<'a>>,
}

/// What the store keeps about an upstream item besides its content.
#[derive(Clone, Copy)]
pub(super) struct UpstreamRow<'a> {
    /// The source's configured URL.
    pub source: &'a str,
    /// When the store first saw the item.
    pub first_seen: DateTime<Utc>,
    /// The date the upstream claimed, when it was too far ahead to believe.
    pub claimed_published: Option<DateTime<Utc>>,
}

impl Store for SqliteStore {
    fn begin_local_sync(&mut self, now: DateTime<Utc>) -> Result<Box<dyn LocalSync + '_>, StoreError> {
        Ok(Box::new(SqliteLocalSync::begin(self, now)?))
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.read_head()
    }

    fn feed_changes(&self) -> Result<std::collections::BTreeMap<Slug, FeedChange>, StoreError> {
        self.read_feed_changes()
    }

    fn item_ids(&self, feed: &Slug, changed_after: Option<Seq>) -> Result<Vec<ItemId>, StoreError> {
        self.read_ids(feed, changed_after)
    }

    fn feed_dates(&self, feed: &Slug, limit: usize) -> Result<FeedDates, StoreError> {
        self.read_feed_dates(feed, limit)
    }

    fn item(&self, feed: &Slug, id: &ItemId) -> Result<Option<Item>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1 AND id = ?2"))
            .map_err(self.err())?;
        let row = stmt.query_row(params![feed.as_str(), id.as_str()], raw_item).optional().map_err(self.err())?;
        row.map(|raw| self.item_from(feed, raw)).transpose()
    }

    fn checkpoint(&mut self) -> Result<(), StoreError> {
        // PASSIVE: never waits for (or blocks) `serve`'s readers; what they still use is
        // copied next time.
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).map_err(self.err())
    }

    fn ping(&self) -> Result<(), StoreError> {
        // Touches the items table, so a corrupt or unreadable database fails the probe.
        self.conn.query_row("SELECT COUNT(*) FROM items", [], |_| Ok(())).map_err(self.err())
    }

    fn source_state(&self, feed: &Slug, source: &url::Url) -> Result<Option<SourceState>, StoreError> {
        self.read_source_state(feed, source)
    }

    fn record_poll(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        state: &SourceState,
        items: &[UpstreamArticle],
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PollReport, StoreError> {
        self.write_poll(feed, source, state, items, keep, now)
    }

    fn drop_unlisted_sources(&mut self, listed: &[(&Slug, &[UpstreamSource])]) -> Result<usize, StoreError> {
        self.drop_unlisted(listed)
    }

    fn items(&self, feed: &Slug, limit: Option<usize>) -> Result<Vec<Item>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                // Item::newest_first; -1: no limit
                "SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1 ORDER BY published DESC, id LIMIT ?2"
            ))
            .map_err(self.err())?;
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = stmt.query_map(params![feed.as_str(), limit], raw_item).map_err(self.err())?;
        let mut items = Vec::new();
        for row in rows {
            items.push(self.item_from(feed, row.map_err(self.err())?)?);
        }
        Ok(items)
    }
}

/// The columns [`raw_item`] reads.
const ITEM_COLUMNS: &str = "id, published, COALESCE(meta_updated, content_seen_at, published), content";

/// An item's columns as stored: id, published, updated, content.
type RawItem = (String, String, String, String);

fn raw_item(r: &rusqlite::Row) -> rusqlite::Result<RawItem> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

impl SqliteStore {
    fn item_from(&self, feed: &Slug, (id, published, updated, content): RawItem) -> Result<Item, StoreError> {
        let corrupt = |message: String| StoreError::Corrupt {
            path: self.path.clone(),
            feed: feed.to_string(),
            id: id.clone(),
            message,
        };
        Ok(Item {
            id: ItemId::new(id.clone()).map_err(|e| corrupt(e.to_string()))?,
            content: serde_json::from_str::<Content>(&content).map_err(|e| corrupt(e.to_string()))?,
            published: parse_timestamp(&published).map_err(|e| corrupt(e.to_string()))?,
            updated: parse_timestamp(&updated).map_err(|e| corrupt(e.to_string()))?,
        })
    }
}

impl SqliteStore {
    /// The schema version (`PRAGMA user_version`), for diagnostics and tests.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .optional()
            .map_err(self.err())
            .map(|v| v.unwrap_or(0))
    }
}
