//! One page of a source's history (`backfill`) into `items`, ranked below what the source
//! lists, with how far the walk has come.

use chrono::{DateTime, Utc};
use url::Url;

use super::super::sql::{DbError, params};
use super::super::sql_local::Pending;
use super::super::sql_store::SqlStore;
use super::super::{Backfill, PollReport, Polled, StoreError, parse_timestamp};
use super::{items, prune};
use crate::model::Slug;

impl SqlStore {
    /// Stores the items of one page of `source`'s history and how far the walk has come
    /// (`next`), in one transaction. The items count as seen a second before the earliest time
    /// the source's items and this page's dates know (first seen or published): an undated one
    /// is published there, behind the old items it came with rather than on top of the feed,
    /// and they are the first to go past `keep` — at once, when the page brings more than
    /// there is room for. Returns what changed, and
    /// [`Backfill::Done`] in place of `next` once the source holds `keep` items.
    pub(in crate::store) fn write_backfill(
        &mut self,
        feed: &Slug,
        source: &Url,
        polled: Polled<'_>,
        keep: usize,
        next: &Backfill,
        now: DateTime<Utc>,
    ) -> Result<(PollReport, Backfill), StoreError> {
        self.write(|tx| {
            let row = tx.query_opt(
                "SELECT MIN(first_seen), MIN(published) FROM items WHERE feed = ?1 AND source = ?2",
                params![feed.as_str(), source.as_str()],
            )?;
            let stored = |i| -> Result<Option<DateTime<Utc>>, DbError> {
                let text = row.as_ref().map(|r| r.opt_text(i)).transpose()?.flatten();
                Ok(text.and_then(|t| parse_timestamp(&t).ok()))
            };
            let dated = polled.items.iter().filter_map(|i| i.published);
            let earliest = [stored(0)?, stored(1)?].into_iter().flatten().chain(dated).min().unwrap_or(now).min(now);
            let seen = earliest.checked_sub_signed(chrono::TimeDelta::seconds(1)).unwrap_or(earliest);
            let mut report = PollReport { unchanged: polled.unchanged.len(), ..PollReport::default() };
            let mut pending = Pending::default();
            items::write_items(
                tx,
                feed,
                source,
                polled.items,
                items::Seen::History(seen),
                now,
                &mut pending,
                &mut report,
            )?;
            let held = prune(tx, feed, source, &[], keep, &mut report)?;
            let next = if held >= keep { Backfill::Done } else { next.clone() };
            tx.execute(
                // A walk another process finished stays finished (replicas, overlapping cron
                // runs: the walk holds no lease).
                "UPDATE sources SET backfill = ?3
                 WHERE feed = ?1 AND url = ?2 AND (backfill IS NULL OR backfill <> 'done')",
                params![feed.as_str(), source.as_str(), next.stored().as_deref()],
            )?;
            if report.added + report.updated + report.removed > 0 {
                pending.feed(tx, feed, false)?;
            }
            pending.stamp(tx)?;
            Ok((report, next))
        })
    }
}
