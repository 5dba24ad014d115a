//! The SQLite side of incremental syncs and of the change sequence.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::local::{FeedChange, FeedDates, FileRecord, Head, LocalDelta, LocalSync, Recorded, Seq};
use super::sqlite::{ItemRow, SqliteStore};
use super::{Change, StoreError, SyncReport, content_json, decide, fingerprint_json, parse_timestamp};
use crate::model::{ItemId, Slug};

/// Takes the next number of the change sequence, once per transaction: every change a
/// transaction makes shares it, so a build that saw the transaction saw all of them.
pub(super) fn next_seq(tx: &Transaction, seq: &mut Option<Seq>) -> rusqlite::Result<Seq> {
    if let Some(s) = *seq {
        return Ok(s);
    }
    let s = tx.query_row(
        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING CAST(value AS INTEGER)",
        [],
        |r| r.get(0),
    )?;
    *seq = Some(s);
    Ok(s)
}

/// Marks `feed` changed at `seq` (and its definition, with `meta`), creating its row.
pub(super) fn mark_feed(tx: &Transaction, feed: &Slug, seq: Seq, meta: bool) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO feeds (slug, changed, meta_changed) VALUES (?1, ?2, CASE WHEN ?3 THEN ?2 ELSE 0 END)
         ON CONFLICT (slug) DO UPDATE SET changed = ?2,
           meta_changed = CASE WHEN ?3 THEN ?2 ELSE meta_changed END",
    )?
    .execute(params![feed.as_str(), seq, meta])?;
    Ok(())
}

/// A sync of local articles inside one SQLite transaction.
pub(super) struct SqliteLocalSync<'a> {
    tx: Transaction<'a>,
    path: String,
    now: DateTime<Utc>,
    seq: Option<Seq>,
    report: SyncReport,
}

impl<'a> SqliteLocalSync<'a> {
    pub(super) fn begin(store: &'a mut SqliteStore, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let path = store.path.clone();
        // IMMEDIATE: the write lock is taken now, waiting (busy timeout) for a poll in progress.
        // A deferred transaction that read first would fail outright at its first write if a
        // poll committed in between (SQLITE_BUSY_SNAPSHOT), and a sync reads before it writes.
        let tx = store
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        Ok(Self { tx, path, now, seq: None, report: SyncReport::default() })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
        let path = self.path.clone();
        move |source| StoreError::Sqlite { path: path.clone(), source }
    }

    fn apply_inner(&mut self, d: LocalDelta<'_>) -> rusqlite::Result<()> {
        let feed = d.feed;
        let old_def: Option<String> = self
            .tx
            .query_row("SELECT def_hash FROM feeds WHERE slug = ?1", [feed.as_str()], |r| r.get(0))
            .optional()?;
        let def_changed = old_def.as_deref() != Some(d.def_hash);
        let mut changed = def_changed;
        self.report.unchanged += d.unchanged;
        if !d.articles.is_empty() {
            let stored = SqliteStore::stored(&self.tx, feed)?;
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
                    let seq = next_seq(&self.tx, &mut self.seq)?;
                    SqliteStore::write(&self.tx, feed, &row, seq)?;
                    changed = true;
                }
            }
        }
        for name in d.gone {
            self.tx
                .prepare_cached("DELETE FROM files WHERE feed = ?1 AND name = ?2")?
                .execute([feed.as_str(), name])?;
        }
        for (name, rec) in d.files {
            self.tx
                .prepare_cached(
                    "INSERT INTO files (feed, name, stamp, hash, id) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (feed, name) DO UPDATE SET stamp = excluded.stamp, hash = excluded.hash, id = excluded.id",
                )?
                .execute(params![feed.as_str(), name, rec.stamp, rec.hash, rec.id.as_str()])?;
        }
        // A local item lives as long as a file makes it: a deleted file takes its item, a
        // renamed one keeps it (the new name makes the same id). Checked at every apply, so
        // items stored before files were recorded (migration 0004) go when their file did.
        {
            let removed = self.tx.execute(
                "DELETE FROM items WHERE feed = ?1 AND source IS NULL
                   AND id NOT IN (SELECT id FROM files WHERE feed = ?1)",
                [feed.as_str()],
            )?;
            self.report.removed += removed;
            changed |= removed > 0;
        }
        if changed || old_def.is_none() {
            let seq = next_seq(&self.tx, &mut self.seq)?;
            mark_feed(&self.tx, feed, seq, def_changed)?;
            self.tx.execute("UPDATE feeds SET def_hash = ?2 WHERE slug = ?1", params![feed.as_str(), d.def_hash])?;
        }
        Ok(())
    }

    fn commit_inner(mut self, feeds: &[&Slug]) -> rusqlite::Result<SyncReport> {
        let kept: Vec<&str> = feeds.iter().map(|s| s.as_str()).collect();
        let all: Vec<String> = {
            let mut stmt = self.tx.prepare("SELECT slug FROM feeds UNION SELECT DISTINCT feed FROM items")?;
            stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        // Feeds whose folder is gone take their items, files and poll state with them.
        for gone in all.iter().filter(|f| !kept.contains(&f.as_str())) {
            next_seq(&self.tx, &mut self.seq)?;
            self.report.removed += self.tx.execute("DELETE FROM items WHERE feed = ?1", [gone])?;
            for table in ["DELETE FROM sources WHERE feed = ?1", "DELETE FROM files WHERE feed = ?1"] {
                self.tx.execute(table, [gone])?;
            }
            self.tx.execute("DELETE FROM feeds WHERE slug = ?1", [gone])?;
        }
        self.tx.commit()?;
        Ok(self.report)
    }
}

impl LocalSync for SqliteLocalSync<'_> {
    fn recorded(&mut self, feed: &Slug) -> Result<Recorded, StoreError> {
        let err = self.err();
        let def_hash = self
            .tx
            .query_row("SELECT def_hash FROM feeds WHERE slug = ?1", [feed.as_str()], |r| r.get::<_, String>(0))
            .optional()
            .map_err(&err)?;
        let mut files = HashMap::new();
        let mut stmt =
            self.tx.prepare_cached("SELECT name, stamp, hash, id FROM files WHERE feed = ?1").map_err(&err)?;
        let rows = stmt
            .query_map([feed.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)))
            .map_err(&err)?;
        for row in rows {
            let (name, stamp, hash, id) = row.map_err(&err)?;
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

impl SqliteStore {
    pub(super) fn read_head(&self) -> Result<Head, StoreError> {
        let get =
            |key: &str| self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get::<_, String>(0));
        let store_id = get("store_id").map_err(self.err())?;
        let seq = get("seq").map_err(self.err())?.parse().unwrap_or(0);
        Ok(Head { store_id, seq })
    }

    pub(super) fn read_feed_changes(&self) -> Result<std::collections::BTreeMap<Slug, FeedChange>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT slug, changed, meta_changed FROM feeds ORDER BY slug")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        // A row whose slug is no longer a valid name cannot have come from a feed folder.
        Ok(rows
            .into_iter()
            .filter_map(|(slug, changed, meta_changed)| {
                Slug::new(slug).ok().map(|slug| (slug.clone(), FeedChange { slug, changed, meta_changed }))
            })
            .collect())
    }

    pub(super) fn read_ids(&self, feed: &Slug, since: Option<Seq>) -> Result<Vec<ItemId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM items WHERE feed = ?1 AND changed > ?2 ORDER BY id")
            .map_err(self.err())?;
        let ids: Vec<String> = stmt
            .query_map(params![feed.as_str(), since.unwrap_or(Seq::MIN)], |r| r.get(0))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        Ok(ids.into_iter().filter_map(|id| ItemId::new(id).ok()).collect())
    }

    pub(super) fn read_feed_dates(&self, feed: &Slug, limit: usize) -> Result<FeedDates, StoreError> {
        let newest: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(COALESCE(meta_updated, content_seen_at, published)) FROM items WHERE feed = ?1",
                [feed.as_str()],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT published FROM items WHERE feed = ?1 ORDER BY published DESC, id LIMIT ?2")
            .map_err(self.err())?;
        let published: Vec<String> = stmt
            .query_map(params![feed.as_str(), i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get(0))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        let corrupt = |message: String| StoreError::Corrupt {
            path: self.path.clone(),
            feed: feed.to_string(),
            id: String::new(),
            message,
        };
        Ok(FeedDates {
            newest_updated: newest.map(|t| parse_timestamp(&t)).transpose().map_err(|e| corrupt(e.to_string()))?,
            published: published
                .iter()
                .map(|t| parse_timestamp(t))
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt(e.to_string()))?,
        })
    }
}
