//! A feed as every format sees it: its URLs, its place in the history, and its items with
//! their URLs, language and wrapped content, worked out once.

use chrono::{DateTime, Utc};
use url::Url;

use super::archive::Place;
use super::{FeedView, OutputKind, SiteMeta, Urls, files};
use crate::model::{FeedMeta, Item, Language, Person};

/// A feed with everything the formats share worked out once.
pub(super) struct Channel<'a> {
    pub(super) meta: &'a FeedMeta,
    /// Which document of the feed's history this is.
    pub(super) place: Place,
    pub(super) urls: Urls,
    /// Permanent feed id: the `tag:` URI from `feed.toml`, else the feed page's URL.
    pub(super) id: String,
    pub(super) page_url: Url,
    pub(super) rss_url: Url,
    pub(super) atom_url: Url,
    pub(super) json_url: Url,
    /// The feed's `link`: from `feed.toml`, else its page here.
    pub(super) link: Url,
    /// Newest `updated` among the feed's items; the epoch for an empty feed (never the clock).
    pub(super) updated: DateTime<Utc>,
    pub(super) ttl_minutes: u32,
    /// The WebSub hub readers subscribe at: subscription documents only (an archive page is
    /// no topic; it does not change).
    pub(super) hub: Option<Url>,
    /// Every item, newest first; the feed documents carry [`Channel::feed_entries`].
    pub(super) entries: Vec<Entry<'a>>,
}

impl Channel<'_> {
    /// The entries the feed documents carry: the newest `limit` in the subscription
    /// documents; all of an archive page's.
    pub(super) fn feed_entries(&self) -> &[Entry<'_>] {
        &self.entries[..shown(self.place, self.meta, self.entries.len())]
    }

    /// This document's own URL in a format (a feed page's as its folder).
    pub(super) fn own_url(&self, kind: OutputKind) -> Url {
        self.urls.document(self.meta.slug.as_str(), self.place.page(), kind)
    }

    /// The next older document in a format: the newest archive page from the subscription
    /// documents, the one before from an archive page.
    pub(super) fn older_url(&self, kind: OutputKind) -> Option<Url> {
        let older = self.place.older()?;
        Some(self.urls.document(self.meta.slug.as_str(), Some(older), kind))
    }

    /// The newer document in a format from an archive page: the next archive page, else the
    /// subscription document.
    pub(super) fn newer_url(&self, kind: OutputKind) -> Option<Url> {
        match self.place {
            Place::Current { .. } => None,
            Place::Archive { newer, .. } => Some(self.urls.document(self.meta.slug.as_str(), newer, kind)),
        }
    }

    /// The history links of this document in a format (RFC 5005): `current` (on an archive
    /// page), then `prev-archive` and `next-archive` where there are such pages.
    pub(super) fn history(&self, kind: OutputKind) -> Vec<(&'static str, Url)> {
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
pub(super) struct Entry<'a> {
    pub(super) item: &'a Item,
    pub(super) id: String,
    /// The item's link in the feeds: its original link when re-published, else its page.
    pub(super) url: Url,
    /// Its page here.
    pub(super) page: Url,
    pub(super) language: &'a Language,
    pub(super) author: &'a Person,
    /// [`Entry::content_html`], once made.
    pub(super) html: std::cell::OnceCell<String>,
}

impl Entry<'_> {
    /// The body inside an element carrying `lang` and `dir`, followed by the credits; made
    /// once, when a document first needs it (the feed page lists every item but shows no
    /// body, and three formats carry the same HTML).
    pub(super) fn content_html(&self) -> &str {
        self.html.get_or_init(|| wrap_content(self.item, self.language))
    }

    /// [`Entry::content_html`] without keeping it: an item's own page is the one document that
    /// needs most items' HTML, once each, and a feed of 100,000 items would otherwise hold all of
    /// it until its last page is rendered.
    pub(super) fn content_html_once(&self) -> std::borrow::Cow<'_, str> {
        match self.html.get() {
            Some(html) => std::borrow::Cow::Borrowed(html),
            None => std::borrow::Cow::Owned(wrap_content(self.item, self.language)),
        }
    }
}

impl<'a> Channel<'a> {
    pub(super) fn new(site: &SiteMeta, urls: &Urls, view: FeedView<'a>, place: Place) -> Self {
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
            hub: site.hub.clone().filter(|_| place.page().is_none()),
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
