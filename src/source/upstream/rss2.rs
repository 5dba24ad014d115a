//! RSS2: the items of an RSS 2.0 channel read without feed-rs, each on its own, on every core.
//!
//! feed-rs reads a document through a decoding reader, checks its UTF-8 twice and builds a
//! model with media, categories and more that nothing here uses: at 1,000 items that was
//! most of a first poll. [`split`](super::split) has already found each item's text and
//! checked the document is well-formed, so this reads each item's elements directly, and
//! feed-rs reads only what is left around them (the channel).
//!
//! It reads an item exactly as feed-rs would, or not at all: anything outside the common
//! shape (a namespace or `xml:base` declared in the item, an undeclared prefix, Media RSS,
//! iTunes or Podcasting elements, a date in neither of the two common shapes, an address in
//! an author) sends the whole document back to feed-rs. `tests.rs` holds it to that, item by
//! item against feed-rs, over generated documents.

mod date;
mod lex;

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rayon::prelude::*;
use url::Url;

use self::lex::{Lexer, Token};
use super::entry::{Body, Entry, Link, Person};
use super::parse::{self, UpstreamFeed};
use super::split::Split;

/// Items read on one core, at least: fewer are not worth a thread.
const PER_CORE: usize = 16;

/// The namespaces feed-rs tells apart in an RSS 2.0 item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Rss,
    Atom,
    Content,
    DublinCore,
    Comments,
    /// Media RSS, iTunes, Podcasting: feed-rs reads them into what this reader does not keep,
    /// and may refuse a document for them.
    Media,
    Other,
}

impl Ns {
    /// feed-rs's namespace for `uri`.
    fn of(uri: &str) -> Ns {
        match uri {
            "http://purl.org/rss/1.0/" => Ns::Rss,
            "http://www.w3.org/2005/Atom" => Ns::Atom,
            "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
            "http://purl.org/dc/elements/1.1/" => Ns::DublinCore,
            "http://wellformedweb.org/CommentAPI/" => Ns::Comments,
            "http://search.yahoo.com/mrss/"
            | "http://www.itunes.com/dtds/podcast-1.0.dtd"
            | "https://podcastindex.org/namespace/1.0" => Ns::Media,
            _ => Ns::Other,
        }
    }
}

/// What an item's child element is to feed-rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Link,
    Description,
    Author,
    Guid,
    Published,
    Updated,
    Encoded,
    Comments,
    CommentsFeed,
    /// Read by feed-rs into nothing this reader keeps (categories, enclosures), or not at all.
    Ignored,
}

impl Field {
    /// The field an element in `ns` named `local` fills; `None` for one this reader leaves
    /// to feed-rs.
    fn of(ns: Ns, local: &str) -> Option<Field> {
        Some(match (ns, local) {
            (Ns::Rss, "title") => Field::Title,
            (Ns::Rss, "link") => Field::Link,
            (Ns::Rss, "description") => Field::Description,
            (Ns::Rss, "author") | (Ns::DublinCore, "creator") => Field::Author,
            (Ns::Rss, "guid") => Field::Guid,
            (Ns::Rss, "pubDate") | (Ns::DublinCore, "date") => Field::Published,
            (Ns::Rss, "updated") | (Ns::Atom, "updated") => Field::Updated,
            (Ns::Content, "encoded") => Field::Encoded,
            (Ns::Rss, "comments") => Field::Comments,
            (Ns::Comments, "commentRss" | "commentRSS") => Field::CommentsFeed,
            (Ns::Media, _) => return None,
            _ => Field::Ignored,
        })
    }
}

/// The prefixes the root and the channel declare, the channel's last (they win).
struct Prefixes(Vec<(String, Ns)>);

impl Prefixes {
    /// The namespace of the qualified name `name`, and its local part; `None` for a prefix
    /// nobody declared (feed-rs reads one as RSS's).
    fn resolve<'n>(&self, name: &'n str) -> Option<(Ns, &'n str)> {
        match name.split_once(':') {
            // feed-rs takes what follows the last colon, quick-xml the namespace of the first.
            Some((_, local)) if local.contains(':') => None,
            None => Some((Ns::Rss, name)),
            Some((prefix, local)) => self.0.iter().rev().find(|(p, _)| p == prefix).map(|(_, ns)| (*ns, local)),
        }
    }
}

/// The items `kept` of `split` (of `text`, fetched from `url`) and the channel around them,
/// when the document is RSS 2.0 and every one of them has the common shape; `None` sends the
/// document to feed-rs.
pub(super) fn read(text: &str, split: &Split, kept: &[usize], url: &Url) -> Option<UpstreamFeed> {
    let prefixes = channel_prefixes(text, split.ancestors()?)?;
    // The channel: feed-rs reads the document with no item left in it.
    let around = split.without(text, |_, _| true).unwrap_or_else(|| text.to_owned());
    let (mut feed, channel, entries) = parse::read_feed_rs(&around, url).ok()?;
    if !entries.is_empty() {
        return None;
    }
    let base = crate::model::redact::bare(url);
    feed.items = kept
        .par_iter()
        .with_min_len(PER_CORE)
        .map(|n| entry(&text[split.items[*n].span.clone()], &prefixes, &base).map(|e| channel.item(e)))
        .collect::<Option<Vec<_>>>()?;
    Some(feed)
}

/// The prefixes of an RSS 2.0 document whose items are all in `ancestors` (`<rss>`, then its
/// first `<channel>`), when feed-rs reads it as RSS 2.0 and nothing around the items changes
/// how they read (a default namespace, `xml:base`, a DOCTYPE's entities).
fn channel_prefixes(text: &str, ancestors: &[Range<usize>]) -> Option<Prefixes> {
    let [root, channel] = ancestors else { return None };
    let (root_tag, channel_tag) = (start_tag(&text[root.clone()])?, start_tag(&text[channel.clone()])?);
    if root_tag.name().as_ref() != "rss" || channel_tag.name().as_ref() != "channel" {
        return None;
    }
    let version = root_tag.try_get_attribute("version").ok()??;
    // No DOCTYPE (its entities), and no other channel first (feed-rs reads the first one only).
    let prolog = &text.as_bytes()[..root.start];
    let doctype = prolog.windows(9).any(|w| w.eq_ignore_ascii_case(b"<!DOCTYPE"));
    if !matches!(version.value.as_ref(), "2.0" | "") || doctype {
        return None;
    }
    if text[root.end..channel.start].contains("channel") {
        return None;
    }
    let mut prefixes = Vec::new();
    for tag in [&root_tag, &channel_tag] {
        for attr in tag.attributes() {
            let attr = attr.ok()?;
            let key: &str = attr.key.as_ref();
            match key.strip_prefix("xmlns:") {
                // An empty binding is no binding to quick-xml (feed-rs then reads the element
                // as RSS's).
                Some(prefix) if !attr.value.contains('&') && !attr.value.is_empty() => {
                    prefixes.push((prefix.to_owned(), Ns::of(&attr.value)))
                }
                Some(_) => return None,
                None if key == "xmlns" || key.starts_with("xml:") => return None,
                None => {}
            }
        }
    }
    Some(Prefixes(prefixes))
}

/// The one start tag `tag` is.
fn start_tag(tag: &str) -> Option<BytesStart<'_>> {
    match Reader::from_str(tag).read_event().ok()? {
        Event::Start(t) | Event::Empty(t) => Some(t),
        _ => None,
    }
}

/// Whether `text` (a start tag, or an item) may declare a namespace or a base anywhere: this
/// reader follows neither, and feed-rs refuses a whole document for a base that is no URL or
/// a binding XML forbids, even in an element it skips.
fn declares(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"xmlns").is_some()
        || memchr::memmem::find(text.as_bytes(), b"xml:base").is_some()
}

/// The item `item` (its text: `<item>…</item>`) as feed-rs's RSS 2.0 reader makes it, or `None`
/// when it is not sure to.
fn entry(item: &str, prefixes: &Prefixes, base: &Url) -> Option<Entry> {
    if declares(item) {
        return None;
    }
    let mut lexer = Lexer::new(item);
    let mut e = Entry::default();
    // Which links came from `<comments>` (feed-rs drops those that repeat another link).
    let mut comments = Vec::new();
    // `<item>` in RSS's namespace: the scan takes any `…:item` for one.
    let is_item = |name| prefixes.resolve(name) == Some((Ns::Rss, "item"));
    match lexer.next_token()? {
        Token::Start(name, _) if is_item(name) => {}
        Token::Empty(name, _) if is_item(name) => return Some(e),
        _ => return None,
    }
    loop {
        let (name, empty) = match lexer.next_token()? {
            Token::Start(name, _) => (name, false),
            Token::Empty(name, _) => (name, true),
            Token::End => break,
            _ => continue,
        };
        let (ns, local) = prefixes.resolve(name)?;
        let field = Field::of(ns, local)?;
        let text = match (field, empty) {
            (Field::Ignored, false) => {
                lexer.skip_element()?;
                continue;
            }
            (Field::Ignored, true) => continue,
            (_, true) => None,
            (_, false) => text_node(&mut lexer)?,
        };
        match field {
            Field::Title => e.title = text.map(|t| t.trim().to_owned()),
            Field::Link | Field::Comments | Field::CommentsFeed => {
                if let Some(t) = text {
                    e.links.push(Link { rel: None, href: href(&t, base) });
                    comments.push(field == Field::Comments);
                }
            }
            Field::Description => e.summary = text.map(|t| html(t.trim().to_owned())),
            Field::Author => {
                if let Some(t) = text {
                    // feed-rs finds an address with a regular expression and takes the longer
                    // side of it as the name: not followed here.
                    if t.contains('@') {
                        return None;
                    }
                    e.authors.push(Person { name: Some(t.trim().to_owned()), email: None });
                }
            }
            Field::Guid => {
                if let Some(t) = text {
                    e.id = t.trim().to_owned();
                }
            }
            Field::Published => e.published = text.map(|t| date::parse(&t)).map_or(Some(None), |d| d.map(Some))?,
            Field::Updated => e.updated = text.map(|t| date::parse(&t)).map_or(Some(None), |d| d.map(Some))?,
            Field::Encoded => e.content = text.filter(|t| !t.is_empty()).map(html),
            Field::Ignored => {}
        }
    }
    if e.updated.is_none() {
        e.updated = e.published;
    }
    // A comments link that is also another link of the item is dropped.
    let others: Vec<String> =
        e.links.iter().zip(&comments).filter(|(_, c)| !**c).map(|(l, _)| l.href.clone()).collect();
    let mut is_comments = comments.into_iter();
    e.links.retain(|l| !(is_comments.next().unwrap_or(false) && others.contains(&l.href)));
    Some(e)
}

/// An HTML text construct.
fn html(text: String) -> Body {
    Body { media_type: "text/html".to_owned(), text: Some(text), src: None }
}

/// The character data right after a start tag (`lexer` is past it), up to its first child
/// element, with references resolved; the rest of the element is skipped. `Some(None)` when
/// there is none; `None` for a character reference quick-xml would refuse (the scan refuses
/// them first).
fn text_node(lexer: &mut Lexer<'_>) -> Option<Option<String>> {
    let mut text: Option<String> = None;
    loop {
        match lexer.next_token()? {
            Token::Text(t) | Token::CData(t) if !t.is_empty() => text.get_or_insert_with(String::new).push_str(t),
            Token::Ref(name) => lex::push_reference(text.get_or_insert_with(String::new), name)?,
            Token::End => return Some(text),
            Token::Start(..) => {
                lexer.skip_element()?;
                lexer.skip_element()?;
                return Some(text);
            }
            Token::Empty(..) => {
                lexer.skip_element()?;
                return Some(text);
            }
            Token::Text(_) | Token::CData(_) | Token::Other => {}
        }
    }
}

/// feed-rs's `href` for a link's text: absolute when it parses so, else joined to `base`, else
/// as written; trimmed.
fn href(text: &str, base: &Url) -> String {
    match Url::parse(text) {
        Ok(u) => u.to_string(),
        Err(url::ParseError::RelativeUrlWithoutBase) => base.join(text).map_or_else(|_| text.to_owned(), String::from),
        Err(_) => text.to_owned(),
    }
    .trim()
    .to_owned()
}

#[cfg(test)]
mod tests;
