//! What the store keeps about upstream sources: their poll state, and the items they bring.

use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use crate::model::{Content, ItemId};

/// The poll state of one source (a feed's `[[source]]`, by its configured URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// Where to fetch it now (a permanent redirect moves it; a temporary one does not).
    pub current_url: Url,
    /// `ETag` of the last document, sent back verbatim.
    pub etag: Option<String>,
    /// `Last-Modified` of the last document, sent back verbatim.
    pub last_modified: Option<String>,
    /// When it is due again.
    pub next_poll: DateTime<Utc>,
    /// Failures in a row (0 after a success).
    pub failures: u32,
    /// The last outcome, for reports: `200`, `304`, `HTTP 503`, `error`, `gone`.
    pub last_status: Option<String>,
    /// The last error, kept until the next success.
    pub last_error: Option<String>,
    /// When it was last polled.
    pub last_polled: Option<DateTime<Utc>>,
    /// `410 Gone`: never polled again.
    pub retired: bool,
}

impl SourceState {
    /// The state of a source never polled: due now, at its configured URL.
    pub fn new(url: &Url, now: DateTime<Utc>) -> Self {
        Self {
            current_url: url.clone(),
            etag: None,
            last_modified: None,
            next_poll: now,
            failures: 0,
            last_status: None,
            last_error: None,
            last_polled: None,
            retired: false,
        }
    }
}

/// An upstream item to store.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamArticle {
    /// Its id in the feed (derived from the source and the item's key).
    pub id: ItemId,
    /// What is rendered.
    pub content: Content,
    /// Its date; `None` means "when first seen", which is stored once and then kept.
    pub published: Option<DateTime<Utc>>,
    /// Its update time, if it gives one.
    pub updated: Option<DateTime<Utc>>,
}

/// What one poll changed in the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    /// Items seen for the first time.
    pub added: usize,
    /// Items whose content changed.
    pub updated: usize,
    /// Items as they were.
    pub unchanged: usize,
    /// Items that left the store: past the source's `keep`, oldest first seen first.
    pub removed: usize,
}

/// How far ahead an upstream date may lie and still be believed: a day covers every time zone
/// and a sloppy clock; past it, the date is a claim to stay on top of the feed.
pub const FUTURE_SLACK: TimeDelta = TimeDelta::days(1);

/// Whether an upstream date `t` is believable at `reference` (no later than a day after it).
pub(crate) fn believable(t: DateTime<Utc>, reference: DateTime<Utc>) -> bool {
    reference.checked_add_signed(FUTURE_SLACK).is_none_or(|horizon| t <= horizon)
}

/// The publication time of an upstream item first seen at `first_seen` that claims `claimed`,
/// and the claim when it was not believed. Undated, or dated past [`FUTURE_SLACK`] after it was
/// first seen: published when first seen. Decided against `first_seen`, not the clock, so the
/// answer never changes between polls (the item does not jump when the date comes closer).
pub(crate) fn believed(
    claimed: Option<DateTime<Utc>>,
    first_seen: DateTime<Utc>,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    match claimed {
        Some(t) if believable(t, first_seen) => (t, None),
        Some(t) => (first_seen, Some(t)),
        None => (first_seen, None),
    }
}
