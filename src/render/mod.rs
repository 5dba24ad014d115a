//! RENDER: pure functions from items to bytes.
//!
//! [`render_site`] turns feeds and their stored items into every published file — RSS 2.0, Atom
//! 1.0, JSON Feed 1.1 and HTML pages — in memory. No clock, no I/O: the same store and config give
//! the same bytes, so ETags and static servers' validators stay put across rebuilds.

mod atom;
pub mod cadence;
mod html;
mod json;
mod rss;
mod urls;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::TtlBounds;
use crate::model::{FeedMeta, Item, Language, Person};

pub use urls::Urls;

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
    /// Media type with charset, as served.
    pub media_type: &'static str,
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

/// Renders every file of the site, in a stable order.
pub fn render_site(site: &SiteMeta, feeds: &[FeedView<'_>]) -> Result<Vec<Output>, RenderError> {
    let urls = Urls::new(&site.base_url);
    let channels: Vec<Channel> = feeds.iter().map(|f| Channel::new(site, &urls, *f)).collect();
    let mut out =
        vec![Output { path: "index.html".into(), bytes: html::index(site, &channels), media_type: media::HTML }];
    for ch in &channels {
        let slug = ch.meta.slug.as_str();
        out.push(Output { path: Urls::rss_path(slug), bytes: rss::render(ch)?, media_type: media::RSS });
        out.push(Output { path: Urls::atom_path(slug), bytes: atom::render(ch)?, media_type: media::ATOM });
        out.push(Output { path: Urls::json_path(slug), bytes: json::render(ch)?, media_type: media::JSON_FEED });
        out.push(Output { path: Urls::feed_page_path(slug), bytes: html::feed_page(ch), media_type: media::HTML });
        for e in &ch.entries {
            out.push(Output {
                path: Urls::item_path(slug, e.item.id.as_str()),
                bytes: html::item_page(ch, e),
                media_type: media::HTML,
            });
        }
    }
    Ok(out)
}

/// A feed with everything the formats share worked out once.
struct Channel<'a> {
    meta: &'a FeedMeta,
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
    /// The entries the feed documents carry: the newest `limit`.
    fn feed_entries(&self) -> &[Entry<'_>] {
        &self.entries[..self.entries.len().min(self.meta.limit)]
    }
}

/// An item with its URLs, language and wrapped content worked out once.
struct Entry<'a> {
    item: &'a Item,
    id: String,
    url: Url,
    language: &'a Language,
    author: &'a Person,
    /// The body inside an element carrying `lang` and `dir`, followed by the credits.
    content_html: String,
}

impl<'a> Channel<'a> {
    fn new(site: &SiteMeta, urls: &Urls, view: FeedView<'a>) -> Self {
        let meta = view.meta;
        let slug = meta.slug.as_str();
        let page_url = urls.feed_page(slug);
        let entries: Vec<Entry> = view
            .items
            .iter()
            .map(|item| {
                let url = urls.item(slug, item.id.as_str());
                let id = match &meta.id {
                    Some(tag) => format!("{tag}/{}", item.id),
                    None => url.to_string(),
                };
                let language = item.content.language.as_ref().unwrap_or(&meta.language);
                let content_html = wrap_content(item, language);
                Entry {
                    item,
                    id,
                    url,
                    language,
                    author: item.content.author.as_ref().unwrap_or(&meta.author),
                    content_html,
                }
            })
            .collect();
        let in_feed = &view.items[..view.items.len().min(meta.limit)];
        let updated = in_feed.iter().map(|i| i.updated).max().unwrap_or(DateTime::UNIX_EPOCH);
        let published: Vec<DateTime<Utc>> = in_feed.iter().map(|i| i.published).collect();
        Channel {
            meta,
            id: meta.id.clone().unwrap_or_else(|| page_url.to_string()),
            rss_url: urls.rss(slug),
            atom_url: urls.atom(slug),
            json_url: urls.json(slug),
            link: meta.link.clone().unwrap_or_else(|| page_url.clone()),
            page_url,
            updated,
            ttl_minutes: meta.ttl_minutes.unwrap_or_else(|| cadence::ttl_minutes(&published, site.ttl)),
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
