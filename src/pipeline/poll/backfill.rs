//! Backfill: an upstream's history, read once (`[[source]] backfill = true`). After a good poll,
//! the walk follows the document's RFC 5005 `prev-archive` link (JSON Feed: `next_url`) from
//! page to page, oldest last, and stores each page's items as a poll does: through the same
//! fetcher (the SSRF guard, timeouts, size caps), one page at a time within the source's place
//! in the round (so within its host's limit of fetches at once), read and sanitised the same
//! way, each page one transaction. It ends at the oldest page, at a page it has seen (a loop),
//! at [`MAX_PAGES`], or once the source holds `keep` items; a page that fails stops it where
//! it is, and the next good poll goes on from that page.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Utc};
use url::Url;

use super::outcome::{NotKept, take};
use super::{PollError, SharedStore, blocking, caught, lock};
use crate::model::{Slug, UpstreamSource, redact};
use crate::source::upstream::{Fetched, Fetcher, Validators};
use crate::store::{Backfill, PollReport, Polled};

/// Most pages one source's walk reads: an upstream whose chain is longer (or endless, each page
/// at a new URL) is read this far and no further.
pub const MAX_PAGES: usize = 1_000;

/// What a walk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfilled {
    /// Pages read and stored.
    pub pages: usize,
    /// What the store changed, all pages together.
    pub report: PollReport,
    /// Items of those pages not kept, by reason.
    pub not_kept: NotKept,
    /// Why it ended.
    pub end: WalkEnd,
}

/// Why a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkEnd {
    /// The document links no page of history: there is nothing to walk.
    NoHistory,
    /// The oldest page was read (it links none before it).
    Oldest,
    /// The source holds `keep` items.
    Full,
    /// A page linked one already read in this walk.
    Loop,
    /// [`MAX_PAGES`] were read.
    PageCap,
    /// A page answered 410 Gone.
    Gone,
    /// A page could not be fetched or read: the next good poll goes on from it (shown without
    /// credentials).
    Stopped {
        /// The page.
        at: Url,
        /// Why, one line.
        error: String,
    },
}

impl fmt::Display for Backfilled {
    /// `backfill: 3 pages, 250 new, 0 updated, done (the oldest page)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Backfilled { pages, report, not_kept, end } = self;
        write!(f, "backfill: {pages} pages, {} new, {} updated", report.added, report.updated)?;
        if report.removed > 0 {
            write!(f, ", {} removed (past keep)", report.removed)?;
        }
        if not_kept.total() > 0 {
            write!(f, ", {not_kept}")?;
        }
        match end {
            WalkEnd::NoHistory => f.write_str(", done (the feed links no archive)"),
            WalkEnd::Oldest => f.write_str(", done (the oldest page)"),
            WalkEnd::Full => f.write_str(", done (keep reached)"),
            WalkEnd::Loop => f.write_str(", done (a page links one already read)"),
            WalkEnd::PageCap => write!(f, ", done ({MAX_PAGES} pages, the most one walk reads)"),
            WalkEnd::Gone => f.write_str(", done (a page is gone)"),
            WalkEnd::Stopped { at, error } => write!(f, ", stopped at {at}: {error}; goes on at the next poll"),
        }
    }
}

/// Where a source's walk starts after a good poll whose document links `prev_archive`: `None`
/// when it needs none (not asked for, or done).
pub(super) fn start(src: &UpstreamSource, state: &Backfill, prev_archive: Option<&Url>) -> Option<Backfill> {
    match state {
        _ if !src.backfill => None,
        Backfill::Done => None,
        Backfill::At(url) => Some(Backfill::At(url.clone())),
        Backfill::NotBegun => Some(prev_archive.map_or(Backfill::Done, |u| Backfill::At(u.clone()))),
    }
}

/// Walks `src`'s history from `from` ([`start`]), storing each page as it goes.
pub(super) async fn walk(
    fetcher: &Fetcher,
    store: &SharedStore,
    feed: &Slug,
    src: &UpstreamSource,
    from: Backfill,
    now: DateTime<Utc>,
) -> Result<Backfilled, PollError> {
    let mut done =
        Backfilled { pages: 0, report: PollReport::default(), not_kept: NotKept::default(), end: WalkEnd::Oldest };
    let mut seen = HashSet::new();
    let mut at = match from {
        Backfill::At(url) => url,
        // Nothing to walk: recorded, so the source is not asked again.
        _ => {
            done.end = WalkEnd::NoHistory;
            save(store, feed, src, Backfill::Done, now).await?;
            return Ok(done);
        }
    };
    loop {
        let end = if !seen.insert(at.clone()) {
            Some(WalkEnd::Loop)
        } else if done.pages == MAX_PAGES {
            Some(WalkEnd::PageCap)
        } else {
            None
        };
        if let Some(end) = end {
            done.end = end;
            save(store, feed, src, Backfill::Done, now).await?;
            return Ok(done);
        }
        let error = match fetcher.fetch(&at, &Validators::default()).await {
            Ok(Fetched::Document { bytes, charset, url, .. }) => {
                let (store, feed, src, page) = (store.clone(), feed.clone(), src.clone(), at.clone());
                let stored = blocking(move || {
                    let mut store = lock(&store)?;
                    let known = store.raw_hashes(&feed, &src.url)?;
                    let read = caught(|| take(&bytes, charset.as_deref(), &url, &src, &known))
                        .unwrap_or_else(|panic| Err(reading_failed(&url, &panic)));
                    let taken = match read {
                        Ok(taken) => taken,
                        Err(e) => return Ok(Err(e.to_string())),
                    };
                    // The next page to read, saved with this one's items: a walk cut short here
                    // goes on from there.
                    let next = match taken.feed.prev_archive {
                        Some(older) if older != page => Backfill::At(older),
                        Some(_) | None => Backfill::Done,
                    };
                    let polled = Polled { items: &taken.articles, unchanged: &taken.unchanged };
                    let (report, then) = store.record_backfill(&feed, &src.url, polled, src.kept(), &next, now)?;
                    // The store ends a walk that had more to read once `keep` is reached.
                    let full = then == Backfill::Done && next != Backfill::Done;
                    Ok::<_, PollError>(Ok((report, then, full, taken.not_kept)))
                })
                .await??;
                match stored {
                    Ok((report, next, full, not_kept)) => {
                        done.pages += 1;
                        add(&mut done.report, &report);
                        done.not_kept += not_kept;
                        if let Backfill::At(older) = next {
                            at = older;
                            continue;
                        }
                        done.end = if full { WalkEnd::Full } else { WalkEnd::Oldest };
                        return Ok(done);
                    }
                    Err(error) => error,
                }
            }
            Ok(Fetched::Gone) => {
                done.end = WalkEnd::Gone;
                save(store, feed, src, Backfill::Done, now).await?;
                return Ok(done);
            }
            // Asked without validators, an upstream that answers 304 has nothing to give.
            Ok(Fetched::NotModified { .. }) => "304 Not Modified to a request without validators".to_owned(),
            Err(e) => e.to_string(),
        };
        done.end = WalkEnd::Stopped { error: super::outcome::one_line(&error), at: redact::for_logs(&at) };
        save(store, feed, src, Backfill::At(at), now).await?;
        return Ok(done);
    }
}

fn add(total: &mut PollReport, page: &PollReport) {
    total.added += page.added;
    total.updated += page.updated;
    total.unchanged += page.unchanged;
    total.removed += page.removed;
}

fn reading_failed(url: &Url, panic: &str) -> crate::source::upstream::ParseError {
    crate::source::upstream::ParseError {
        url: url.clone(),
        message: format!("reading it failed (a bug in feedpub): {panic}"),
    }
}

/// Records how far the walk has come, with no items.
async fn save(
    store: &SharedStore,
    feed: &Slug,
    src: &UpstreamSource,
    state: Backfill,
    now: DateTime<Utc>,
) -> Result<(), PollError> {
    let (store, feed, url, keep) = (store.clone(), feed.clone(), src.url.clone(), src.kept());
    blocking(move || {
        let none = Polled { items: &[], unchanged: &[] };
        lock(&store)?.record_backfill(&feed, &url, none, keep, &state, now).map(drop).map_err(PollError::from)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(backfill: bool) -> UpstreamSource {
        let url = Url::parse("https://wire.example/rss").unwrap();
        UpstreamSource { url, min_interval_minutes: 15, max_interval_minutes: 360, limit: None, keep: None, backfill }
    }

    #[test]
    fn a_walk_starts_once_where_it_stopped() {
        let page = Url::parse("https://wire.example/archive/2").unwrap();
        let other = Url::parse("https://wire.example/archive/7").unwrap();
        assert_eq!(start(&source(false), &Backfill::NotBegun, Some(&page)), None, "not asked for");
        assert_eq!(start(&source(true), &Backfill::Done, Some(&page)), None, "walked before");
        assert_eq!(start(&source(true), &Backfill::NotBegun, Some(&page)), Some(Backfill::At(page.clone())));
        assert_eq!(start(&source(true), &Backfill::NotBegun, None), Some(Backfill::Done), "no history: said once");
        assert_eq!(
            start(&source(true), &Backfill::At(other.clone()), Some(&page)),
            Some(Backfill::At(other)),
            "goes on where it stopped"
        );
    }

    #[test]
    fn a_stored_state_reads_back() {
        let page = Url::parse("https://wire.example/archive/2?p=1").unwrap();
        for state in [Backfill::NotBegun, Backfill::At(page), Backfill::Done] {
            assert_eq!(Backfill::from_stored(state.stored()), state);
        }
        assert_eq!(Backfill::from_stored(Some("not a url")), Backfill::NotBegun);
    }
}
