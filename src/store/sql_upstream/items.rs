//! One poll's items into `items`, in the poll's transaction: what the store has of them,
//! looked up by id a batch at a time; each one's stored form (its content as JSON and its
//! fingerprint) made on every core; then each inserted, updated or left, in document order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use url::Url;

use super::super::sql::{Conn, DbError, Row, Value, params};
use super::super::sql_local::Pending;
use super::super::sql_store::{ItemRow, UpstreamRow, write_item};
use super::super::upstream::{believable, believed};
use super::super::{Change, PollReport, Stored, content_json, decide, fingerprint_json, parse_timestamp};
use crate::model::{Article, Slug, UpstreamArticle};

/// Ids looked up per query: within every engine's limit on parameters, and few enough
/// distinct statement texts (one per batch size) for the statement caches.
const BATCH: usize = 100;

/// Items whose stored forms are made on one core, at least: fewer are not worth a thread.
const PER_CORE: usize = 64;

/// An item with what the store has of it, as it will be stored.
struct Prepared<'a> {
    item: &'a UpstreamArticle,
    stored: Option<&'a Row>,
    article: Article,
    first_seen: DateTime<Utc>,
    claimed_published: Option<DateTime<Utc>>,
}

/// Where a batch of items comes from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Seen {
    /// The source's document, now.
    Now,
    /// A page of the source's history: new items are first seen at this time, and an item
    /// stored already is left as it is (the document may carry a newer version of it).
    History(DateTime<Utc>),
}

/// Writes `items`, polled from `source` for `feed` at `now`, counting them in `report`.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_items(
    tx: &mut dyn Conn,
    feed: &Slug,
    source: &Url,
    items: &[UpstreamArticle],
    seen: Seen,
    now: DateTime<Utc>,
    pending: &mut Pending,
    report: &mut PollReport,
) -> Result<(), DbError> {
    // What the store has of these items, by id (as their ids outlive a rotated token in the
    // source's URL): one query per batch rather than one per item.
    let mut rows = Vec::new();
    for batch in items.chunks(BATCH) {
        let marks: Vec<String> = (2..batch.len() + 2).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "SELECT id, content_hash, content_seen_at, first_seen, claimed_published, raw_hash
             FROM items WHERE feed = ?1 AND id IN ({})",
            marks.join(", ")
        );
        let mut values = vec![Value::from(feed.as_str())];
        values.extend(batch.iter().map(|i| Value::from(i.id.as_str())));
        rows.extend(tx.query(&sql, &values)?);
    }
    let mut have = HashMap::with_capacity(rows.len());
    for row in &rows {
        have.insert(row.text(0)?, row);
    }
    let time = |row: &Row, i| row.opt_text(i).map(|t| t.and_then(|t| parse_timestamp(&t).ok()));
    let prepared = items
        .iter()
        .map(|item| {
            let stored = have.get(item.id.as_str()).copied();
            // The first-seen time is stored once and then kept: undated and future-dated items
            // are published at it, so rebuilds stay byte-stable.
            let first_seen = stored.map(|r| time(r, 3)).transpose()?.flatten().unwrap_or(match seen {
                Seen::Now => now,
                Seen::History(at) => at,
            });
            let refused = stored.map(|r| time(r, 4)).transpose()?.flatten();
            let (published, claimed_published) = believed(item.published, first_seen, refused, now);
            let article = Article {
                id: item.id.clone(),
                content: item.content.clone(),
                published,
                updated: item.updated.filter(|u| believable(*u, now)),
            };
            Ok(Prepared { item, stored, article, first_seen, claimed_published })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    // Serialising and fingerprinting 4 MB of content is a third of storing 1,000 items, and
    // each item's is its own: on every core, before the writes that must go one at a time.
    let forms: Vec<(String, String)> = prepared
        .par_iter()
        .with_min_len(PER_CORE)
        .map(|p| {
            let json = content_json(&p.article);
            let hash = fingerprint_json(&json, &p.article);
            (json, hash)
        })
        .collect();
    for (p, (json, hash)) in prepared.iter().zip(&forms) {
        let raw_hash = p.item.raw_hash.as_deref();
        let stored_raw = p.stored.map(|r| r.opt_text(5)).transpose()?.flatten();
        let stored = match p.stored {
            Some(r) => Some(Stored { hash: r.text(1)?, content_seen_at: time(r, 2)? }),
            None => None,
        };
        let upstream = Some(UpstreamRow {
            source: source.as_str(),
            first_seen: p.first_seen,
            claimed_published: p.claimed_published,
            raw_hash,
        });
        let row =
            |content_seen_at| ItemRow { article: &p.article, content_json: json, hash, content_seen_at, upstream };
        match decide(stored.as_ref(), &p.article, hash, now) {
            Change::Insert => {
                let seq = pending.number_for(tx, feed)?;
                write_item(tx, feed, &row(None), seq)?;
                report.added += 1;
            }
            // History never rewrites what the source's document brought.
            Change::Update { .. } if matches!(seen, Seen::History(_)) => report.unchanged += 1,
            Change::Update { content_seen_at } => {
                let seq = pending.number_for(tx, feed)?;
                write_item(tx, feed, &row(Some(content_seen_at)), seq)?;
                report.updated += 1;
            }
            Change::Unchanged => {
                report.unchanged += 1;
                // Same content from other raw text (or stored before raw hashes): the next poll
                // skips it by the text it has now. Nothing on the site changes.
                if raw_hash.is_some() && raw_hash != stored_raw.as_deref() {
                    tx.execute(
                        "UPDATE items SET raw_hash = ?3 WHERE feed = ?1 AND id = ?2",
                        params![feed.as_str(), p.item.id.as_str(), raw_hash],
                    )?;
                }
            }
        }
    }
    Ok(())
}
