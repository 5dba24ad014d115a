//! Backfill: an upstream's history, read once (`[[source]] backfill = true`). After a good poll,
//! the walk follows the document's RFC 5005 `prev-archive` link (JSON Feed: `next_url`) from
//! page to page, oldest last, and stores each page's items as a poll does: through the same
//! fetcher (the SSRF guard, timeouts, size caps), one page at a time within the source's place
//! in the round (so within its host's limit of fetches at once), read and sanitised the same
//! way, each page one transaction. It ends at the oldest page, at a page it has seen (a loop),
//! at [`MAX_PAGES`], at a page that cannot be read for good (a 4xx, not a feed), or once the
//! source holds `keep` items. A round reads at most [`PAGES_PER_ROUND`] pages for one source, for
//! at most [`ROUND_BUDGET`], so a long or slow history does not hold up the other sources'
//! polls; a page that fails for now (a 5xx, a timeout) stops it there too. The next good poll
//! (200 or 304) goes on from that page.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use url::Url;

use super::outcome::{NotKept, one_line, read_document};
use super::{PollError, SharedStore, blocking, lock};
use crate::model::{Slug, UpstreamSource, redact};
use crate::source::upstream::{FetchError, Fetched, Fetcher, Validators};
use crate::store::{Backfill, PollReport, Polled};

/// Most pages one source's walk reads, over all rounds: an upstream whose chain is longer (or
/// endless, each page at a new URL) is read this far and no further.
pub const MAX_PAGES: u32 = 1_000;

/// Most pages of one source's history a round reads.
pub const PAGES_PER_ROUND: u32 = 50;

/// Longest a round spends on one source's history before the next page (each page also has
/// the fetch timeout).
pub const ROUND_BUDGET: Duration = Duration::from_secs(120);

/// What a walk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfilled {
    /// Pages read and stored in this round.
    pub pages: u32,
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
    /// This round's share ([`PAGES_PER_ROUND`], [`ROUND_BUDGET`]) is used: the next good poll
    /// goes on.
    Paused,
    /// A page can never be read (a 4xx but 408 and 429, a document that is no feed): the walk
    /// ends there.
    Broken {
        /// The page, one line, without credentials.
        at: String,
        /// Why, one line.
        error: String,
    },
    /// A page could not be fetched for now: the next good poll goes on from it.
    Stopped {
        /// The page, one line, without credentials.
        at: String,
        /// Why, one line.
        error: String,
    },
}

impl WalkEnd {
    /// Whether the history stays incomplete because a page failed (the poll's exit status).
    pub fn failed(&self) -> bool {
        matches!(self, WalkEnd::Broken { .. } | WalkEnd::Stopped { .. })
    }
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
            WalkEnd::Paused => f.write_str(", paused (this round's share); goes on at the next poll"),
            WalkEnd::Broken { at, error } => write!(f, ", ended at {at}: {error}"),
            WalkEnd::Stopped { at, error } => write!(f, ", stopped at {at}: {error}; goes on at the next poll"),
        }
    }
}

/// Where a source's walk starts after a good poll: `None` when it needs none (not asked for,
/// or done) or cannot begin yet (a 304: no document to find the first link in).
/// `document` is the poll's document's `prev-archive` link, when the poll read a document.
pub(super) fn start(src: &UpstreamSource, state: &Backfill, document: Option<Option<&Url>>) -> Option<Backfill> {
    match state {
        _ if !src.backfill => None,
        Backfill::Done => None,
        Backfill::At { .. } => Some(state.clone()),
        Backfill::NotBegun => {
            let link = document?;
            Some(link.map_or(Backfill::Done, |u| Backfill::At { page: u.clone(), read: 0 }))
        }
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
    let started = Instant::now();
    let (mut at, mut read) = match from {
        Backfill::At { page, read } => (page, read),
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
        } else if read >= MAX_PAGES {
            Some(WalkEnd::PageCap)
        } else if done.pages >= PAGES_PER_ROUND || started.elapsed() >= ROUND_BUDGET {
            done.end = WalkEnd::Paused;
            save(store, feed, src, Backfill::At { page: at, read }, now).await?;
            return Ok(done);
        } else {
            None
        };
        if let Some(end) = end {
            done.end = end;
            save(store, feed, src, Backfill::Done, now).await?;
            return Ok(done);
        }
        // Why the page failed, and whether for good.
        let (error, for_good) = match fetcher.fetch(&at, &Validators::default()).await {
            Ok(Fetched::Document { bytes, charset, url, .. }) => {
                let (store, feed, src, page) = (store.clone(), feed.clone(), src.clone(), at.clone());
                let stored = blocking(move || {
                    // Read without holding the store: the round's other sources record meanwhile.
                    let known = lock(&store)?.raw_hashes(&feed, &src.url)?;
                    let taken = match read_document(&bytes, charset.as_deref(), &url, &src, &known) {
                        Ok(taken) => taken,
                        Err(e) => return Ok(Err(e.to_string())),
                    };
                    // The next page to read, saved with this one's items: a walk cut short here
                    // goes on from there.
                    let next = match taken.feed.prev_archive {
                        Some(older) if older != page => Backfill::At { page: older, read: read + 1 },
                        Some(_) | None => Backfill::Done,
                    };
                    let polled = Polled { items: &taken.articles, unchanged: &taken.unchanged };
                    let (report, then) =
                        lock(&store)?.record_backfill(&feed, &src.url, polled, src.kept(), &next, now)?;
                    // The store ends a walk that had more to read once `keep` is reached.
                    let full = then == Backfill::Done && next != Backfill::Done;
                    Ok::<_, PollError>(Ok((report, then, full, taken.not_kept)))
                })
                .await??;
                match stored {
                    Ok((report, next, full, not_kept)) => {
                        done.pages += 1;
                        done.report += report;
                        done.not_kept += not_kept;
                        if let Backfill::At { page, read: so_far } = next {
                            (at, read) = (page, so_far);
                            continue;
                        }
                        done.end = if full { WalkEnd::Full } else { WalkEnd::Oldest };
                        return Ok(done);
                    }
                    // Not a feed: reading it again will not make it one.
                    Err(error) => (error, true),
                }
            }
            Ok(Fetched::Gone) => {
                done.end = WalkEnd::Gone;
                save(store, feed, src, Backfill::Done, now).await?;
                return Ok(done);
            }
            // Asked without validators, an upstream that answers 304 has nothing to give.
            Ok(Fetched::NotModified { .. }) => ("304 Not Modified to a request without validators".to_owned(), true),
            Err(e) => {
                let for_good = matches!(&e, FetchError::Status { status, .. }
                    if (400..500).contains(status) && *status != 408 && *status != 429);
                (e.to_string(), for_good)
            }
        };
        let (shown, error) = (one_line(redact::for_logs(&at).as_str()), one_line(&error));
        let (end, state) = match for_good {
            true => (WalkEnd::Broken { at: shown, error }, Backfill::Done),
            false => (WalkEnd::Stopped { at: shown, error }, Backfill::At { page: at, read }),
        };
        done.end = end;
        save(store, feed, src, state, now).await?;
        return Ok(done);
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
        let other = Backfill::At { page: Url::parse("https://wire.example/archive/7").unwrap(), read: 3 };
        let document = Some(Some(&page));
        assert_eq!(start(&source(false), &Backfill::NotBegun, document), None, "not asked for");
        assert_eq!(start(&source(true), &Backfill::Done, document), None, "walked before");
        let first = Backfill::At { page: page.clone(), read: 0 };
        assert_eq!(start(&source(true), &Backfill::NotBegun, document), Some(first));
        assert_eq!(start(&source(true), &Backfill::NotBegun, Some(None)), Some(Backfill::Done), "no history: once");
        assert_eq!(start(&source(true), &Backfill::NotBegun, None), None, "a 304 shows no link to begin from");
        assert_eq!(start(&source(true), &other, document), Some(other.clone()), "goes on where it stopped");
        assert_eq!(start(&source(true), &other, None), Some(other), "after a 304 too");
    }

    #[test]
    fn a_stored_state_reads_back() {
        let page = Url::parse("https://wire.example/archive/2?p=1 2").unwrap();
        for state in [Backfill::NotBegun, Backfill::At { page, read: 17 }, Backfill::Done] {
            assert_eq!(Backfill::from_stored(state.stored().as_deref()), state);
        }
        assert_eq!(Backfill::from_stored(Some("not a url")), Backfill::NotBegun);
        assert_eq!(Backfill::from_stored(Some("3 not a url")), Backfill::NotBegun);
    }
}
