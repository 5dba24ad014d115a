//! The SQLite side of upstream sources: poll state and re-published items.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use url::Url;

use super::sqlite::{ItemRow, SqliteStore, UpstreamRow};
use super::sqlite_local::{mark_feed, next_seq};
use super::upstream::{believable, believed, past_keep};
use super::{
    Change, PollReport, SourceState, StoreError, Stored, UpstreamArticle, content_json, decide, fingerprint_json,
    parse_timestamp, timestamp,
};
use crate::model::{Article, Slug, UpstreamSource};

impl SqliteStore {
    pub(super) fn read_source_state(&self, feed: &Slug, source: &Url) -> Result<Option<SourceState>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT current_url, etag, last_modified, next_poll, failures, last_status, last_error, last_polled, retired
                 FROM sources WHERE feed = ?1 AND url = ?2",
                params![feed.as_str(), source.as_str()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, bool>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })?;
        let Some((current, etag, last_modified, next, failures, last_status, last_error, polled, retired)) = row else {
            return Ok(None);
        };
        let corrupt = |message: String| StoreError::Corrupt {
            path: self.path.clone(),
            feed: feed.to_string(),
            id: format!("source {}", crate::model::redact::for_logs(source)),
            message,
        };
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
        Ok(Some(SourceState {
            current_url: Url::parse(&current).map_err(|e| corrupt(e.to_string()))?,
            etag,
            last_modified,
            next_poll,
            failures,
            last_status,
            last_error,
            last_polled: polled.as_deref().and_then(|p| parse_timestamp(p).ok()),
            retired,
        }))
    }

    pub(super) fn write_poll(
        &mut self,
        feed: &Slug,
        source: &Url,
        state: &SourceState,
        items: &[UpstreamArticle],
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PollReport, StoreError> {
        let path = self.path.clone();
        let err = move |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
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
                state.etag,
                state.last_modified,
                timestamp(state.next_poll),
                state.failures,
                state.last_status,
                state.last_error,
                state.last_polled.map(timestamp),
                state.retired
            ],
        )
        .map_err(&err)?;
        let mut report = PollReport::default();
        let mut seq = None;
        for item in items {
            type Row = (String, Option<String>, Option<String>, Option<String>);
            let stored: Option<Row> = tx
                .prepare_cached(
                    "SELECT content_hash, content_seen_at, first_seen, claimed_published
                     FROM items WHERE feed = ?1 AND id = ?2",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(params![feed.as_str(), item.id.as_str()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                })
                .map_err(&err)?;
            let time = |t: Option<&String>| t.and_then(|t| parse_timestamp(t).ok());
            // The first-seen time is stored once and then kept: undated and future-dated items
            // are published at it, so rebuilds stay byte-stable.
            let first_seen = stored.as_ref().and_then(|(_, _, f, _)| time(f.as_ref())).unwrap_or(now);
            let refused = stored.as_ref().and_then(|(_, _, _, c)| time(c.as_ref()));
            let (published, claimed_published) = believed(item.published, first_seen, refused, now);
            let article = Article {
                id: item.id.clone(),
                content: item.content.clone(),
                published,
                updated: item.updated.filter(|u| believable(*u, now)),
            };
            let json = content_json(&article);
            let hash = fingerprint_json(&json, &article);
            let stored = stored.map(|(hash, seen, _, _)| Stored {
                hash,
                content_seen_at: seen.as_deref().and_then(|s| parse_timestamp(s).ok()),
            });
            let upstream = Some(UpstreamRow { source: source.as_str(), first_seen, claimed_published });
            let row = |content_seen_at| ItemRow {
                article: &article,
                content_json: &json,
                hash: &hash,
                content_seen_at,
                upstream,
            };
            match decide(stored.as_ref(), &article, &hash, now) {
                Change::Insert => {
                    Self::write(&tx, feed, &row(None), next_seq(&tx, &mut seq).map_err(&err)?).map_err(&err)?;
                    report.added += 1;
                }
                Change::Update { content_seen_at } => {
                    let s = next_seq(&tx, &mut seq).map_err(&err)?;
                    Self::write(&tx, feed, &row(Some(content_seen_at)), s).map_err(&err)?;
                    report.updated += 1;
                }
                Change::Unchanged => report.unchanged += 1,
            }
        }
        // The source keeps its newest `keep` items by first-seen order, and every item of this
        // poll; the rest leave the store, and so the site, in this same transaction.
        let ranked: Vec<String> = tx
            .prepare_cached(
                "SELECT id FROM items WHERE feed = ?1 AND source = ?2 ORDER BY first_seen DESC, published DESC, id",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![feed.as_str(), source.as_str()], |r| r.get(0))?.collect::<Result<_, _>>()
            })
            .map_err(&err)?;
        let batch: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        for id in past_keep(&ranked, &batch, keep) {
            report.removed += tx
                .prepare_cached("DELETE FROM items WHERE feed = ?1 AND id = ?2")
                .and_then(|mut stmt| stmt.execute(params![feed.as_str(), id]))
                .map_err(&err)?;
        }
        // Only a poll that changed an item dirties the feed (and only this feed).
        if report.added + report.updated + report.removed > 0 {
            mark_feed(&tx, feed, next_seq(&tx, &mut seq).map_err(&err)?, false).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(report)
    }

    pub(super) fn drop_unlisted(&mut self, listed: &[(&Slug, &[UpstreamSource])]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let err = move |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
        let (mut removed, mut seq) = (0, None);
        for (feed, sources) in listed {
            let stored: Vec<String> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT source FROM items WHERE feed = ?1 AND source IS NOT NULL
                         UNION SELECT url FROM sources WHERE feed = ?1",
                    )
                    .map_err(&err)?;
                stmt.query_map([feed.as_str()], |r| r.get(0)).map_err(&err)?.collect::<Result<_, _>>().map_err(&err)?
            };
            for gone in stored.iter().filter(|s| !sources.iter().any(|l| l.url.as_str() == s.as_str())) {
                let n = tx
                    .execute("DELETE FROM items WHERE feed = ?1 AND source = ?2", [feed.as_str(), gone])
                    .map_err(&err)?;
                if n > 0 {
                    mark_feed(&tx, feed, next_seq(&tx, &mut seq).map_err(&err)?, false).map_err(&err)?;
                }
                removed += n;
                tx.execute("DELETE FROM sources WHERE feed = ?1 AND url = ?2", [feed.as_str(), gone]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(removed)
    }
}
