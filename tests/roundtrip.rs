//! The seed's three feeds read back by an independent parser (feed-rs).

mod common;

use common::*;
use feed_rs::model::{Feed, FeedType};

fn parse(site: &Site, name: &str) -> Feed {
    let bytes = std::fs::read(site.out().join(SLUG).join(name)).unwrap();
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn all_three_formats_round_trip_through_feed_rs() {
    let site = Site::new();
    site.build();
    let publisher = "مجموعة الرؤية الإستراتيجية \"روسيا - العالم الإسلامي\"";
    let paragraphs = seed_paragraphs();
    assert_eq!(paragraphs.len(), 5);
    let mut ids = Vec::new();
    for (name, kind) in [("rss.xml", FeedType::RSS2), ("atom.xml", FeedType::Atom), ("feed.json", FeedType::JSON)] {
        let feed = parse(&site, name);
        assert_eq!(feed.feed_type, kind, "{name}");
        assert_eq!(feed.title.as_ref().unwrap().content, publisher, "{name}");
        assert_eq!(feed.language.as_deref(), Some("ar"), "{name}");
        assert_eq!(feed.entries.len(), 1, "{name}");
        let e = &feed.entries[0];
        assert_eq!(e.published.unwrap().to_rfc3339(), "2023-11-16T00:00:00+00:00", "{name}");
        let link = &e.links[0].href;
        assert_eq!(link, &format!("http://localhost:8080/{SLUG}/{SEED}.html"), "{name}");
        let body = e.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
        assert!(body.contains(r#"dir="rtl""#), "{name}: content lost its direction");
        for p in &paragraphs {
            // feed-rs hands back the HTML; the text is escaped for HTML only where it must be.
            assert!(body.contains(&html_escape::encode_text(p).into_owned()), "{name}: paragraph missing: {p}");
        }
        // The trailer lines reach the reader verbatim, outside the paragraphs.
        assert!(body.contains("Photo: Public Domain/Collective Security Treaty Organization"), "{name}");
        assert!(body.contains("المصدر: تاس"), "{name}");
        let summary = e.summary.as_ref().map(|s| s.content.clone()).unwrap_or_default();
        assert!(summary.contains("16 نوفمبر/تشرين الثاني 2023"), "{name}: {summary}");
        ids.push(e.id.clone());
    }
    // One permanent id across the formats.
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
}

#[test]
fn rss_carries_attribution_and_self_link() {
    let site = Site::new();
    site.build();
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    assert!(rss.contains(r#"<atom:link href="http://localhost:8080/russia-islamic-world/rss.xml" rel="self""#));
    assert!(rss.contains("<language>ar</language>"));
    assert!(rss.contains(r#"<guid isPermaLink="false">"#));
    assert!(rss.contains("<dc:source>تاس</dc:source>"));
    assert!(rss.contains("<ttl>360</ttl>"));
    assert!(rss.contains("<lastBuildDate>Thu, 16 Nov 2023 00:00:00 +0000</lastBuildDate>"));
}
