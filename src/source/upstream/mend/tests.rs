use super::*;

use feed_rs::model::Feed;

/// `doc`, which feed-rs refuses (checked: each case is a refusal found by probing feed-rs
/// 3.0), mended, and what feed-rs reads in it.
pub(super) fn mended(doc: &str) -> (String, Feed) {
    assert!(feed_rs::parser::parse(doc.as_bytes()).is_err(), "feed-rs reads it as it is: {doc}");
    let mended = mend(doc).unwrap_or_else(|| panic!("not mended: {doc}"));
    let feed = feed_rs::parser::parse(mended.as_bytes()).unwrap_or_else(|e| panic!("{e}: {mended}"));
    (mended, feed)
}

pub(super) fn titles(feed: &Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.title.as_ref().map(|t| t.content.clone()).unwrap_or_default()).collect()
}

fn atom(entries: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Tide tables</title><id>urn:tides</id>\
         <entry><title>Plain</title><id>urn:1</id><content>kept as it was</content></entry>{entries}</feed>"
    )
}

fn entry(feed: &Feed, title: &str) -> feed_rs::model::Entry {
    feed.entries.iter().find(|e| e.title.as_ref().is_some_and(|t| t.content == title)).cloned().unwrap()
}

#[test]
fn media_typed_text_constructs_are_text_and_html() {
    let doc = atom(
        "<entry><title type=\"text/plain\">Neap tide</title><id>urn:2</id>\
         <summary type=\"text/plain\">Low &amp; slow</summary><rights type=\"TEXT/HTML\">&lt;b&gt;ours&lt;/b&gt;</rights></entry>\
         <entry><title>Spring tide</title><id>urn:3</id><summary type=\"application/xhtml+xml\">\
         <div xmlns=\"http://www.w3.org/1999/xhtml\"><p>High <em>and</em> fast</p></div></summary></entry>",
    );
    let (_, feed) = mended(&doc);
    assert_eq!(titles(&feed), ["Plain", "Neap tide", "Spring tide"]);
    let neap = entry(&feed, "Neap tide");
    assert_eq!(
        neap.summary.as_ref().map(|s| (s.content_type.to_string(), s.content.as_str())),
        Some(("text/plain".to_owned(), "Low & slow"))
    );
    assert_eq!(neap.rights.unwrap().content, "<b>ours</b>");
    let summary = entry(&feed, "Spring tide").summary.unwrap();
    assert_eq!(summary.content_type.to_string(), "application/xhtml");
    assert!(summary.content.contains("<em>and</em>"), "{}", summary.content);
}

#[test]
fn a_feed_level_title_and_a_title_of_any_type_are_kept() {
    let doc = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text/plain\">Gulls</title>\
               <subtitle type=\"weird\">seen</subtitle><entry><title type=\"image/png\">Herring gull</title></entry></feed>";
    let (_, feed) = mended(doc);
    assert_eq!(feed.title.as_ref().unwrap().content, "Gulls");
    assert_eq!(feed.description.as_ref().unwrap().content, "seen");
    assert_eq!(titles(&feed), ["Herring gull"]);
}

#[test]
fn xml_content_is_xhtml_or_dropped() {
    let doc = atom(
        "<entry><title>Chart</title><id>urn:2</id><content type=\"application/xhtml+xml\">\
         <div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Depth <b>4 m</b></p></div></content></entry>\
         <entry><title>Drawing</title><id>urn:3</id><summary>A drawing of the bay</summary>\
         <content type=\"image/svg+xml\"><svg xmlns=\"http://www.w3.org/2000/svg\"><title type=\"text/plain\">bay</title></svg></content></entry>\
         <entry><title>Data</title><id>urn:4</id><summary>Readings</summary><content type=\"text/xml\"><depth>4</depth></content></entry>",
    );
    let (text, feed) = mended(&doc);
    assert_eq!(titles(&feed), ["Plain", "Chart", "Drawing", "Data"]);
    let chart = entry(&feed, "Chart").content.unwrap();
    assert_eq!(chart.content_type.to_string(), "application/xhtml");
    assert!(chart.body.unwrap().contains("<b>4 m</b>"));
    for (title, summary) in [("Drawing", "A drawing of the bay"), ("Data", "Readings")] {
        let e = entry(&feed, title);
        assert!(e.content.is_none(), "{title}");
        assert_eq!(e.summary.unwrap().content, summary);
    }
    assert!(!text.contains("<svg") && !text.contains("<depth>"), "{text}");
    assert_eq!(entry(&feed, "Plain").content.unwrap().body.unwrap(), "kept as it was");
}

#[test]
fn empty_binary_content_goes_and_base64_stays() {
    let doc = atom(
        "<entry><title>Photo</title><id>urn:2</id><summary>The pier</summary><content type=\"image/png\"/></entry>\
         <entry><title>Scan</title><id>urn:3</id><content type=\"application/octet-stream\">aGVsbG8=</content></entry>",
    );
    let (_, feed) = mended(&doc);
    assert_eq!(titles(&feed), ["Plain", "Photo", "Scan"]);
    assert!(entry(&feed, "Photo").content.is_none());
    assert_eq!(entry(&feed, "Scan").content.unwrap().body.unwrap(), "aGVsbG8=");
}

#[test]
fn src_content_keeps_its_reference_with_a_media_type() {
    let doc = atom(
        "<entry><title>Linked</title><id>urn:2</id><content type=\"html\" src=\"https://tides.example/2\"/></entry>\
         <entry><title>Spaced</title><id>urn:3</id><content src=\"https://tides.example/3\" type=\"text/html\"> </content></entry>\
         <entry><title>Both</title><id>urn:4</id><content type=\"text/plain\" src=\"https://tides.example/4\">Inline words</content></entry>",
    );
    let (_, feed) = mended(&doc);
    assert_eq!(titles(&feed), ["Plain", "Linked", "Spaced", "Both"]);
    for title in ["Linked", "Spaced"] {
        let content = entry(&feed, title).content.unwrap();
        assert!(content.src.unwrap().href.starts_with("https://tides.example/"), "{title}");
        assert_eq!(content.body, None);
    }
    let both = entry(&feed, "Both").content.unwrap();
    assert_eq!((both.src, both.body.as_deref()), (None, Some("Inline words")));
}

#[test]
fn types_of_no_kind_are_text() {
    let doc = atom(
        "<entry><title>Odd</title><id>urn:2</id><content type=\"weird\">Odd words</content></entry>\
         <entry><title>Shouted</title><id>urn:3</id><content type=\"HTML\">&lt;p&gt;Loud&lt;/p&gt;</content></entry>\
         <entry><title>Marked</title><id>urn:4</id><content type=\"text/plain\"><b>bold</b> words</content></entry>",
    );
    let (_, feed) = mended(&doc);
    let body = |t| entry(&feed, t).content.and_then(|c| Some((c.content_type.to_string(), c.body?)));
    assert_eq!(body("Odd"), Some(("text/plain".to_owned(), "Odd words".to_owned())));
    assert_eq!(body("Shouted"), Some(("text/html".to_owned(), "<p>Loud</p>".to_owned())));
    assert!(body("Marked").unwrap().1.contains("words"));
}

#[test]
fn base64_text_constructs_are_decoded() {
    // "Low <b>water</b>" and "Ebb & flow", base64; "tide" is not base64 of any text.
    let doc = atom(
        "<entry><title type=\"application/octet-stream\">\n RWJiICYgZmxvdw==\n</title><id>urn:2</id>\
         <summary type=\"application/octet-stream\">TG93IDxiPndhdGVyPC9iPg==</summary></entry>\
         <entry><title type=\"application/x-custom\">tide</title><id>urn:3</id>\
         <summary type=\"image/png\">iVBORw0KGgo=</summary></entry>",
    );
    let (_, feed) = mended(&doc);
    assert_eq!(titles(&feed), ["Plain", "Ebb & flow", "tide"]);
    let summary = entry(&feed, "Ebb & flow").summary.unwrap();
    assert_eq!(
        (summary.content_type.to_string(), summary.content.as_str()),
        ("text/plain".to_owned(), "Low <b>water</b>")
    );
    assert!(entry(&feed, "tide").summary.is_none());
}

#[test]
fn media_rss_and_itunes_text_is_mended_too() {
    let doc = "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\" \
               xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><title>Harbour radio</title>\
               <item><title>Episode 1</title><media:content url=\"https://r.example/1.mp3\"><media:description/></media:content></item>\
               <item><title>Episode 2</title><media:title type=\"text/html\">&lt;i&gt;Two&lt;/i&gt;</media:title>\
               <itunes:summary type=\"text/plain\">Second</itunes:summary></item></channel></rss>";
    let (text, feed) = mended(doc);
    assert_eq!(titles(&feed), ["Episode 1", "Episode 2"]);
    assert!(!text.contains("<media:description"), "{text}");
    assert!(text.contains("<media:title type=\"html\">"), "{text}");
}

#[test]
fn atom_03_without_its_namespace_is_read_as_atom_1_0() {
    let doc = "<?xml version=\"1.0\"?>\n<feed version=\"0.3\" xml:lang=\"en\"><title>Lock keeper</title>\
               <tagline type=\"text/plain\">Boats through</tagline><modified>2024-05-02T10:00:00Z</modified>\
               <entry><title type=\"text/plain\">Gate mended</title><id>urn:g</id><issued>2024-05-01T09:00:00Z</issued>\
               <summary type=\"text/plain\">It swings again</summary>\
               <content type=\"application/xhtml+xml\" mode=\"xml\"><p>The <em>upper</em> gate</p></content></entry></feed>";
    let (text, feed) = mended(doc);
    assert!(text.contains("xmlns=\"http://www.w3.org/2005/Atom\""), "{text}");
    assert_eq!(titles(&feed), ["Gate mended"]);
    let e = &feed.entries[0];
    assert_eq!(e.published.unwrap().to_rfc3339(), "2024-05-01T09:00:00+00:00");
    assert!(e.content.as_ref().unwrap().body.as_ref().unwrap().contains("<em>upper</em>"));
    assert_eq!(feed.description.unwrap().content, "Boats through");
}

#[test]
fn only_the_tags_that_change_are_rewritten() {
    let doc = "<feed xmlns='http://www.w3.org/2005/Atom'><!-- c --><entry><title>Quoted</title>\
               <summary type='text/plain' label='say \"hi\"' xml:lang=\"en\">s &amp; t<![CDATA[ <u> ]]></summary></entry></feed>";
    let (text, feed) = mended(doc);
    assert_eq!(text, doc.replace("type='text/plain' label='say \"hi\"'", "type=\"text\" label='say \"hi\"'"));
    assert_eq!(feed.entries[0].summary.as_ref().unwrap().content, "s & t <u>");
}

#[test]
fn what_is_not_refused_or_not_well_formed_is_not_mended() {
    assert_eq!(mend(&atom("")), None);
    assert_eq!(mend("<rss version=\"0.94\"><channel></rss>"), None);
    assert_eq!(mend("not xml at all"), None);
    // Refused for a reason mend does not know: no feed at all.
    assert_eq!(mend("<catalog><book><title type=\"text/plain\">Guide</title></book></catalog>"), None);
    assert_eq!(mend(""), None);
}

#[test]
fn never_panics_on_a_cut_document() {
    let doc =
        atom("<entry><title type=\"text/plain\">Cut</title><content type=\"image/svg+xml\"><svg/></content></entry>");
    for end in (0..doc.len()).filter(|&i| doc.is_char_boundary(i)) {
        let _ = mend(&doc[..end]);
    }
}

#[test]
fn a_json_feed_with_a_bare_version_or_no_title_is_read() {
    let doc = r#"{"version":"1.0","items":[{"id":"1","content_text":"x"}]}"#;
    assert!(feed_rs::parser::parse(doc.as_bytes()).is_err(), "feed-rs refuses it");
    let mended = mend(doc).unwrap();
    assert_eq!(feed_rs::parser::parse(mended.as_bytes()).unwrap().entries.len(), 1);
    let fine = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[]}"#;
    assert_eq!(mend(fine), None);
}

#[test]
fn an_xml_base_that_is_no_url_is_dropped() {
    let (mended, feed) = mended(&atom(
        r#"<entry xml:base="http://[gull/"><title>Based</title><id>urn:2</id><link href="eggs"/></entry>"#,
    ));
    assert!(!mended.contains("xml:base"), "{mended}");
    assert_eq!(titles(&feed), ["Plain", "Based"]);
}
