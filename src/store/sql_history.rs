//! A feed's dates and history on either backend: what the archive plan is made from, read in
//! one snapshot with the items of the page it picks.

use std::ops::Range;

use chrono::{DateTime, Utc};

use super::local::FeedDates;
use super::sql::{Conn, DbError, params};
use super::sql_store::{ITEM_COLUMNS, SqlStore};
use super::{StoreError, parse_timestamp};
use crate::model::{Item, Slug};

impl SqlStore {
    pub(super) fn read_feed_dates(&self, feed: &Slug, limit: usize) -> Result<FeedDates, StoreError> {
        let raw = self.read(|c| dates_in(c, feed, limit))?;
        self.parse_dates(feed, raw)
    }

    /// One read snapshot: every date of `feed`, then the items of the range `pick` chooses
    /// from them (newest first).
    pub(super) fn read_history(
        &self,
        feed: &Slug,
        pick: &mut dyn FnMut(&[DateTime<Utc>]) -> Range<usize>,
    ) -> Result<(FeedDates, Vec<Item>), StoreError> {
        let mut conn = self.conn.borrow_mut();
        let c = conn.as_mut();
        let err = self.err();
        c.begin_read().map_err(&err)?;
        let mut read = || {
            let dates = self.parse_dates(feed, dates_in(c, feed, usize::MAX).map_err(&err)?)?;
            let range = pick(&dates.published);
            let (skip, take) = (range.start, range.end.saturating_sub(range.start));
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1 ORDER BY published DESC, id LIMIT ?2 OFFSET ?3"
            );
            let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            let rows = c.query(&sql, params![feed.as_str(), count(take), count(skip)]).map_err(&err)?;
            let items = rows.iter().map(|row| self.item_from(feed, row)).collect::<Result<Vec<_>, _>>()?;
            Ok((dates, items))
        };
        let result = read();
        // Only read: ending it either way releases the snapshot.
        let end = if result.is_ok() { c.commit() } else { c.rollback() };
        let out = result?;
        end.map_err(&err)?;
        Ok(out)
    }

    /// [`dates_in`]'s dates, parsed.
    fn parse_dates(
        &self,
        feed: &Slug,
        (newest, published): (Option<String>, Vec<String>),
    ) -> Result<FeedDates, StoreError> {
        let corrupt = self.corrupt_dates(feed);
        Ok(FeedDates {
            newest_updated: newest.map(|t| parse_timestamp(&t)).transpose().map_err(|e| corrupt(e.to_string()))?,
            published: published
                .iter()
                .map(|t| parse_timestamp(t))
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt(e.to_string()))?,
        })
    }

    fn corrupt_dates(&self, feed: &Slug) -> impl Fn(String) -> StoreError + '_ {
        let feed = feed.to_string();
        move |message| StoreError::Corrupt { store: self.name.clone(), feed: feed.clone(), id: String::new(), message }
    }
}

/// The newest `updated` among a feed's items, and the `published` of its newest `limit`, as
/// stored (see [`SqlStore::parse_dates`]).
fn dates_in(c: &mut dyn Conn, feed: &Slug, limit: usize) -> Result<(Option<String>, Vec<String>), DbError> {
    let newest = c.query_opt(
        "SELECT MAX(COALESCE(meta_updated, content_seen_at, published)) FROM items WHERE feed = ?1",
        params![feed.as_str()],
    )?;
    let published = c.query(
        "SELECT published FROM items WHERE feed = ?1 ORDER BY published DESC, id LIMIT ?2",
        params![feed.as_str(), i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    let published = published.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()?;
    Ok((newest.map(|r| r.opt_text(0)).transpose()?.flatten(), published))
}
