//! HTML pages: the site index, a page per feed and a page per article (so every item link
//! resolves), each with `<link rel="alternate">` autodiscovery for the three feed formats.

use chrono::{DateTime, SecondsFormat, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Channel, Entry, SiteMeta};
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

/// A feed's page: its items, newest first.
pub(super) fn feed_page(ch: &Channel) -> Vec<u8> {
    let body = html! {
        header {
            h1 { (ch.meta.title) }
            p { (ch.meta.description) }
            p.meta { (formats(ch)) }
        }
        @for e in &ch.entries {
            article lang=(e.language.as_str()) dir=(e.language.dir()) {
                h2 { a href=(e.page) { (e.item.content.title) } }
                (time(e.item.published))
                p { (e.item.content.summary) }
            }
        }
        @if let Some(rights) = &ch.meta.rights { footer { p { (rights) } } }
    };
    page(&ch.meta.language, &ch.meta.title, ch.page_url.as_str(), alternates(ch), body)
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
            (PreEscaped(e.content_html()))
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
