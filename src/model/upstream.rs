//! What the model knows of upstream feeds: a configured source, an item it brings, and the
//! provenance a re-published item keeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{Content, ItemId};

/// An upstream feed polled for items (`[[source]]` in `feed.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSource {
    /// The feed's URL as configured; also the source's identity (item ids derive from it, so
    /// they survive the permanent redirects the poller follows).
    pub url: Url,
    /// Never poll more often than this, whatever the upstream says (minutes, default 15).
    #[serde(default = "default_min_interval")]
    pub min_interval_minutes: u32,
    /// Poll at least this often (minutes, default 360).
    #[serde(default = "default_max_interval")]
    pub max_interval_minutes: u32,
    /// How many of the upstream's items to take per poll, in document order (default 1,000:
    /// an upstream that sends 100,000 items must not add 100,000 pages to the site).
    pub limit: Option<usize>,
    /// How many of its items the store keeps, the newest by first-seen order (default 1,000):
    /// a source that sends new items every minute must not grow the site without bound.
    pub keep: Option<usize>,
    /// Walk the upstream's history once (RFC 5005 `prev-archive`, JSON Feed `next_url`) after
    /// its first good poll, so older items are imported too: up to `keep` in all.
    #[serde(default)]
    pub backfill: bool,
}

impl UpstreamSource {
    /// Items taken per poll when `limit` is not set.
    pub const DEFAULT_LIMIT: usize = 1_000;
    /// The largest `max_interval_minutes` (30 days): every wait the scheduler computes stays
    /// below it (or below a week, for `Retry-After`), so no hint can push a poll off the calendar.
    pub const MAX_INTERVAL_MINUTES: u32 = 30 * 24 * 60;

    /// Items kept per source when `keep` is not set.
    pub const DEFAULT_KEEP: usize = 1_000;

    /// Items taken per poll: `limit` (or [`Self::DEFAULT_LIMIT`]), and never more than are
    /// kept — items taken only to be removed again would come back as new at every poll.
    pub fn item_limit(&self) -> usize {
        self.limit.unwrap_or(Self::DEFAULT_LIMIT).min(self.kept())
    }

    /// `keep`, or [`Self::DEFAULT_KEEP`].
    pub fn kept(&self) -> usize {
        self.keep.unwrap_or(Self::DEFAULT_KEEP)
    }
}

fn default_min_interval() -> u32 {
    15
}
fn default_max_interval() -> u32 {
    360
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
    /// The hash of its raw text as fetched (`source::upstream::split`): a later poll that finds
    /// the same text skips it unread. `None` when it could not be told.
    pub raw_hash: Option<String>,
}

/// The upstream feed a re-published item came from (Atom `<source>`, RSS `<source url>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The upstream feed's URL.
    pub feed_url: Url,
    /// The upstream feed's own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_id: Option<String>,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_title: Option<String>,
    /// Its home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_link: Option<Url>,
}
