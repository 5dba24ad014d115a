//! What the store keeps about upstream sources: their poll state, and the items they bring.

use chrono::{DateTime, Utc};
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
}
