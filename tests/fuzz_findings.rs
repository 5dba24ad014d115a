//! One test per finding of the fuzz targets (`fuzz/`), through the public API; the inputs the
//! fuzzer found are kept in `fuzz/corpus/<target>/crash-*` and replayed by `tests/fuzz_corpus.rs`.
//! Findings in local articles are tested against the binary in `tests/errors.rs`
//! (`control_character_*`).

use chrono::{TimeZone as _, Utc};
use feedpub::model::{Content, Item, ItemId, is_unfit};
use feedpub::render::{FeedView, RenderError, render_feed_documents, render_site};
use feedpub::source::upstream::{import::import, parse};
use url::Url;

fn url() -> Url {
    Url::parse("https://wire.example/feed").unwrap()
}

/// Every string of every field, found through the serialised form so that none is missed.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// crash-control-1: DEL in an item reached the feeds. Every way a control character can
/// arrive (raw, as a character reference decoded by the sanitiser, in a text-typed body, in
/// the feed's own id) must end with none in any field.
#[test]
fn no_control_character_survives_import() {
    let atom = "<feed xmlns='http://www.w3.org/2005/Atom'><id>feed\u{85}id</id><title>W\u{7f}</title>\
        <entry><id>1</id><title>t\u{7f}\u{9f}x</title><author><name>n\u{80}</name></author>\
        <content type='html'>&lt;p&gt;a&amp;#x7f;b&amp;#x1;c\u{7f}&lt;/p&gt;</content></entry>\
        <entry><id>2</id><title>u</title><content type='text'>d\u{7f}e\u{86}</content></entry></feed>";
    let feed = parse(atom.as_bytes(), Some("utf-8"), &url()).unwrap();
    let articles = import(&url(), &url(), &feed, None);
    assert_eq!(articles.len(), 2);
    for a in &articles {
        let mut all = Vec::new();
        strings(&serde_json::to_value(&a.content).unwrap(), &mut all);
        assert!(all.len() >= 5, "{all:?}");
        assert!(!all.iter().any(|s| s.contains(is_unfit)), "{all:?}");
    }
    assert_eq!(articles[0].content.title, "tx");
    assert_eq!(articles[0].content.body_html, "<p>abc</p>");
    assert_eq!(articles[1].content.body_html, "<p>de</p>");
}

/// crash-decl-mid-document: feed-rs panicked inside quick-xml 0.42 on a second XML declaration
/// naming another encoding. A parser panic is still that document's error (parse::feed catches
/// it), but this document no longer gets that far.
#[test]
fn a_second_declaration_is_dropped_before_the_parser_sees_it() {
    // Since issue 15 the strict scan finds the second declaration first and repair drops it:
    // feed-rs never sees it, and the document is read.
    let doc =
        "<rss version='2.0'><channel><?xml version='1.0' encoding='windows-1256'?><title>x</title></channel></rss>";
    let read = feedpub::source::upstream::read(doc.as_bytes(), None, &url(), &Default::default()).unwrap();
    assert_eq!(read.feed.title.as_deref(), Some("x"));
    assert!(read.reading.to_string().contains("recovered: "), "{}", read.reading);
}

/// crash-year-20233: a pubDate in the year 20233 was stored, and rendering RSS panicked in
/// chrono (RFC 2822 has four-digit years). Such a date is now no date (the item gets the time
/// it is first seen), and the renderers refuse one instead of panicking.
#[test]
fn a_year_no_feed_can_carry_is_no_date() {
    let item = |date: &str| {
        format!("<item><guid>{date}</guid><title>t</title><pubDate>{date}</pubDate><description>d</description></item>")
    };
    let doc = format!(
        "<rss version='2.0'><channel><title>w</title><link>https://wire.example/</link><description>d</description>\
         {}{}{}</channel></rss>",
        item("Fri, 17 Nov 20233 08:00:00 +0300"),
        item("Fri, 17 Nov 1899 08:00:00 +0300"),
        item("Fri, 17 Nov 2023 08:00:00 +0300")
    );
    let feed = parse(doc.as_bytes(), None, &url()).unwrap();
    let dates: Vec<_> = feed.items.iter().map(|i| i.published).collect();
    let good = Utc.with_ymd_and_hms(2023, 11, 17, 5, 0, 0).single();
    assert_eq!(dates, [None, None, good]);

    let (site, meta) = (feedpub::fuzzing::site_meta(), feedpub::fuzzing::feed_meta());
    let far = Utc.with_ymd_and_hms(20233, 11, 17, 0, 0, 0).single().unwrap();
    let items = [Item {
        id: ItemId::new("x").unwrap(),
        content: Content::new("t", "s", "<p>b</p>"),
        published: far,
        updated: far,
    }];
    let view = FeedView { meta: &meta, items: &items };
    for e in [render_feed_documents(&site, view).unwrap_err(), render_site(&site, &[view]).unwrap_err()] {
        assert!(matches!(e, RenderError::Date { .. }), "{e}");
        assert!(e.to_string().starts_with("fuzz: item x: the date +20233-11-17"), "{e}");
    }
}

/// crash-space-in-etag: a space or tab inside a quoted tag of If-None-Match made headers 0.4.2
/// panic (a debug assertion) while answering. Such a value is malformed and matches nothing:
/// the answer is a 200 with the body. `conditional` asserts the status and headers.
#[test]
fn whitespace_inside_an_entity_tag_is_a_malformed_tag() {
    for value in ["\"a b\"", "W/\"a\tb\", \"c\"", "\"x\",  \"y z\""] {
        feedpub::fuzzing::conditional(value.as_bytes());
    }
    // Space between tags is allowed and still parsed.
    feedpub::fuzzing::conditional(b"\"a\", \"b\"");
}
