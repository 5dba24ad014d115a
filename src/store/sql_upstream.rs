//! Upstream sources on either backend: poll state, leases and re-published items.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use url::Url;

use super::sql::{Conn, DbError, Engine, Row, params};
use super::sql_local::Pending;
use super::sql_store::SqlStore;
use super::upstream::{Claim, KnownItem, past_keep};
use super::{Backfill, PollReport, Polled, SourceState, StoreError, parse_timestamp, timestamp};
use crate::model::{ItemId, Slug, UpstreamSource};

const STATE_COLUMNS: &str =
    "current_url, etag, last_modified, next_poll, failures, last_status, last_error, last_polled, retired, backfill";

/// Reads the poll state of `source` in `feed` on `conn` (in a transaction or not).
fn source_state(conn: &mut dyn Conn, feed: &Slug, source: &Url) -> Result<Option<Row>, DbError> {
    conn.query_opt(
        &format!("SELECT {STATE_COLUMNS} FROM sources WHERE feed = ?1 AND url = ?2"),
        params![feed.as_str(), source.as_str()],
    )
}

/// Removes the items of `source` past its newest `keep` by first-seen order, never one of
/// `batch` (what the poll listed), counting them in `report`; returns how many it keeps.
/// Counted first: ranking them all is only needed when there are more than `keep`.
fn prune(
    tx: &mut dyn Conn,
    feed: &Slug,
    source: &Url,
    batch: &[&str],
    keep: usize,
    report: &mut PollReport,
) -> Result<usize, DbError> {
    let count = tx.query_opt(
        "SELECT COUNT(*) FROM items WHERE feed = ?1 AND source = ?2",
        params![feed.as_str(), source.as_str()],
    )?;
    let count = usize::try_from(count.map(|r| r.int(0)).transpose()?.unwrap_or(0)).unwrap_or(usize::MAX);
    if count <= keep {
        return Ok(count);
    }
    let ranked = tx.query(
        "SELECT id FROM items WHERE feed = ?1 AND source = ?2 ORDER BY first_seen DESC, published DESC, id",
        params![feed.as_str(), source.as_str()],
    )?;
    let ranked = ranked.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()?;
    let mut removed = 0;
    for id in past_keep(&ranked, batch, keep) {
        removed += tx.execute("DELETE FROM items WHERE feed = ?1 AND id = ?2", params![feed.as_str(), id])? as usize;
    }
    report.removed += removed;
    Ok(count - removed)
}

impl SqlStore {
    /// Sets when `source` of `feed` is polled next: a source that gets pushes is polled only
    /// to catch what pushes missed, and to renew its lease.
    pub fn poll_source_at(&mut self, feed: &Slug, source: &Url, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE sources SET next_poll = ?3 WHERE feed = ?1 AND url = ?2",
                params![feed.as_str(), source.as_str(), timestamp(at)],
            )
            .map(drop)
        })
    }

    pub(super) fn read_source_state(&self, feed: &Slug, source: &Url) -> Result<Option<SourceState>, StoreError> {
        let row = self.read(|c| source_state(c, feed, source))?;
        row.map(|row| self.state_from(feed, source, &row)).transpose()
    }

    pub(super) fn read_source_states(&self, feed: &Slug) -> Result<HashMap<Url, SourceState>, StoreError> {
        let sql = format!("SELECT {STATE_COLUMNS}, url FROM sources WHERE feed = ?1");
        let rows = self.read(|c| c.query(&sql, params![feed.as_str()]))?;
        let mut states = HashMap::new();
        for row in rows {
            // A URL that no longer parses cannot be a configured source's.
            let Ok(url) = row.text(10).map_err(self.err())?.parse::<Url>() else { continue };
            let state = self.state_from(feed, &url, &row)?;
            states.insert(url, state);
        }
        Ok(states)
    }

    fn state_from(&self, feed: &Slug, source: &Url, row: &Row) -> Result<SourceState, StoreError> {
        let corrupt = |message: String| StoreError::Corrupt {
            store: self.name.clone(),
            feed: feed.to_string(),
            id: format!("source {}", crate::model::redact::for_logs(source)),
            message,
        };
        let fields = || -> Result<_, DbError> {
            Ok((
                row.text(0)?,
                row.opt_text(1)?,
                row.opt_text(2)?,
                row.text(3)?,
                row.int(4)?,
                row.opt_text(5)?,
                row.opt_text(6)?,
                row.opt_text(7)?,
                row.int(8)? != 0,
                row.opt_text(9)?,
            ))
        };
        let (current, etag, last_modified, next, failures, last_status, last_error, polled, retired, backfill) =
            fields().map_err(|e| corrupt(e.to_string()))?;
        // A time no timestamp can hold (an earlier release stored `+11526-…` after an absurd
        // Retry-After) must not fail every later poll: the source is due now, and the poll that
        // follows writes a good time over it.
        // (A retired source is never polled again: its time does not matter, and is not worth a
        // warning at every round.)
        let next_poll = parse_timestamp(&next).unwrap_or_else(|_| {
            if !retired {
                tracing::warn!(%feed, stored = %next, "a source's stored next poll is unreadable: polling it now");
            }
            DateTime::<Utc>::UNIX_EPOCH
        });
        Ok(SourceState {
            current_url: Url::parse(&current).map_err(|e| corrupt(e.to_string()))?,
            etag,
            last_modified,
            next_poll,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            last_status,
            last_error,
            last_polled: polled.as_deref().and_then(|p| parse_timestamp(p).ok()),
            retired,
            backfill: Backfill::from_stored(backfill.as_deref()),
        })
    }

    /// Takes the lease of `source` until `until` when it is due at `now` (any time, with
    /// `force`) and no other holder's lease runs. The state is read under the lease's row lock,
    /// after the last poll's commit: a source another replica just polled is not due any more.
    pub(super) fn take_lease(
        &mut self,
        feed: &Slug,
        source: &Url,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, StoreError> {
        let holder = self.holder.clone();
        let claimed = self.write(|tx| {
            let key = params![feed.as_str(), source.as_str()];
            // Another replica claiming or recording it this very moment holds the row: skip
            // it, do not wait (a replica that waited would stall its whole round).
            let lock = if tx.engine() == Engine::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
            let select = format!("SELECT holder, expires FROM leases WHERE feed = ?1 AND url = ?2{lock}");
            let lease = match tx.query_opt(&select, key)? {
                Some(lease) => lease,
                // No row, or a row another holds locked: only a missing one is made (inserting
                // over a locked row would wait for its holder).
                None if tx.query_opt("SELECT 1 FROM leases WHERE feed = ?1 AND url = ?2", key)?.is_some() => {
                    return Ok(None);
                }
                None => {
                    tx.execute(
                        "INSERT INTO leases (feed, url) VALUES (?1, ?2) ON CONFLICT (feed, url) DO NOTHING",
                        key,
                    )?;
                    let Some(lease) = tx.query_opt(&select, key)? else { return Ok(None) };
                    lease
                }
            };
            let (owner, expires) = (lease.text(0)?, lease.text(1)?);
            if !owner.is_empty() && owner != holder && expires > timestamp(now) {
                return Ok(None);
            }
            // Decided under the row lock, on the state as the last poll committed it. (Times
            // are RFC 3339 text, which sorts as time; one no timestamp can hold sorts first and
            // counts as due, as `state_from` reads it.)
            let state = source_state(tx, feed, source)?;
            let retired = state.as_ref().map(|r| r.int(8)).transpose()?.unwrap_or(0) != 0;
            let next = state.as_ref().map(|r| r.text(3)).transpose()?;
            let due = force || next.as_ref().is_none_or(|n| *n <= timestamp(now));
            if due && !retired {
                tx.execute(
                    "UPDATE leases SET holder = ?3, expires = ?4 WHERE feed = ?1 AND url = ?2",
                    params![feed.as_str(), source.as_str(), holder.as_str(), timestamp(until)],
                )?;
            }
            Ok(Some((state, due, retired)))
        })?;
        let Some((row, due, retired)) = claimed else { return Ok(Claim::Elsewhere) };
        let state = match row {
            Some(row) => self.state_from(feed, source, &row)?,
            None => SourceState::new(source, now),
        };
        Ok(match (retired, due) {
            (true, _) => Claim::Retired(state),
            (false, false) => Claim::NotDue(state),
            (false, true) => Claim::Taken(state),
        })
    }

    pub(super) fn write_poll(
        &mut self,
        feed: &Slug,
        source: &Url,
        state: &SourceState,
        polled: Polled<'_>,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PollReport, StoreError> {
        let (items, unchanged) = (polled.items, polled.unchanged);
        let holder = self.holder.clone();
        self.write(|tx| {
            // A lease that is not this store's any more (it ran out and another replica claimed
            // the source, or recorded it since) means this poll is stale: write nothing, or the
            // schedule and validators would go back. No lease row: a caller that never claims
            // (the library used directly).
            let lock = if tx.engine() == Engine::Postgres { " FOR UPDATE" } else { "" };
            let sql = format!("SELECT holder FROM leases WHERE feed = ?1 AND url = ?2{lock}");
            if let Some(lease) = tx.query_opt(&sql, params![feed.as_str(), source.as_str()])?
                && lease.text(0)? != holder
            {
                return Ok(PollReport { lease_lost: true, ..PollReport::default() });
            }
            tx.execute(
                "INSERT INTO sources (feed, url, current_url, etag, last_modified, next_poll, failures, last_status,
                                      last_error, last_polled, retired)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (feed, url) DO UPDATE SET current_url = excluded.current_url, etag = excluded.etag,
                   last_modified = excluded.last_modified, next_poll = excluded.next_poll, failures = excluded.failures,
                   last_status = excluded.last_status, last_error = excluded.last_error,
                   last_polled = excluded.last_polled, retired = excluded.retired",
                params![
                    feed.as_str(),
                    source.as_str(),
                    state.current_url.as_str(),
                    state.etag.as_deref(),
                    state.last_modified.as_deref(),
                    timestamp(state.next_poll),
                    state.failures,
                    state.last_status.as_deref(),
                    state.last_error.as_deref(),
                    state.last_polled.map(timestamp),
                    state.retired,
                ],
            )?;
            // The lease goes with the new schedule, in one commit: whoever claims the source
            // next sees it polled.
            tx.execute(
                "UPDATE leases SET holder = '', expires = '' WHERE feed = ?1 AND url = ?2 AND holder = ?3",
                params![feed.as_str(), source.as_str(), holder.as_str()],
            )?;
            let mut report = PollReport { unchanged: unchanged.len(), ..PollReport::default() };
            let mut pending = Pending::default();
            items::write_items(tx, feed, source, items, items::Seen::Now, now, &mut pending, &mut report)?;
            // The source keeps its newest `keep` items by first-seen order, and every item of
            // this poll; the rest leave the store, and so the site, in this same transaction.
            let batch: Vec<&str> =
                items.iter().map(|i| i.id.as_str()).chain(unchanged.iter().map(ItemId::as_str)).collect();
            prune(tx, feed, source, &batch, keep, &mut report)?;
            // Only a poll that changed an item dirties the feed (and only this feed).
            if report.added + report.updated + report.removed > 0 {
                pending.feed(tx, feed, false)?;
            }
            pending.stamp(tx)?;
            Ok(report)
        })
    }

    pub(super) fn read_raw_hashes(&self, feed: &Slug, source: &Url) -> Result<HashMap<String, KnownItem>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT raw_hash, id, published, first_seen FROM items
                 WHERE feed = ?1 AND source = ?2 AND raw_hash IS NOT NULL",
                params![feed.as_str(), source.as_str()],
            )
        })?;
        let mut hashes = HashMap::with_capacity(rows.len());
        for row in &rows {
            // An id that no longer parses is read (and reported) wherever items are: here it
            // only means that item is read again.
            let Ok(id) = ItemId::new(row.text(1).map_err(self.err())?) else { continue };
            let published = parse_timestamp(&row.text(2).map_err(self.err())?).ok();
            let first_seen = row.opt_text(3).map_err(self.err())?.and_then(|t| parse_timestamp(&t).ok());
            let published = published.filter(|p| Some(*p) != first_seen);
            hashes.insert(row.text(0).map_err(self.err())?, KnownItem { id, published });
        }
        Ok(hashes)
    }

    pub(super) fn drop_unlisted(&mut self, listed: &[(&Slug, &[UpstreamSource])]) -> Result<usize, StoreError> {
        self.write(|tx| {
            let (mut removed, mut pending) = (0, Pending::default());
            for (feed, sources) in listed {
                let stored = tx.query(
                    "SELECT source FROM items WHERE feed = ?1 AND source IS NOT NULL
                     UNION SELECT url FROM sources WHERE feed = ?1",
                    params![feed.as_str()],
                )?;
                let stored = stored.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()?;
                for gone in stored.iter().filter(|s| !sources.iter().any(|l| l.url.as_str() == s.as_str())) {
                    let key = params![feed.as_str(), gone.as_str()];
                    let n = tx.execute("DELETE FROM items WHERE feed = ?1 AND source = ?2", key)? as usize;
                    if n > 0 {
                        pending.feed(tx, feed, false)?;
                    }
                    removed += n;
                    tx.execute("DELETE FROM sources WHERE feed = ?1 AND url = ?2", key)?;
                    tx.execute("DELETE FROM leases WHERE feed = ?1 AND url = ?2", key)?;
                }
            }
            pending.stamp(tx)?;
            Ok(removed)
        })
    }
}

mod backfill;
mod items;
