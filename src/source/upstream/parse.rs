//! PARSE: an upstream document, as UTF-8 text, → typed items (RSS 0.9x/1.0/2.0, Atom 1.0,
//! JSON Feed 1.0/1.1, via feed-rs), with titles as plain text and content sanitised.
//! [`read`](super::read) decodes, mends and splits a document first; [`parse`] is the whole of
//! it for callers that need no more than the feed.

use chrono::{DateTime, Utc};
use url::Url;

use feed_rs::model::FeedType;

use super::entry::{Channel, Entry, Link, Person, absolute, alternate};
use super::sanitize;

/// A parsed upstream feed.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamFeed {
    /// The feed's own id (Atom `id`; RSS: its link), for provenance.
    pub id: Option<String>,
    /// Its title, plain text.
    pub title: Option<String>,
    /// Its home page.
    pub link: Option<Url>,
    /// Where it says it lives (`atom:link rel="self"`), for provenance.
    pub self_link: Option<Url>,
    /// Its WebSub hub (`atom:link rel="hub"` in RSS and Atom, `hubs` in JSON Feed). Only http(s).
    pub hub: Option<Url>,
    /// The page of its history before this document: RFC 5005's `prev-archive` link (RSS and
    /// Atom), or JSON Feed's `next_url`. Only http(s).
    pub prev_archive: Option<Url>,
    /// RSS `<ttl>` in minutes: how long the publisher says it may be cached.
    pub ttl_minutes: Option<u32>,
    /// Its items, in document order.
    pub items: Vec<UpstreamItem>,
}

/// One upstream item.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamItem {
    /// What identifies it within its source: the GUID/id, else the link, else a digest of
    /// title and content. Never random, never the poll time.
    pub key: String,
    /// Its link, absolute.
    pub link: Option<Url>,
    /// Plain-text title (empty when it has none).
    pub title: String,
    /// Sanitised HTML content (or summary, when there is no content).
    pub content_html: String,
    /// Publication time, UTC.
    pub published: Option<DateTime<Utc>>,
    /// Last update, UTC.
    pub updated: Option<DateTime<Utc>>,
    /// Author names.
    pub authors: Vec<String>,
    /// Declared language.
    pub language: Option<String>,
}

/// The document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
#[error("{}: not a feed feedpub can read: {message}", crate::model::redact::for_logs(.url))]
pub struct ParseError {
    /// Where the document came from.
    pub url: Url,
    /// What the parser said.
    pub message: String,
}

/// Reads `bytes` fetched from `url`, whose `Content-Type` named `charset` (if any): every
/// item, whatever is stored ([`read`](super::read::read) with its defaults).
pub fn parse(bytes: &[u8], charset: Option<&str>, url: &Url) -> Result<UpstreamFeed, ParseError> {
    super::read::read(bytes, charset, url, &super::read::ReadOptions::default()).map(|r| r.feed)
}

/// Parses `text`, a document fetched from `url` as UTF-8 with no encoding of its own left.
pub(super) fn feed(text: &str, url: &Url) -> Result<UpstreamFeed, ParseError> {
    let (mut feed, channel, entries) = read_feed_rs(text, url)?;
    feed.items = entries.into_iter().map(|e| channel.item(e)).collect();
    Ok(feed)
}

/// feed-rs's reading of `text`, fetched from `url`: the feed without its items, what they are
/// read with, and its entries.
pub(super) fn read_feed_rs(text: &str, url: &Url) -> Result<(UpstreamFeed, Channel, Vec<Entry>), ParseError> {
    // Relative links resolve against the fetch URL without its userinfo and query: `Url::join`
    // keeps `user:password@`, and `href=""` would bring back a `?token=`.
    let fetched = url;
    let url = &crate::model::redact::bare(fetched);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        // No made-up ids: an empty id tells us there was none, and we key the item ourselves.
        .id_generator(|_, _, _| String::new())
        .build();
    // feed-rs panics on some malformed documents (quick-xml 0.42 asserts when an XML declaration
    // naming another encoding turns up mid-document; found by fuzzing). To a poller that is a
    // document it cannot read, not a reason to stop: the panic becomes this source's error.
    let parsed = catch_quietly(|| parser.parse(text.as_bytes()));
    let feed = parsed
        .map_err(|panic| ParseError {
            url: fetched.clone(),
            message: format!("the parser failed: {}", panic_text(&panic)),
        })?
        .map_err(|e| ParseError { url: fetched.clone(), message: e.to_string() })?;
    let links: Vec<Link> = feed.links.into_iter().map(Link::from).collect();
    let channel = Channel {
        base: url.clone(),
        // An item says its language, or speaks its channel's (RSS <language>, JSON Feed's).
        language: feed.language,
        // An Atom entry without an author has its feed's (RFC 4287 4.2.1); an RSS channel's
        // managingEditor is no article's author.
        authors: match feed.feed_type {
            FeedType::Atom => feed.authors.into_iter().map(Person::from).collect(),
            _ => Vec::new(),
        },
        summary_is_html: feed.feed_type == FeedType::RSS1,
    };
    let self_link = links.iter().find(|l| l.rel.as_deref() == Some("self")).and_then(|l| absolute(&l.href, url));
    let prev_archive = match feed.feed_type {
        // feed-rs keeps no `next_url`.
        FeedType::JSON => json_next_url(text),
        _ => links.iter().find(|l| l.rel.as_deref() == Some("prev-archive")).map(|l| l.href.clone()),
    }
    .and_then(|href| absolute(&href, url));
    let hub = match feed.feed_type {
        FeedType::JSON => super::discover::json_hub(text, url),
        _ => links.iter().find(|l| l.rel.as_deref() == Some("hub")).and_then(|l| absolute(&l.href, url)),
    };
    let kind = feed.feed_type;
    let entries = feed.entries.into_iter().map(|e| Entry::from_feed_rs(e, &kind)).collect();
    let shell = UpstreamFeed {
        id: Some(feed.id).filter(|i| !i.is_empty()),
        title: feed.title.map(|t| sanitize::plain_text(&t.content, true, sanitize::MAX_TITLE_CHARS)),
        link: alternate(&links, url),
        self_link,
        hub,
        prev_archive,
        ttl_minutes: feed.ttl,
        items: Vec::new(),
    };
    Ok((shell, channel, entries))
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `f()`, with a panic caught and returned, and not reported by the panic hook: the caller
/// reports it as an error. (The default hook prints a backtrace when RUST_BACKTRACE is set,
/// and resolving it took a debug build from 30 to 190 MB.) Other threads' panics are reported
/// as before: the hook, installed once, is silent only on a thread inside this function.
fn catch_quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                previous(info);
            }
        }));
    });
    QUIET.set(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.set(false);
    result
}

/// A panic's message, when it has one.
pub(crate) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic")
}

/// A JSON Feed's `next_url`, read apart (feed-rs drops it); only looked for when the text names
/// it, so other feeds are not parsed twice.
fn json_next_url(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Paging {
        next_url: Option<String>,
    }
    memchr::memmem::find(text.as_bytes(), b"\"next_url\"")?;
    serde_json::from_str::<Paging>(text).ok()?.next_url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://wire.example/feed.xml").unwrap()
    }

    #[test]
    fn windows_1256_labelled_only_in_http() {
        let text = "<rss version=\"2.0\"><channel><title>وكالة</title><item><guid>g1</guid><title>عنوان الخبر</title>\
                    <description>نص الخبر</description></item></channel></rss>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(text);
        let feed = parse(&bytes, Some("windows-1256"), &url()).unwrap();
        assert_eq!(feed.title.as_deref(), Some("وكالة"));
        assert_eq!(feed.items[0].title, "عنوان الخبر");
        assert!(feed.items[0].content_html.contains("نص الخبر"));
        // A declaration wins over the HTTP label.
        let declared = format!("<?xml version=\"1.0\" encoding=\"windows-1256\"?>{text}");
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(&declared);
        assert_eq!(parse(&bytes, Some("utf-8"), &url()).unwrap().items[0].title, "عنوان الخبر");
    }

    #[test]
    fn keys_are_stable_and_never_random() {
        let doc = "<rss version=\"2.0\"><channel><title>t</title>\
                   <item><guid>abc</guid><title>a</title></item>\
                   <item><link>/news/2</link><title>b</title></item>\
                   <item><title>c</title><description>body</description></item></channel></rss>";
        let first = parse(doc.as_bytes(), None, &url()).unwrap();
        let again = parse(doc.as_bytes(), None, &url()).unwrap();
        let keys: Vec<&str> = first.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys[0], "id:abc");
        assert_eq!(keys[1], "link:https://wire.example/news/2");
        assert!(keys[2].starts_with("hash:"));
        assert_eq!(first, again);
    }

    #[test]
    fn rss1_atom_and_json_feed() {
        let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="https://wire.example/"><title>w</title><link>https://wire.example/</link></channel>
            <item rdf:about="https://wire.example/1"><title>one</title><link>https://wire.example/1</link></item></rdf:RDF>"#;
        let f = parse(rdf.as_bytes(), None, &url()).unwrap();
        assert_eq!(f.items[0].link.as_ref().unwrap().as_str(), "https://wire.example/1");
        assert_eq!(f.items[0].key, "link:https://wire.example/1");
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:w</id><title>w</title><updated>2023-11-16T09:00:00+03:00</updated>
            <entry><id>urn:w:1</id><title type="html">&lt;b&gt;bold&lt;/b&gt; news</title><updated>2023-11-16T09:00:00+03:00</updated>
            <content type="html">&lt;p dir="rtl" lang="ar"&gt;نص&lt;/p&gt;</content></entry></feed>"#;
        let f = parse(atom.as_bytes(), None, &url()).unwrap();
        assert_eq!((f.id.as_deref(), f.items[0].title.as_str()), (Some("urn:w"), "bold news"));
        assert_eq!(f.items[0].published.unwrap().to_rfc3339(), "2023-11-16T06:00:00+00:00");
        let json =
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"7","content_text":"a < b"}]}"#;
        let f = parse(json.as_bytes(), None, &url()).unwrap();
        assert_eq!(f.items[0].key, "id:7");
        assert!(f.items[0].content_html.contains("a &lt; b"), "{}", f.items[0].content_html);
        let e = parse(b"<html>not a feed</html>", None, &url()).unwrap_err();
        assert!(e.to_string().starts_with("https://wire.example/feed.xml: "), "{e}");
    }
}
