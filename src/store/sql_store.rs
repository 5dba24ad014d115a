//! [`SqlStore`]: the store over either backend. Every query is here (and in `sql_local`,
//! `sql_upstream`) once; a [`Conn`] runs it on SQLite or PostgreSQL.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, Utc};

use super::local::{FeedChange, FeedDates, Head, LocalSync, Seq};
use super::sql::{Conn, DbError, Engine, Row, Tx, params};
use super::sql_local::SqlLocalSync;
use super::{Backfill, Claim, PollReport, Polled, SourceState, Store, StoreError, parse_timestamp, timestamp};
use crate::model::{Article, Content, Item, ItemId, Slug, UpstreamSource};

/// A store on one connection to SQLite or PostgreSQL.
pub struct SqlStore {
    /// Reads take `&self` (see [`Store`]); one connection serves one caller at a time.
    pub(super) conn: RefCell<Box<dyn Conn>>,
    /// The database as it may be shown: a file path, or a URL without its password.
    pub(super) name: String,
    /// Who this store is when it holds a lease: unique per opened store (process and
    /// connection), so a replica never mistakes another's lease for its own.
    pub(super) holder: String,
}

impl SqlStore {
    pub(super) fn new(conn: Box<dyn Conn>, name: String) -> Self {
        let holder = format!("{}-{}", std::process::id(), crate::model::digest::random_hex());
        Self { conn: RefCell::new(conn), name, holder }
    }

    /// Maps a database error to the store's error, naming the store.
    pub(super) fn err(&self) -> impl Fn(DbError) -> StoreError + use<> {
        let store = self.name.clone();
        move |source| StoreError::Query { store: store.clone(), source }
    }

    /// Runs `f` on the connection (reads).
    pub(super) fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T, DbError>) -> Result<T, StoreError> {
        let mut conn = self.conn.borrow_mut();
        f(conn.as_mut()).map_err(self.err())
    }

    /// Runs `f` in one write transaction, committed when it returns `Ok`.
    pub(super) fn write<T>(&mut self, f: impl FnOnce(&mut dyn Conn) -> Result<T, DbError>) -> Result<T, StoreError> {
        let err = self.err();
        let mut tx = Tx::begin(self.conn.get_mut().as_mut()).map_err(&err)?;
        let out = f(&mut *tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(out)
    }

    /// The connection, for a transaction that outlives one call ([`LocalSync`]).
    pub(super) fn conn_mut(&mut self) -> &mut dyn Conn {
        self.conn.get_mut().as_mut()
    }

    /// Which engine the store runs on.
    pub fn engine(&self) -> Engine {
        self.conn.borrow().engine()
    }

    /// The schema version (the number of migrations applied), for diagnostics and tests.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            let sql = match c.engine() {
                Engine::Sqlite => "PRAGMA user_version",
                Engine::Postgres => "SELECT version FROM feedpub_schema",
            };
            c.query_opt(sql, &[])?.map_or(Ok(0), |r| r.int(0))
        })
    }

    pub(super) fn item_from(&self, feed: &Slug, row: &Row) -> Result<Item, StoreError> {
        let id = row.text(0).map_err(self.err())?;
        let corrupt = |message: String| StoreError::Corrupt {
            store: self.name.clone(),
            feed: feed.to_string(),
            id: id.clone(),
            message,
        };
        let text = |i| row.text(i).map_err(|e| corrupt(e.to_string()));
        Ok(Item {
            id: ItemId::new(id.clone()).map_err(|e| corrupt(e.to_string()))?,
            content: serde_json::from_str::<Content>(&text(3)?).map_err(|e| corrupt(e.to_string()))?,
            published: parse_timestamp(&text(1)?).map_err(|e| corrupt(e.to_string()))?,
            updated: parse_timestamp(&text(2)?).map_err(|e| corrupt(e.to_string()))?,
        })
    }
}

/// The columns [`SqlStore::item_from`] reads: id, published, updated, content.
pub(super) const ITEM_COLUMNS: &str = "id, published, COALESCE(meta_updated, content_seen_at, published), content";

/// Writes one item, marked changed at `seq`.
pub(super) fn write_item(tx: &mut dyn Conn, feed: &Slug, row: &ItemRow, seq: Seq) -> Result<(), DbError> {
    let a = row.article;
    tx.execute(
        "INSERT INTO items (feed, id, published, meta_updated, content_seen_at, content_hash, content, source,
                            first_seen, claimed_published, changed, raw_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (feed, id) DO UPDATE SET published = excluded.published,
           meta_updated = excluded.meta_updated, content_seen_at = excluded.content_seen_at,
           content_hash = excluded.content_hash, content = excluded.content, source = excluded.source,
           first_seen = excluded.first_seen, claimed_published = excluded.claimed_published,
           changed = excluded.changed, raw_hash = excluded.raw_hash",
        params![
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
            row.upstream.and_then(|u| u.raw_hash),
        ],
    )?;
    Ok(())
}

/// One row of `items` to write.
pub(super) struct ItemRow<'a> {
    pub article: &'a Article,
    /// [`super::content_json`] of the article.
    pub content_json: &'a str,
    /// [`super::fingerprint_json`] of the article.
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
    /// The hash of its raw text, when told ([`UpstreamArticle::raw_hash`]).
    pub raw_hash: Option<&'a str>,
}

impl Store for SqlStore {
    fn begin_local_sync(&mut self, now: DateTime<Utc>) -> Result<Box<dyn LocalSync + '_>, StoreError> {
        Ok(Box::new(SqlLocalSync::begin(self, now)?))
    }

    fn head(&self) -> Result<Head, StoreError> {
        // One statement: a follower reads the head every second.
        let rows = self.read(|c| c.query("SELECT key, value FROM meta WHERE key IN ('store_id', 'seq')", &[]))?;
        let (mut store_id, mut seq) = (None, None);
        for row in &rows {
            match row.text(0).map_err(self.err())?.as_str() {
                "store_id" => store_id = Some(row.text(1).map_err(self.err())?),
                _ => seq = Some(row.int(1).map_err(self.err())?),
            }
        }
        match (store_id, seq) {
            (Some(store_id), Some(seq)) => Ok(Head { store_id, seq }),
            _ => Err(self.err()(DbError::Type("meta has no store_id or seq".into()))),
        }
    }

    fn feed_changes(&self) -> Result<BTreeMap<Slug, FeedChange>, StoreError> {
        let rows = self.read(|c| c.query("SELECT slug, changed, meta_changed FROM feeds ORDER BY slug", &[]))?;
        let mut out = BTreeMap::new();
        for row in rows {
            // A row whose slug is no longer a valid name cannot have come from a feed folder.
            let Ok(slug) = Slug::new(row.text(0).map_err(self.err())?) else { continue };
            let (changed, meta_changed) = (row.int(1).map_err(self.err())?, row.int(2).map_err(self.err())?);
            out.insert(slug.clone(), FeedChange { slug, changed, meta_changed });
        }
        Ok(out)
    }

    fn item_ids(&self, feed: &Slug, changed_after: Option<Seq>) -> Result<Vec<ItemId>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT id FROM items WHERE feed = ?1 AND changed > ?2 ORDER BY id",
                params![feed.as_str(), changed_after.unwrap_or(Seq::MIN)],
            )
        })?;
        Ok(rows.iter().filter_map(|r| r.text(0).ok()).filter_map(|id| ItemId::new(id).ok()).collect())
    }

    fn feed_dates(&self, feed: &Slug, limit: usize) -> Result<FeedDates, StoreError> {
        self.read_feed_dates(feed, limit)
    }

    fn history(
        &self,
        feed: &Slug,
        pick: &mut dyn FnMut(&[DateTime<Utc>]) -> Range<usize>,
    ) -> Result<(FeedDates, Vec<Item>), StoreError> {
        self.read_history(feed, pick)
    }

    fn item(&self, feed: &Slug, id: &ItemId) -> Result<Option<Item>, StoreError> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1 AND id = ?2");
        let row = self.read(|c| c.query_opt(&sql, params![feed.as_str(), id.as_str()]))?;
        row.map(|row| self.item_from(feed, &row)).transpose()
    }

    fn items(&self, feed: &Slug, limit: Option<usize>) -> Result<Vec<Item>, StoreError> {
        // Item::newest_first
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1 ORDER BY published DESC, id LIMIT ?2");
        let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = self.read(|c| c.query(&sql, params![feed.as_str(), limit]))?;
        rows.iter().map(|row| self.item_from(feed, row)).collect()
    }

    fn checkpoint(&mut self) -> Result<(), StoreError> {
        let err = self.err();
        self.conn_mut().checkpoint().map_err(err)
    }

    fn ping(&self) -> Result<(), StoreError> {
        // Touches the items table, so a corrupt or unreadable database fails the probe.
        self.read(|c| c.query("SELECT COUNT(*) FROM items", &[]).map(drop))
    }

    fn source_state(&self, feed: &Slug, source: &url::Url) -> Result<Option<SourceState>, StoreError> {
        self.read_source_state(feed, source)
    }

    fn source_states(&self, feed: &Slug) -> Result<std::collections::HashMap<url::Url, SourceState>, StoreError> {
        self.read_source_states(feed)
    }

    fn record(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        state: &SourceState,
        polled: Polled<'_>,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PollReport, StoreError> {
        self.write_poll(feed, source, state, polled, keep, now)
    }

    fn record_backfill(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        polled: Polled<'_>,
        keep: usize,
        next: &Backfill,
        now: DateTime<Utc>,
    ) -> Result<(PollReport, Backfill), StoreError> {
        self.write_backfill(feed, source, polled, keep, next, now)
    }

    fn raw_hashes(
        &self,
        feed: &Slug,
        source: &url::Url,
    ) -> Result<std::collections::HashMap<String, super::KnownItem>, StoreError> {
        self.read_raw_hashes(feed, source)
    }

    fn claim(
        &mut self,
        feed: &Slug,
        source: &url::Url,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, StoreError> {
        self.take_lease(feed, source, now, until, force)
    }

    fn clock(&self) -> Result<DateTime<Utc>, StoreError> {
        self.read(|c| c.clock())
    }

    fn definitions(&self) -> Result<Vec<(Slug, String)>, StoreError> {
        let rows =
            self.read(|c| c.query("SELECT slug, definition FROM feeds WHERE definition <> '' ORDER BY slug", &[]))?;
        let mut out = Vec::new();
        for row in rows {
            let Ok(slug) = Slug::new(row.text(0).map_err(self.err())?) else { continue };
            out.push((slug, row.text(1).map_err(self.err())?));
        }
        Ok(out)
    }

    fn drop_unlisted_sources(&mut self, listed: &[(&Slug, &[UpstreamSource])]) -> Result<usize, StoreError> {
        self.drop_unlisted(listed)
    }
}
