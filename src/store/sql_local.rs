//! Incremental syncs of local articles and the change sequence, on either backend.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::local::{FileRecord, LocalDelta, LocalSync, Recorded, Seq};
use super::sql::{Conn, DbError, Engine, Lock, Tx, params};
use super::sql_store::{ItemRow, SqlStore, write_item};
use super::{Change, StoreError, Stored, SyncReport, content_json, decide, fingerprint_json, parse_timestamp};
use crate::model::{ItemId, Slug};

/// The PostgreSQL channel every change is announced on (at commit), so replicas re-render at
/// once; the sequence number in `meta` stays the truth for one that missed it.
pub const CHANGES_CHANNEL: &str = "feedpub_changes";

/// The `changed` mark of rows a transaction wrote, until it numbers them at commit.
pub(super) const PENDING: Seq = -1;

/// The changes a transaction made, numbered when it is about to commit ([`Pending::stamp`]):
/// the change sequence's row lock, which every writer on every replica needs, is held only
/// from there to the commit, not while a sync parses files or a poll writes its items. Rows
/// are written marked [`PENDING`] (a mark no committed row keeps) and stamped with the number.
///
/// On SQLite a transaction holds the only write lock from `BEGIN IMMEDIATE` to its commit: no
/// other writer can take a number or commit in between, so the number is taken at the first
/// item ([`Pending::number_for`]) and items are written with it, not stamped by a second write
/// of every row (an UPDATE that rewrote each item just written, content and all: a tenth of a
/// 1,000-item poll). Readers see the rows and the number in the same commit either way.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Feeds with items written marked pending.
    feeds: BTreeSet<String>,
    /// Whether anything changed (a feed removed changes the site without rows to stamp).
    any: bool,
    /// The number, once taken (SQLite takes it at the first item).
    seq: Option<Seq>,
}

impl Pending {
    /// An item of `feed` was written marked [`PENDING`].
    pub fn item(&mut self, feed: &Slug) {
        self.feeds.insert(feed.to_string());
        self.any = true;
    }

    /// The change number to write an item of `feed` with: the transaction's own on SQLite,
    /// [`PENDING`] (and the item stamped at commit) on PostgreSQL, whose writers on other
    /// replicas must not wait on the number while this transaction writes.
    pub fn number_for(&mut self, tx: &mut dyn Conn, feed: &Slug) -> Result<Seq, DbError> {
        match tx.engine() {
            Engine::Sqlite => {
                self.any = true;
                self.take(tx)
            }
            Engine::Postgres => {
                self.item(feed);
                Ok(PENDING)
            }
        }
    }

    /// The transaction's change number, taking the next one of the sequence the first time.
    fn take(&mut self, tx: &mut dyn Conn) -> Result<Seq, DbError> {
        if let Some(seq) = self.seq {
            return Ok(seq);
        }
        let row = tx.query_opt(
            "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'seq'
             RETURNING CAST(value AS BIGINT)",
            &[],
        )?;
        let seq = row.ok_or_else(|| DbError::Type("meta has no seq".into()))?.int(0)?;
        self.seq = Some(seq);
        Ok(seq)
    }

    /// Marks `feed` changed (and its definition, with `meta`), creating its row.
    pub fn feed(&mut self, tx: &mut dyn Conn, feed: &Slug, meta: bool) -> Result<(), DbError> {
        tx.execute(
            "INSERT INTO feeds (slug, changed, meta_changed) VALUES (?1, ?2, ?3)
             ON CONFLICT (slug) DO UPDATE SET changed = excluded.changed,
               meta_changed = CASE WHEN ?4 = 1 THEN excluded.meta_changed ELSE feeds.meta_changed END",
            params![feed.as_str(), PENDING, if meta { PENDING } else { 0 }, meta],
        )?;
        self.any = true;
        Ok(())
    }

    /// Something changed that has no row to stamp.
    pub fn touch(&mut self) {
        self.any = true;
    }

    /// Takes the next number of the change sequence (unless [`Pending::number_for`] took it)
    /// and gives it to every row marked pending (nothing when nothing changed); call it last
    /// before the commit. The number's row lock orders writers: a transaction holding number n
    /// commits before one holding n + 1 can, so a reader that sees n + 1 sees n. PostgreSQL
    /// announces the number at commit.
    pub fn stamp(mut self, tx: &mut dyn Conn) -> Result<Option<Seq>, DbError> {
        if !self.any {
            return Ok(None);
        }
        let seq = self.take(tx)?;
        for feed in &self.feeds {
            tx.execute(
                "UPDATE items SET changed = ?1 WHERE feed = ?2 AND changed = ?3",
                params![seq, feed.as_str(), PENDING],
            )?;
        }
        tx.execute("UPDATE feeds SET changed = ?1 WHERE changed = ?2", params![seq, PENDING])?;
        tx.execute("UPDATE feeds SET meta_changed = ?1 WHERE meta_changed = ?2", params![seq, PENDING])?;
        if tx.engine() == Engine::Postgres {
            tx.execute("SELECT pg_notify(?1, ?2)", params![CHANGES_CHANNEL, seq.to_string()])?;
        }
        Ok(Some(seq))
    }
}

/// What the store holds for the local articles of `feed`, by id.
fn stored(tx: &mut dyn Conn, feed: &Slug) -> Result<HashMap<String, Stored>, DbError> {
    let rows = tx.query(
        "SELECT id, content_hash, content_seen_at FROM items WHERE feed = ?1 AND source IS NULL",
        params![feed.as_str()],
    )?;
    let mut out = HashMap::new();
    for row in rows {
        let content_seen_at = row.opt_text(2)?.and_then(|s| parse_timestamp(&s).ok());
        out.insert(row.text(0)?, Stored { hash: row.text(1)?, content_seen_at });
    }
    Ok(out)
}

/// A sync of local articles inside one transaction.
pub(super) struct SqlLocalSync<'a> {
    tx: Tx<'a>,
    name: String,
    now: DateTime<Utc>,
    pending: Pending,
    report: SyncReport,
}

impl<'a> SqlLocalSync<'a> {
    pub(super) fn begin(store: &'a mut SqlStore, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let name = store.name.clone();
        let err = store.err();
        let mut tx = Tx::begin(store.conn_mut()).map_err(&err)?;
        // Two hosts syncing at once would each read the recorded files, then both write.
        tx.lock(Lock::LocalSync).map_err(&err)?;
        Ok(Self { tx, name, now, pending: Pending::default(), report: SyncReport::default() })
    }

    fn err(&self) -> impl Fn(DbError) -> StoreError + use<> {
        let store = self.name.clone();
        move |source| StoreError::Query { store: store.clone(), source }
    }

    fn apply_inner(&mut self, d: LocalDelta<'_>) -> Result<(), DbError> {
        let feed = d.feed;
        let tx = &mut *self.tx;
        let old_def = tx.query_opt("SELECT def_hash FROM feeds WHERE slug = ?1", params![feed.as_str()])?;
        let old_def = old_def.map(|r| r.text(0)).transpose()?;
        let def_changed = old_def.as_deref() != Some(d.def_hash);
        let mut changed = def_changed;
        self.report.unchanged += d.unchanged;
        if !d.articles.is_empty() {
            let stored = stored(tx, feed)?;
            for a in d.articles {
                let json = content_json(a);
                let hash = fingerprint_json(&json, a);
                let row = |content_seen_at| ItemRow {
                    article: a,
                    content_json: &json,
                    hash: &hash,
                    content_seen_at,
                    upstream: None,
                };
                let written = match decide(stored.get(a.id.as_str()), a, &hash, self.now) {
                    Change::Insert => {
                        self.report.added += 1;
                        Some(row(None))
                    }
                    Change::Update { content_seen_at } => {
                        self.report.changed += 1;
                        Some(row(Some(content_seen_at)))
                    }
                    Change::Unchanged => {
                        self.report.unchanged += 1;
                        None
                    }
                };
                if let Some(row) = written {
                    let seq = self.pending.number_for(tx, feed)?;
                    write_item(tx, feed, &row, seq)?;
                    changed = true;
                }
            }
        }
        for name in d.gone {
            tx.execute("DELETE FROM files WHERE feed = ?1 AND name = ?2", params![feed.as_str(), name.as_str()])?;
        }
        for (name, rec) in d.files {
            tx.execute(
                "INSERT INTO files (feed, name, stamp, hash, id) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (feed, name) DO UPDATE SET stamp = excluded.stamp, hash = excluded.hash, id = excluded.id",
                params![feed.as_str(), name.as_str(), rec.stamp.as_str(), rec.hash.as_str(), rec.id.as_str()],
            )?;
        }
        // A local item lives as long as a file makes it: a deleted file takes its item, a
        // renamed one keeps it (the new name makes the same id). Checked at every apply, so
        // items stored before files were recorded (migration 0004) go when their file did.
        let removed = tx.execute(
            "DELETE FROM items WHERE feed = ?1 AND source IS NULL
               AND id NOT IN (SELECT id FROM files WHERE feed = ?1)",
            params![feed.as_str()],
        )? as usize;
        self.report.removed += removed;
        changed |= removed > 0;
        if changed || old_def.is_none() {
            self.pending.feed(tx, feed, def_changed)?;
            tx.execute("UPDATE feeds SET def_hash = ?2 WHERE slug = ?1", params![feed.as_str(), d.def_hash])?;
        }
        // Replicas without feeds/ read the definition from here; unchanged, nothing is written.
        tx.execute(
            "UPDATE feeds SET definition = ?2 WHERE slug = ?1 AND definition <> ?2",
            params![feed.as_str(), d.definition],
        )?;
        Ok(())
    }

    fn commit_inner(mut self, feeds: &[&Slug]) -> Result<SyncReport, DbError> {
        let kept: Vec<&str> = feeds.iter().map(|s| s.as_str()).collect();
        let tx = &mut *self.tx;
        let all = tx.query("SELECT slug FROM feeds UNION SELECT DISTINCT feed FROM items", &[])?;
        // Feeds whose folder is gone take their items, files and poll state with them.
        for gone in all.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()? {
            if kept.contains(&gone.as_str()) {
                continue;
            }
            self.pending.touch();
            self.report.removed += tx.execute("DELETE FROM items WHERE feed = ?1", params![gone.as_str()])? as usize;
            for table in [
                "DELETE FROM sources WHERE feed = ?1",
                "DELETE FROM files WHERE feed = ?1",
                "DELETE FROM leases WHERE feed = ?1",
                "DELETE FROM feeds WHERE slug = ?1",
            ] {
                tx.execute(table, params![gone.as_str()])?;
            }
        }
        std::mem::take(&mut self.pending).stamp(tx)?;
        self.tx.commit()?;
        Ok(self.report)
    }
}

impl LocalSync for SqlLocalSync<'_> {
    fn recorded(&mut self, feed: &Slug) -> Result<Recorded, StoreError> {
        let err = self.err();
        let tx = &mut *self.tx;
        let def_hash =
            tx.query_opt("SELECT def_hash FROM feeds WHERE slug = ?1", params![feed.as_str()]).map_err(&err)?;
        let def_hash = def_hash.map(|r| r.text(0)).transpose().map_err(&err)?;
        let rows = tx
            .query("SELECT name, stamp, hash, id FROM files WHERE feed = ?1", params![feed.as_str()])
            .map_err(&err)?;
        let mut files = HashMap::new();
        for row in rows {
            let record = || -> Result<_, DbError> { Ok((row.text(0)?, row.text(1)?, row.text(2)?, row.text(3)?)) };
            let (name, stamp, hash, id) = record().map_err(&err)?;
            // An id that no longer parses makes the file be read again.
            if let Ok(id) = ItemId::new(id) {
                files.insert(name, FileRecord { stamp, hash, id });
            }
        }
        Ok(Recorded { def_hash: def_hash.filter(|h| !h.is_empty()), files })
    }

    fn apply(&mut self, delta: LocalDelta<'_>) -> Result<(), StoreError> {
        let err = self.err();
        self.apply_inner(delta).map_err(err)
    }

    fn commit(self: Box<Self>, feeds: &[&Slug]) -> Result<SyncReport, StoreError> {
        let err = self.err();
        self.commit_inner(feeds).map_err(err)
    }
}
