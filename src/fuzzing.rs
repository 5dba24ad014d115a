//! Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_corpus.rs`, which replays
//! their corpus on stable Rust in CI. Each takes arbitrary bytes and panics only on a bug:
//! errors are expected, a panic, a hang or an invalid feed is not.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{TimeZone as _, Utc};
use url::Url;

use crate::config::{Compression, Config, TtlBounds};
use crate::model::{FeedMeta, Item, Language, Person, Slug, is_unfit};
use crate::publish::serve::{App, Site};
use crate::render::{FeedView, Output, OutputKind, SiteMeta, render_feed_documents};
use crate::source::upstream::{import, parse, sanitize};

mod schedule;
pub use schedule::schedule;

/// The site the targets render into (also used by `tests/fuzz_findings.rs`).
pub fn site_meta() -> SiteMeta {
    SiteMeta {
        base_url: Url::parse("https://example.org/").expect("a valid URL"),
        title: "fuzz".into(),
        language: Language::parse("ar").expect("a valid tag"),
        ttl: TtlBounds { min_minutes: 15, max_minutes: 360 },
        hub: None,
    }
}

/// The feed the targets render into: slug `fuzz`, Arabic, limit 50.
pub fn feed_meta() -> FeedMeta {
    let person = Person { name: "fuzz".into(), email: None, uri: None };
    FeedMeta {
        slug: Slug::new("fuzz").expect("a valid slug"),
        title: "fuzz".into(),
        description: "fuzz".into(),
        language: Language::parse("ar").expect("a valid tag"),
        link: None,
        publisher: person.clone(),
        author: person,
        rights: None,
        limit: 50,
        id: None,
        ttl_minutes: None,
        sources: Vec::new(),
    }
}

/// Renders `items` into the three feeds and checks that each reads back as a feed (feed-rs
/// for RSS and Atom, serde_json for JSON Feed): whatever came in, what goes out is valid.
fn render_and_reparse(items: &[Item]) {
    let (site, meta) = (site_meta(), feed_meta());
    let docs = render_feed_documents(&site, FeedView { meta: &meta, items }).expect("rendering never fails");
    for (doc, name) in docs.iter().zip(["rss", "atom", "json"]) {
        match name {
            "json" => {
                serde_json::from_slice::<serde_json::Value>(doc).expect("our JSON Feed parses");
            }
            _ => {
                let text = std::str::from_utf8(doc).expect("our XML is UTF-8");
                if let Some((at, c)) =
                    text.char_indices().find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                {
                    let before: String =
                        text[..at].chars().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
                    panic!("{name}: U+{:04X} at byte {at}, after {before:?}", u32::from(c));
                }
                feed_rs::parser::parse(&doc[..]).unwrap_or_else(|e| panic!("{name}: our feed does not parse: {e}"));
            }
        }
    }
}

/// An article file: byte 0 picks the format (Markdown or plain text), the rest is the file.
/// Imported, and when it imports, rendered and read back.
pub fn article(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else { return };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(if kind % 2 == 0 { "a.md" } else { "a.txt" });
    std::fs::write(&path, body).expect("writing a temporary file");
    let meta = feed_meta();
    if let Ok(a) = crate::source::import(&path, None, &meta) {
        render_and_reparse(&[Item::from(a)]);
    }
}

/// An upstream response: byte 0 picks the charset its Content-Type named (none, utf-8,
/// windows-1256, iso-8859-1, or a bogus label), the rest is the body. The RSS 2.0 reader and
/// the one-pass sanitiser answer as feed-rs and ammonia do (the body read as HTML too). Parsed, sanitised,
/// imported, rendered and read back.
pub fn ingest(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else { return };
    let charset =
        [None, Some("utf-8"), Some("windows-1256"), Some("iso-8859-1"), Some("x-bogus")][usize::from(pick) % 5];
    let url = Url::parse("https://wire.example/feed").expect("a valid URL");
    // The one-pass readers answer as feed-rs and ammonia do, or not at all.
    crate::source::upstream::read::check_rss2(body, charset, &url);
    sanitize::check_one_pass(&String::from_utf8_lossy(body), &url);
    let Ok(feed) = parse(body, charset, &url) else { return };
    let t0 = Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).single().expect("a valid date");
    let items: Vec<Item> = import::import(&url, &url, &feed, Some(50))
        .into_iter()
        .map(|a| {
            let published = a.published.unwrap_or(t0);
            Item { id: a.id, content: a.content, published, updated: a.updated.unwrap_or(published) }
        })
        .collect();
    render_and_reparse(&items);
}

/// A title, an author name or a feed title: byte 0 picks the cap (a title's, a name's, 16 or 1
/// characters) and whether the text is HTML, the rest is the text (lossy UTF-8). What comes out
/// is text: html5ever parses it without an element, it holds no character XML cannot carry, and
/// it is no longer than the cap.
pub fn plain_text(data: &[u8]) {
    let Some((&pick, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let max = [sanitize::MAX_TITLE_CHARS, sanitize::MAX_NAME_CHARS, 16, 1][usize::from(pick >> 1) % 4];
    let out = sanitize::plain_text(&text, pick % 2 == 0, max);
    assert!(!sanitize::has_element(&out), "markup in {out:?}");
    if let Some(c) = out.chars().find(|&c| is_unfit(c)) {
        panic!("U+{:04X} in {out:?}", u32::from(c));
    }
    assert!(out.chars().count() <= max, "{} characters, over {max}", out.chars().count());
}

/// `config/feedpub.toml` and a `feed.toml`: byte 0 picks which; the rest is the text.
pub fn config(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(body) else { return };
    if pick % 2 == 0 {
        let _ = Config::parse(text, Path::new("fuzz.toml"));
    } else {
        let _ = crate::source::feed_def::parse(text, Slug::new("fuzz").expect("a valid slug"), Path::new("feed.toml"));
    }
}

static APP: LazyLock<Arc<App>> = LazyLock::new(|| {
    let output = Output {
        path: "f/rss.xml".into(),
        bytes: "<rss>نص</rss>".repeat(200).into_bytes(),
        kind: OutputKind::Rss,
        updated: Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).single().expect("a valid date"),
        ttl_minutes: 60,
        archived: Default::default(),
    };
    let site = Site::new(vec![output], Compression { gzip: true, brotli: true }, None);
    App::new(site, 0.0, Duration::ZERO, Vec::new(), Box::new(|| Ok(())), Default::default())
});

/// A request's conditional and negotiation headers: the bytes split at newlines give the
/// values of If-None-Match, If-Modified-Since, Accept-Encoding and the method (GET or HEAD).
/// The answer is 200 or 304 with the headers each of those must carry.
pub fn conditional(data: &[u8]) {
    let mut parts = data.split(|b| *b == b'\n');
    let mut request = hyper::Request::builder().uri("/f/rss.xml");
    for name in ["if-none-match", "if-modified-since", "accept-encoding"] {
        if let Some(value) = parts.next()
            && let Ok(value) = hyper::header::HeaderValue::from_bytes(value)
        {
            request = request.header(name, value);
        }
    }
    let head = parts.next().is_some_and(|m| m.first().is_some_and(|b| b % 2 == 1));
    let request = request.method(if head { "HEAD" } else { "GET" }).body(()).expect("a valid request");
    let response = APP.answer(IpAddr::V4(Ipv4Addr::LOCALHOST), &request);
    let status = response.status().as_u16();
    assert!(matches!(status, 200 | 304), "status {status}");
    assert!(response.headers().contains_key("etag"), "no ETag");
    if status == 200 {
        assert!(response.headers().contains_key("content-length") || head, "no length");
    }
}
