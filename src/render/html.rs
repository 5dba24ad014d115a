//! HTML pages: the site index, a page per feed and a page per article (so every item link
//! resolves), each with `<link rel="alternate">` autodiscovery for the three feed formats.

use chrono::{DateTime, SecondsFormat, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::archive::PageKey;
use super::{Channel, Entry, OutputKind, SiteMeta};
use crate::model::Language;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.7}\
footer,time,.meta{color:#555;font-size:.9em}li{margin:.5rem 0}article{margin:2rem 0}";

/// The site index: every feed with its formats.
pub(super) fn index(site: &SiteMeta, channels: &[Channel]) -> Vec<u8> {
    let body = html! {
        h1 { (site.title) }
        ul {
            @for ch in channels {
                li lang=(ch.meta.language.as_str()) dir=(ch.meta.language.dir()) {
                    a href=(ch.page_url) { (ch.meta.title) }
                    " — " (ch.meta.description) " "
                    (formats(ch))
                }
            }
        }
    };
    let discovery = html! { @for ch in channels { (alternates(ch)) } };
    page(&site.language, &site.title, site.base_url.as_str(), discovery, body)
}

/// A feed's page: its newest items (those its feeds carry), then a link to each archive page
/// (`pages`, newest first).
pub(super) fn feed_page(ch: &Channel, pages: &[PageKey]) -> Vec<u8> {
    let body = html! {
        header {
            h1 { (ch.meta.title) }
            p { (ch.meta.description) }
            p.meta { (formats(ch)) }
        }
        (entries(ch))
        (paging(ch))
        @if !pages.is_empty() {
            nav.archive aria-label="Archive" {
                h2 { "Archive" }
                ul dir="ltr" {
                    @for key in pages {
                        li { a href=(ch.urls.document(ch.meta.slug.as_str(), Some(*key), OutputKind::FeedPage)) { (key) } }
                    }
                }
            }
        }
        @if let Some(rights) = &ch.meta.rights { footer { p { (rights) } } }
    };
    page(&ch.meta.language, &ch.meta.title, ch.page_url.as_str(), head(ch), body)
}

/// An archive page's HTML: its items, with links to the newer and older pages. It lists no
/// other pages, so it changes with its own items only.
pub(super) fn archive_page(ch: &Channel) -> Vec<u8> {
    let key = ch.place.page().map(|k| k.to_string()).unwrap_or_default();
    let title = format!("{} ({key})", ch.meta.title);
    let body = html! {
        header {
            h1 { a href=(ch.page_url) { (ch.meta.title) } }
            p.meta dir="ltr" { (key) }
        }
        (entries(ch))
        (paging(ch))
        @if let Some(rights) = &ch.meta.rights { footer { p { (rights) } } }
    };
    page(&ch.meta.language, &title, ch.own_url(OutputKind::FeedPage).as_str(), head(ch), body)
}

/// The items a feed page or an archive page lists.
fn entries(ch: &Channel) -> Markup {
    html! {
        @for e in ch.feed_entries() {
            article lang=(e.language.as_str()) dir=(e.language.dir()) {
                h2 { a href=(e.page) { (e.item.content.title) } }
                (time(e.item.published))
                p { (e.item.content.summary) }
            }
        }
    }
}

/// Links to the newer and the older page, if any.
fn paging(ch: &Channel) -> Markup {
    let (newer, older) = (ch.newer_url(OutputKind::FeedPage), ch.older_url(OutputKind::FeedPage));
    html! {
        @if newer.is_some() || older.is_some() {
            nav.paging aria-label="Pages" {
                @if let Some(url) = &newer { a rel="prev" href=(url) { "Newer" } }
                @if newer.is_some() && older.is_some() { " · " }
                @if let Some(url) = &older { a rel="next" href=(url) { "Older" } }
            }
        }
    }
}

/// A page's feed autodiscovery, and its neighbours in the paging.
fn head(ch: &Channel) -> Markup {
    html! {
        (alternates(ch))
        @if let Some(url) = ch.newer_url(OutputKind::FeedPage) { link rel="prev" href=(url); }
        @if let Some(url) = ch.older_url(OutputKind::FeedPage) { link rel="next" href=(url); }
    }
}

/// An article's page: the same content the feeds carry.
pub(super) fn item_page(ch: &Channel, e: &Entry) -> Vec<u8> {
    let c = &e.item.content;
    let body = html! {
        article {
            h1 { (c.title) }
            p.meta {
                (time(e.item.published)) " · " (e.author.name) " · "
                a href=(ch.page_url) { (ch.meta.title) }
            }
            (PreEscaped(e.content_html_once()))
        }
        @if let Some(rights) = &ch.meta.rights { footer { p { (rights) } } }
    };
    page(e.language, &c.title, e.page.as_str(), alternates(ch), body)
}

fn page(lang: &Language, title: &str, canonical: &str, head: Markup, body: Markup) -> Vec<u8> {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.as_str()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="canonical" href=(canonical);
                (head)
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    };
    let mut bytes = markup.into_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

fn alternates(ch: &Channel) -> Markup {
    let title = &ch.meta.title;
    html! {
        link rel="alternate" type="application/rss+xml" title=(format!("{title} (RSS)")) href=(ch.rss_url);
        link rel="alternate" type="application/atom+xml" title=(format!("{title} (Atom)")) href=(ch.atom_url);
        link rel="alternate" type="application/feed+json" title=(format!("{title} (JSON Feed)")) href=(ch.json_url);
    }
}

fn formats(ch: &Channel) -> Markup {
    html! {
        span dir="ltr" {
            a href=(ch.rss_url) { "RSS" } " · " a href=(ch.atom_url) { "Atom" } " · " a href=(ch.json_url) { "JSON Feed" }
        }
    }
}

fn time(t: DateTime<Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339_opts(SecondsFormat::Secs, true)) { (t.format("%Y-%m-%d")) } }
}
