//! RENDER: pure functions from items to bytes.
//!
//! [`render_site`] turns feeds and their stored items into every published file — RSS 2.0, Atom
//! 1.0, JSON Feed 1.1 and HTML pages — in memory. No clock, no I/O: the same store and config give
//! the same bytes, so ETags and static servers' validators stay put across rebuilds.

pub mod archive;
mod atom;
pub mod cadence;
mod channel;
mod files;
mod html;
mod json;
mod rss;
mod urls;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::TtlBounds;
use crate::model::{FeedMeta, Item, Language};
use channel::{Channel, Entry};

pub use files::{
    IndexLine, render_archive_document, render_archive_page, render_documents, render_feed, render_feed_documents,
    render_feed_page, render_feed_parts, render_index, render_item_page, render_site,
};
pub use urls::Urls;

/// Bumped whenever a change to feedpub changes the bytes of any file for the same store and
/// config (2: RFC 5005 archive pages): a folder an earlier feedpub of the same version built
/// is then rebuilt whole rather than trusted.
pub const EDITION: u32 = 2;

/// Site-wide settings the renderers need.
#[derive(Debug, Clone)]
pub struct SiteMeta {
    /// Absolute URL the output is published under (ends in `/`).
    pub base_url: Url,
    /// Title of the index page.
    pub title: String,
    /// Language of the index page.
    pub language: Language,
    /// Bounds of the derived `<ttl>`.
    pub ttl: TtlBounds,
    /// The WebSub hub the subscription documents name (`[websub] hub`).
    pub hub: Option<Url>,
}

/// One feed to render: its definition and all its items, newest first.
///
/// Every item gets a page (links readers kept must not break when an item ages out of the
/// feed); the feed documents carry the newest `meta.limit`.
#[derive(Debug, Clone, Copy)]
pub struct FeedView<'a> {
    /// The definition.
    pub meta: &'a FeedMeta,
    /// Every item, newest first.
    pub items: &'a [Item],
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output root, `/`-separated (`russia-islamic-world/rss.xml`).
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What the file is (and so its media type).
    pub kind: OutputKind,
    /// The newest `updated` among the items the file shows (HTTP `Last-Modified`); the epoch
    /// when it shows none.
    pub updated: DateTime<Utc>,
    /// How long readers may cache it, in minutes: the feed's `<ttl>` (HTTP `max-age`).
    pub ttl_minutes: u32,
    /// Whether it is an archive page, and a closed one (served to be cached for good).
    pub archived: archive::Archived,
}

/// The kinds of published files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// The site index.
    Index,
    /// An RSS 2.0 feed.
    Rss,
    /// An Atom 1.0 feed.
    Atom,
    /// A JSON Feed 1.1 feed.
    JsonFeed,
    /// A feed's HTML page.
    FeedPage,
    /// An article's HTML page.
    ItemPage,
}

impl OutputKind {
    /// Whether a file of this kind, archived as `archived`, is a WebSub topic: a feed's
    /// subscription document (an archive page is not polled, and a closed one never changes).
    pub fn is_topic(self, archived: archive::Archived) -> bool {
        matches!(self, OutputKind::Rss | OutputKind::Atom | OutputKind::JsonFeed) && archived == archive::Archived::No
    }

    /// Media type with charset, as served.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Rss => media::RSS,
            Self::Atom => media::ATOM,
            Self::JsonFeed => media::JSON_FEED,
            Self::Index | Self::FeedPage | Self::ItemPage => media::HTML,
        }
    }

    /// A feed document (polled by readers), as opposed to a page (opened by people).
    pub fn is_feed(self) -> bool {
        matches!(self, Self::Rss | Self::Atom | Self::JsonFeed)
    }

    /// A short stable name, for metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Rss => "rss",
            Self::Atom => "atom",
            Self::JsonFeed => "json_feed",
            Self::FeedPage => "feed_page",
            Self::ItemPage => "item_page",
        }
    }
}

/// A serialiser failed (it writes to memory, so this means a bug, not bad input).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The `rss` crate failed.
    #[error("rendering RSS for {feed}: {source}")]
    Rss {
        /// Feed slug.
        feed: String,
        /// The cause.
        source: ::rss::Error,
    },
    /// The `atom_syndication` crate failed.
    #[error("rendering Atom for {feed}: {source}")]
    Atom {
        /// Feed slug.
        feed: String,
        /// The cause.
        source: ::atom_syndication::Error,
    },
    /// An item's date has a year outside 1900–9999, which the formats cannot carry.
    #[error("{feed}: item {item}: the date {date} cannot go into a feed (years 1900 to 9999 only)")]
    Date {
        /// Feed slug.
        feed: String,
        /// The item's id.
        item: String,
        /// The date.
        date: DateTime<Utc>,
    },
    /// `serde_json` failed.
    #[error("rendering JSON Feed for {feed}: {source}")]
    Json {
        /// Feed slug.
        feed: String,
        /// The cause.
        source: serde_json::Error,
    },
}

/// Media types as served (and as `build` would have a static server send them).
pub mod media {
    /// RSS 2.0.
    pub const RSS: &str = "application/rss+xml; charset=utf-8";
    /// Atom 1.0.
    pub const ATOM: &str = "application/atom+xml; charset=utf-8";
    /// JSON Feed 1.1.
    pub const JSON_FEED: &str = "application/feed+json; charset=utf-8";
    /// HTML pages.
    pub const HTML: &str = "text/html; charset=utf-8";
}
