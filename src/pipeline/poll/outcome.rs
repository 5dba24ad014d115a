//! What happened to one source: parsing and storing a fetch result, and the outcome reported.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use url::Url;

use super::{Fetch, caught};
use crate::model::{Slug, UpstreamSource, redact};
use crate::source::upstream::discover::{Advertised, HubLinks};
use crate::source::upstream::{self, Fetched, Reading, schedule};
use crate::store::{KnownItem, PollReport, Polled, SourceState, Store, StoreError};
pub use take::NotKept;
use take::take;

/// What happened to one source.
#[derive(Debug)]
pub struct SourceOutcome {
    /// The feed it belongs to.
    pub feed: Slug,
    /// Its configured URL, as it may be shown ([`redact::for_logs`]: no credentials).
    pub url: Url,
    /// What the round did with it.
    pub status: PollStatus,
    /// What the store changed.
    pub report: PollReport,
    /// When it is due again (`None` once retired).
    pub next_poll: Option<DateTime<Utc>>,
    /// How its document was read (encoding, repairs), when one was.
    pub reading: Option<Reading>,
    /// Items of its document that were not kept, by reason.
    pub not_kept: NotKept,
    /// What the walk of its history did, when one ran (`backfill = true`).
    pub backfill: Option<super::Backfilled>,
    /// What its document says of a WebSub hub (`Unread` when no document was read).
    pub websub: Advertised,
    /// Its definition, when it was polled (the subscriber schedules by it).
    pub(in crate::pipeline) source: Option<UpstreamSource>,
    /// Its document's link to the page of history before it.
    pub(super) prev_archive: Option<Url>,
}

impl SourceOutcome {
    /// Whether this counts as a failure (for the exit code): the poll failed, or the walk of
    /// its history stopped at a page it could not read.
    pub fn failed(&self) -> bool {
        matches!(self.status, PollStatus::Failed(_)) || self.backfill.as_ref().is_some_and(|b| b.end.failed())
    }

    /// Whether the store changed: items added, updated or removed, by the poll or by the walk
    /// of its history after it.
    pub fn changed(&self) -> bool {
        let changed = |r: &PollReport| r.added + r.updated + r.removed > 0;
        changed(&self.report) || self.backfill.as_ref().is_some_and(|b| changed(&b.report))
    }

    /// A source the round left alone.
    pub(super) fn skipped(feed: &Slug, url: &Url, status: PollStatus, state: &SourceState) -> Self {
        SourceOutcome {
            feed: feed.clone(),
            url: redact::for_logs(url),
            status,
            report: PollReport::default(),
            next_poll: (!state.retired).then_some(state.next_poll),
            reading: None,
            not_kept: NotKept::default(),
            backfill: None,
            websub: Advertised::Unread,
            source: None,
            prev_archive: None,
        }
    }
}

/// What a round did with one source. `Display` is the text `feedpub poll` prints after the
/// source's URL (`200`, `304`, `410 gone`, `not due`, `retired (410 Gone)`, or the error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    /// A document was fetched (200) and stored.
    Fetched,
    /// The upstream answered 304 Not Modified.
    NotModified,
    /// The upstream answered 410 Gone: the source is retired from now on.
    Gone,
    /// Not polled: its next poll time has not come.
    NotDue,
    /// Not polled: it answered 410 Gone before.
    Retired,
    /// Not polled here: another replica holds its lease (it is polling it now).
    Elsewhere,
    /// The fetch or the document failed: the error, one bounded line, without the source's URL
    /// when it only repeated it.
    Failed(String),
}

impl fmt::Display for PollStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PollStatus::Fetched => "200",
            PollStatus::NotModified => "304",
            PollStatus::Gone => "410 gone",
            PollStatus::NotDue => "not due",
            PollStatus::Retired => "retired (410 Gone)",
            PollStatus::Elsewhere => "polled by another replica",
            PollStatus::Failed(error) => error,
        })
    }
}

/// Longest error kept and printed for one source, in characters.
const MAX_ERROR_CHARS: usize = 500;

/// An error as one bounded line: its text can quote the upstream (a parser's excerpt of the
/// document, a `Location`), which may hold line breaks — a forged log line — or megabytes.
pub(super) fn one_line(text: &str) -> String {
    let mut line: String = text.chars().take(MAX_ERROR_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(MAX_ERROR_CHARS).is_some() {
        line.push('…');
    }
    line
}

/// Parses and stores one fetch result with the source's new state, on the poll's threads
/// ([`pool`]).
pub(super) fn apply(
    store: &mut dyn Store,
    feed: &Slug,
    src: &UpstreamSource,
    state: SourceState,
    result: Fetch,
    now: DateTime<Utc>,
) -> Result<SourceOutcome, StoreError> {
    match pool() {
        Some(pool) => pool.install(|| apply_here(store, feed, src, state, result, now)),
        None => apply_here(store, feed, src, state, result, now),
    }
}

/// The threads a poll reads a document on (in parts), imports its items and makes them ready to
/// store: its own, one per core, not rayon's global pool. A poll holds the store (in `serve`,
/// its lock; then a write transaction) while it does, and on the global pool its work would
/// queue behind whatever else is there, such as `serve` compressing a whole site. `None` when
/// its threads cannot be started: the poll then runs where it was called.
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().thread_name(|n| format!("feedpub-poll-{n}")).build().ok())
        .as_ref()
}

/// Reads one document fetched for `src` from `url` (a poll's, or a page of its history), on
/// the poll's threads ([`pool`]). A panic while reading (a bug, whatever the input) is the
/// document's error, not the round's.
pub(super) fn read_document(
    bytes: &[u8],
    charset: Option<&str>,
    url: &Url,
    src: &UpstreamSource,
    known: &HashMap<String, KnownItem>,
) -> Result<take::Taken, upstream::ParseError> {
    let read = || {
        caught(|| take(bytes, charset, url, src, known)).unwrap_or_else(|panic| {
            let message = format!("reading it failed (a bug in feedpub): {panic}");
            Err(upstream::ParseError { url: url.clone(), message })
        })
    };
    match pool() {
        Some(pool) => pool.install(read),
        None => read(),
    }
}

/// [`apply`] on the calling thread (and, within it, on the current rayon pool).
fn apply_here(
    store: &mut dyn Store,
    feed: &Slug,
    src: &UpstreamSource,
    mut state: SourceState,
    result: Fetch,
    now: DateTime<Utc>,
) -> Result<SourceOutcome, StoreError> {
    state.last_polled = Some(now);
    let (mut items, mut unchanged, mut reading, mut not_kept) = (Vec::new(), Vec::new(), None, NotKept::default());
    let (mut prev_archive, mut websub) = (None, Advertised::Unread);
    // The status, or the error and the Retry-After it came with.
    let result = match result {
        Ok(Fetched::Document { bytes, charset, url, validators, moved_to, freshness, links }) => {
            // Items stored as their raw text is now are not read again.
            let known = store.raw_hashes(feed, &src.url)?;
            // A panic while reading is that source's error: its state is written and it backs
            // off, and the sources after it are stored.
            match read_document(&bytes, charset.as_deref(), &url, src, &known) {
                Ok(taken) => {
                    let parsed = taken.feed;
                    prev_archive = parsed.prev_archive.clone();
                    let document = HubLinks { hub: parsed.hub.clone(), topic: parsed.self_link.clone() };
                    websub = Advertised::of(&links, &document, &url);
                    (items, unchanged, reading, not_kept) =
                        (taken.articles, taken.unchanged, Some(taken.reading), taken.not_kept);
                    if let Some(to) = moved_to {
                        let (from, to_shown) = (redact::for_logs(&state.current_url), redact::for_logs(&to));
                        tracing::info!(feed = %feed, %from, to = %to_shown, "source moved permanently");
                        state.current_url = to;
                    }
                    state.etag = validators.etag;
                    state.last_modified = validators.last_modified;
                    // Adaptive: a source that publishes rarely is polled less often (a quarter of
                    // its median gap between items, like our own <ttl>), within its bounds.
                    let published = taken.published;
                    let bounds = crate::config::TtlBounds {
                        min_minutes: src.min_interval_minutes,
                        max_minutes: src.max_interval_minutes,
                    };
                    let cadence =
                        (published.len() >= 2).then(|| crate::render::cadence::ttl_minutes(&published, bounds));
                    let hint = parsed.ttl_minutes.into_iter().chain(cadence).max();
                    state.next_poll = schedule::after_success(src, freshness, hint, now);
                    Ok(PollStatus::Fetched)
                }
                // A malformed document changes nothing stored; validators stay as they were, so
                // the next poll fetches it again.
                Err(e) => Err((e.to_string(), None)),
            }
        }
        Ok(Fetched::NotModified { moved_to, freshness }) => {
            if let Some(to) = moved_to {
                state.current_url = to;
            }
            state.next_poll = schedule::after_success(src, freshness, None, now);
            Ok(PollStatus::NotModified)
        }
        Ok(Fetched::Gone) => {
            tracing::warn!(feed = %feed, url = %redact::for_logs(&src.url), "source is gone (410): retired");
            state.retired = true;
            Ok(PollStatus::Gone)
        }
        Err(e) => {
            let retry_after = match &e {
                upstream::FetchError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            Err((e.to_string(), retry_after))
        }
    };
    let shown = redact::for_logs(&src.url);
    let status = match result {
        Err((error, retry_after)) => {
            let error = one_line(&error);
            state.failures += 1;
            state.next_poll = schedule::after_failure(src, state.failures, retry_after, now);
            state.last_status = Some("error".into());
            // The line already names the source; an error about that same URL need not repeat
            // it (one about where a redirect led keeps its URL).
            let status = PollStatus::Failed(error.strip_prefix(&format!("{shown}: ")).unwrap_or(&error).to_owned());
            state.last_error = Some(error);
            status
        }
        Ok(status) => {
            state.failures = 0;
            state.last_error = None;
            // What the store keeps is what is printed: "200", "304", "410 gone".
            state.last_status = Some(status.to_string());
            status
        }
    };
    let polled = Polled { items: &items, unchanged: &unchanged };
    let report = store.record(feed, &src.url, &state, polled, src.kept(), now)?;
    // Too late: another replica claimed it meanwhile, and its poll is the one kept.
    let status = if report.lease_lost { PollStatus::Elsewhere } else { status };
    Ok(SourceOutcome {
        feed: feed.clone(),
        url: shown,
        status,
        report,
        next_poll: (!state.retired).then_some(state.next_poll),
        reading,
        not_kept,
        backfill: None,
        websub,
        source: Some(src.clone()),
        prev_archive,
    })
}

mod take;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_one_bounded_line() {
        assert_eq!(one_line("a\nforged: line\r\u{1b}[31m"), "a forged: line  [31m");
        let long = one_line(&"x".repeat(1_000_000));
        assert_eq!(long.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn statuses_print_as_before() {
        let shown: Vec<String> = [
            PollStatus::Fetched,
            PollStatus::NotModified,
            PollStatus::Gone,
            PollStatus::NotDue,
            PollStatus::Retired,
            PollStatus::Failed("HTTP 500".into()),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(shown, ["200", "304", "410 gone", "not due", "retired (410 Gone)", "HTTP 500"]);
    }
}
