//! RENDER: pure functions from items to bytes.
//!
//! [`render_site`] turns feeds and their stored items into every published file — RSS 2.0, Atom
//! 1.0, JSON Feed 1.1 and HTML pages — in memory. No clock, no I/O: the same store and config give
//! the same bytes, so ETags and static servers' validators stay put across rebuilds.

pub mod archive;
mod atom;
pub mod cadence;
mod files;
mod html;
mod json;
mod rss;
mod urls;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::TtlBounds;
use crate::model::{FeedMeta, Item, Language, Person};
use archive::Place;

pub use files::{
    IndexLine, render_archive_document, render_archive_page, render_documents, render_feed, render_feed_documents,
    render_feed_page, render_index, render_item_page, render_site,
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

/// A feed with everything the formats share worked out once.
struct Channel<'a> {
    meta: &'a FeedMeta,
    /// Which document of the feed's history this is.
    place: Place,
    urls: Urls,
    /// Permanent feed id: the `tag:` URI from `feed.toml`, else the feed page's URL.
    id: String,
    page_url: Url,
    rss_url: Url,
    atom_url: Url,
    json_url: Url,
    /// The feed's `link`: from `feed.toml`, else its page here.
    link: Url,
    /// Newest `updated` among the feed's items; the epoch for an empty feed (never the clock).
    updated: DateTime<Utc>,
    ttl_minutes: u32,
    /// Every item, newest first; the feed documents carry [`Channel::feed_entries`].
    entries: Vec<Entry<'a>>,
}

impl Channel<'_> {
    /// The entries the feed documents carry: the newest `limit` in the subscription
    /// documents; all of an archive page's.
    fn feed_entries(&self) -> &[Entry<'_>] {
        &self.entries[..shown(self.place, self.meta, self.entries.len())]
    }

    /// This document's own URL in a format (a feed page's as its folder).
    fn own_url(&self, kind: OutputKind) -> Url {
        self.urls.document(self.meta.slug.as_str(), self.place.page(), kind)
    }

    /// The next older document in a format: the newest archive page from the subscription
    /// documents, the one before from an archive page.
    fn older_url(&self, kind: OutputKind) -> Option<Url> {
        let older = self.place.older()?;
        Some(self.urls.document(self.meta.slug.as_str(), Some(older), kind))
    }

    /// The newer document in a format from an archive page: the next archive page, else the
    /// subscription document.
    fn newer_url(&self, kind: OutputKind) -> Option<Url> {
        match self.place {
            Place::Current { .. } => None,
            Place::Archive { newer, .. } => Some(self.urls.document(self.meta.slug.as_str(), newer, kind)),
        }
    }

    /// The history links of this document in a format (RFC 5005): `current` (on an archive
    /// page), then `prev-archive` and `next-archive` where there are such pages.
    fn history(&self, kind: OutputKind) -> Vec<(&'static str, Url)> {
        let slug = self.meta.slug.as_str();
        let current = self.place.page().map(|_| self.urls.document(slug, None, kind));
        // next-archive links archive pages only: the newest links the subscription document
        // as `current` alone.
        let next = self.place.newer().map(|n| self.urls.document(slug, Some(n), kind));
        [("current", current), ("prev-archive", self.older_url(kind)), ("next-archive", next)]
            .into_iter()
            .filter_map(|(rel, url)| url.map(|u| (rel, u)))
            .collect()
    }
}

/// How many of `n` items a document at `place` carries.
fn shown(place: Place, meta: &FeedMeta, n: usize) -> usize {
    match place {
        Place::Current { .. } => n.min(meta.limit),
        Place::Archive { .. } => n,
    }
}

/// An item with its URLs, language and wrapped content worked out once.
struct Entry<'a> {
    item: &'a Item,
    id: String,
    /// The item's link in the feeds: its original link when re-published, else its page.
    url: Url,
    /// Its page here.
    page: Url,
    language: &'a Language,
    author: &'a Person,
    /// [`Entry::content_html`], once made.
    html: std::cell::OnceCell<String>,
}

impl Entry<'_> {
    /// The body inside an element carrying `lang` and `dir`, followed by the credits; made
    /// once, when a document first needs it (the feed page lists every item but shows no
    /// body, and three formats carry the same HTML).
    fn content_html(&self) -> &str {
        self.html.get_or_init(|| wrap_content(self.item, self.language))
    }
}

impl<'a> Channel<'a> {
    fn new(site: &SiteMeta, urls: &Urls, view: FeedView<'a>, place: Place) -> Self {
        let meta = view.meta;
        let slug = meta.slug.as_str();
        let page_url = urls.feed_page(slug);
        let entries: Vec<Entry> = view
            .items
            .iter()
            .map(|item| {
                let page = urls.item(slug, item.id.as_str());
                let id = match &meta.id {
                    Some(tag) => format!("{tag}/{}", item.id),
                    None => page.to_string(),
                };
                let url = item.content.link.clone().unwrap_or_else(|| page.clone());
                let language = item.content.language.as_ref().unwrap_or(&meta.language);
                let author = item.content.author.as_ref().unwrap_or(&meta.author);
                Entry { item, id, url, page, language, author, html: std::cell::OnceCell::new() }
            })
            .collect();
        let in_feed = &view.items[..shown(place, meta, view.items.len())];
        let updated = in_feed.iter().map(|i| i.updated).max().unwrap_or(DateTime::UNIX_EPOCH);
        let published: Vec<DateTime<Utc>> = in_feed.iter().map(|i| i.published).collect();
        Channel {
            meta,
            place,
            urls: urls.clone(),
            id: meta.id.clone().unwrap_or_else(|| page_url.to_string()),
            rss_url: urls.rss(slug),
            atom_url: urls.atom(slug),
            json_url: urls.json(slug),
            link: meta.link.clone().unwrap_or_else(|| page_url.clone()),
            page_url,
            updated,
            ttl_minutes: files::feed_ttl(site, meta, &published),
            entries,
        }
    }
}

/// The HTML every format carries: the body in a `dir`/`lang` element (so readers lay Arabic
/// out right to left even when they ignore the feed's language), the image with its credit,
/// and the trailer lines verbatim. Credits get `dir="auto"`: `Photo: …` is left to right
/// inside a right-to-left article.
fn wrap_content(item: &Item, language: &Language) -> String {
    let c = &item.content;
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let attr = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    let mut html = format!("<div dir=\"{}\" lang=\"{}\">\n", language.dir(), attr(language.as_str()));
    if let Some(img) = &c.image {
        html.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"{}\">",
            attr(img.url.as_str()),
            attr(img.alt.as_deref().unwrap_or(""))
        ));
        if let Some(credit) = &c.photo_credit {
            html.push_str(&format!("<figcaption dir=\"auto\">{}</figcaption>", esc(&credit.line)));
        }
        html.push_str("</figure>\n");
    }
    html.push_str(&c.body_html);
    let credits: Vec<&str> = c
        .photo_credit
        .iter()
        .filter(|_| c.image.is_none())
        .chain(c.source.iter().map(|s| &s.credit))
        .map(|credit| credit.line.as_str())
        .collect();
    if !credits.is_empty() {
        html.push_str("\n<footer>");
        for line in credits {
            html.push_str(&format!("\n<p dir=\"auto\">{}</p>", esc(line)));
        }
        html.push_str("\n</footer>");
    }
    html.push_str("\n</div>");
    html
}
