//! ENTRY: what [`parse`](mod@super::parse) reads of an item, whoever read it: feed-rs, or
//! `rss2`, which reads the common RSS 2.0 item itself, exactly as feed-rs would.
//! Only the fields parse uses; the rest of feed-rs's model (media, categories) is not carried.
//! [`Channel::item`] makes an entry the item feedpub stores: a plain-text title, sanitised
//! content, a key, dates it believes.

use chrono::{DateTime, Utc};
use feed_rs::model::FeedType;
use url::Url;

use super::media::{self, Media};
use super::parse::UpstreamItem;
use super::sanitize;
use crate::model::{date_in_range, digest};

/// One item, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Entry {
    /// GUID or id, trimmed; empty when it has none.
    pub id: String,
    /// Title as written (markup and all), trimmed.
    pub title: Option<String>,
    /// Links in document order.
    pub links: Vec<Link>,
    /// Content.
    pub content: Option<Body>,
    /// Summary (RSS `<description>`).
    pub summary: Option<Body>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<Person>,
    /// Declared language.
    pub language: Option<String>,
}

/// A link: `rel` (none is an alternate) and `href`, absolute when it could be made so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    pub rel: Option<String>,
    pub href: String,
}

/// A text construct: its media type (`text/html`, `text/plain`, or what Atom names), its text,
/// and where it lives instead (Atom `<content src>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Body {
    pub media_type: String,
    pub text: Option<String>,
    pub src: Option<String>,
}

/// A person: a name, an address, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Entry {
    /// feed-rs's entry of a feed of `kind`.
    pub(super) fn from_feed_rs(e: feed_rs::model::Entry, kind: &FeedType) -> Entry {
        Entry {
            id: e.id,
            title: e.title.map(|t| t.content),
            links: e.links.into_iter().map(Link::from).collect(),
            content: e.content.map(|c| Body {
                media_type: c.content_type.as_ref().to_owned(),
                text: c.body,
                // Only Atom's `src` is a place: feed-rs also puts the document's base URL there
                // for RSS's `content:encoded`, which made an item with no link of its own link
                // to the feed.
                src: c.src.filter(|_| *kind == FeedType::Atom).map(|l| l.href),
            }),
            summary: e.summary.map(|s| Body {
                media_type: s.content_type.as_ref().to_owned(),
                text: Some(s.content),
                src: None,
            }),
            published: e.published,
            updated: e.updated,
            authors: e.authors.into_iter().map(Person::from).collect(),
            language: e.language,
        }
    }
}

impl From<feed_rs::model::Link> for Link {
    fn from(l: feed_rs::model::Link) -> Self {
        Link { rel: l.rel, href: l.href }
    }
}

impl From<feed_rs::model::Person> for Person {
    fn from(p: feed_rs::model::Person) -> Self {
        Person { name: p.name, email: p.email }
    }
}

/// What items are read with, from their feed: the base their links resolve against, its
/// language and authors, and how its summaries are typed.
#[derive(Debug, Clone)]
pub(super) struct Channel {
    /// The fetch URL without userinfo and query.
    pub base: Url,
    pub language: Option<String>,
    /// An Atom feed's authors, which are its entries' when they name none.
    pub authors: Vec<Person>,
    /// RSS 1.0's `<description>` is typed text by feed-rs, yet carries escaped HTML as
    /// everywhere else in RSS (feedparser reads it so too).
    pub summary_is_html: bool,
}

impl Channel {
    /// The item `e` is, read in this channel.
    pub(super) fn item(&self, e: Entry) -> UpstreamItem {
        let url = &self.base;
        // A permalink GUID stands in for a missing link (RSS's isPermaLink defaults to true;
        // feed-rs does not say, so only an absolute http(s) URL is taken).
        // Atom content by reference (`src`) is the entry's link when it has none.
        let src = e.content.as_ref().and_then(|c| c.src.as_ref()).and_then(|href| absolute(href, url));
        let link = alternate(&e.links, url).or_else(|| absolute_http(&e.id)).or(src);
        let base = link.as_ref().unwrap_or(url);
        // Titles and names are text, but readers differ on whether they render markup in them
        // (RSS says nothing): like Miniflux, strip tags from them whatever their type says.
        let title = e.title.map(|t| sanitize::plain_text(&t, true, sanitize::MAX_TITLE_CHARS)).unwrap_or_default();
        // Content of any media type (Atom): text, HTML, or a binary that is skipped, the
        // summary standing in for it.
        let content = e.content.and_then(|c| c.text.map(|b| media::content(&c.media_type, b)));
        let summary = e.summary.and_then(|s| {
            let text = s.text?;
            Some(match self.summary_is_html {
                true => Media::Html(text),
                false => media::content(&s.media_type, text),
            })
        });
        let body = content.filter(Media::is_readable).or(summary.filter(Media::is_readable));
        let content_html = match body {
            Some(Media::Html(b)) => sanitize::html(&b, base),
            Some(Media::Text(b)) => sanitize::text_to_html(&b),
            Some(Media::Binary) | None => String::new(),
        };
        let key = item_key(&e.id, link.as_ref(), &title, &content_html);
        UpstreamItem {
            key,
            link,
            title,
            content_html,
            // A date no feed can carry (feed-rs reads "20233" as a year) is no date:
            // the item gets the time it was first seen, as an undated one does.
            published: e.published.filter(date_in_range).or(e.updated.filter(date_in_range)),
            updated: e.updated.filter(date_in_range),
            authors: if e.authors.is_empty() { &self.authors } else { &e.authors }
                .iter()
                .filter_map(person_name)
                .map(|n| sanitize::plain_text(&n, true, sanitize::MAX_NAME_CHARS))
                .filter(|n| !n.is_empty())
                .collect(),
            language: e.language.or_else(|| self.language.clone()),
        }
    }
}

/// The first alternate link (no `rel`, or `rel="alternate"`), absolute: a feed's home page or
/// an item's original.
pub(super) fn alternate(links: &[Link], base: &Url) -> Option<Url> {
    links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).and_then(|l| absolute(&l.href, base))
}

/// A person's name: RSS writes `bo@x.example (Bo Baker)`, which feed-rs reads as the name
/// `(Bo Baker)`, and an address alone as no name at all (the address is better than nothing).
fn person_name(p: &Person) -> Option<String> {
    let name = p.name.as_ref().map(|n| {
        let n = n.trim();
        n.strip_prefix('(').and_then(|n| n.strip_suffix(')')).unwrap_or(n).trim().to_owned()
    });
    name.filter(|n| !n.is_empty()).or_else(|| p.email.clone())
}

/// `id` when it is an absolute http(s) URL.
fn absolute_http(id: &str) -> Option<Url> {
    Url::parse(id.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// `href` made absolute against `base`, when it is then an http(s) URL.
pub(super) fn absolute(href: &str, base: &Url) -> Option<Url> {
    base.join(href.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// What identifies an item within its source: its GUID, else its link, else a digest.
fn item_key(guid: &str, link: Option<&Url>, title: &str, content: &str) -> String {
    if !guid.trim().is_empty() {
        return format!("id:{}", guid.trim());
    }
    if let Some(link) = link {
        return format!("link:{link}");
    }
    format!("hash:{}", digest::sha256_hex128(format!("{title}\0{content}")))
}
