use super::*;

/// What feed-rs reads in the modernized document.
fn read(text: &str) -> (Legacy, feed_rs::model::Feed) {
    let (modern, legacy) = modernize(text).unwrap_or_else(|| panic!("not recognised as legacy: {text}"));
    let feed = feed_rs::parser::parse(modern.as_bytes()).unwrap_or_else(|e| panic!("{e}: {modern}"));
    (legacy, feed)
}

const RSS_090: &str = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
  <channel><title>Quay notices</title><link>https://quay.example/</link><description>From the harbour master</description></channel>
  <item><title>Berth 4 closed</title><link>https://quay.example/berth-4</link></item>
  <item><title>Crane &amp; hoist inspected</title><link>https://quay.example/crane</link></item>
</rdf:RDF>"#;

#[test]
fn rss_090_is_read_as_rss_1_with_every_dateless_item() {
    let (legacy, feed) = read(RSS_090);
    assert_eq!(legacy, Legacy::Rss090);
    assert_eq!(feed.title.unwrap().content, "Quay notices");
    let items: Vec<(String, String)> =
        feed.entries.iter().map(|e| (e.title.clone().unwrap().content, e.links[0].href.clone())).collect();
    assert_eq!(
        items,
        [
            ("Berth 4 closed".to_owned(), "https://quay.example/berth-4".to_owned()),
            ("Crane & hoist inspected".to_owned(), "https://quay.example/crane".to_owned())
        ]
    );
    assert!(feed.entries.iter().all(|e| e.published.is_none() && e.updated.is_none()));
    // Only the namespace changed: the rest is byte for byte the same.
    let (modern, _) = modernize(RSS_090).unwrap();
    assert_eq!(modern.replace("http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"), RSS_090);
}

#[test]
fn rss_090_namespace_in_single_quotes_and_without_its_slash() {
    let doc = "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' \
               xmlns='http://my.netscape.com/rdf/simple/0.9'><item><title>t</title><link>https://q.example/</link></item></rdf:RDF>";
    assert_eq!(read(doc).1.entries.len(), 1);
}

const ATOM_03: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="en">
  <title>Harbour log</title>
  <tagline type="text/html" mode="escaped">Boats &lt;b&gt;in&lt;/b&gt; and out</tagline>
  <copyright>Harbour trust</copyright>
  <modified>2024-03-02T10:00:00Z</modified>
  <generator url="https://gen.example/" version="1">gen</generator>
  <author><name>Ines Harbour</name><url>https://ines.example/</url></author>
  <link rel="alternate" type="text/html" href="https://harbour.example/"/>
  <entry>
    <title>Escaped</title><link rel="alternate" type="text/html" href="https://harbour.example/1"/>
    <id>tag:harbour.example,2024:1</id>
    <created>2024-02-28T08:00:00Z</created><issued>2024-03-01T09:00:00+01:00</issued><modified>2024-03-01T12:00:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;The &lt;em&gt;tide&lt;/em&gt; turned.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title mode="xml" type="text/plain">Inline</title><id>tag:harbour.example,2024:2</id>
    <issued>2024-03-01T10:00:00Z</issued><created>2024-02-01T00:00:00Z</created>
    <summary type="text/html" mode="escaped">&lt;i&gt;short&lt;/i&gt;</summary>
    <content type="application/xhtml+xml" mode="xml"><p>One</p><p>Two &amp; three</p></content>
  </entry>
  <entry>
    <title>Base64 text</title><id>tag:harbour.example,2024:3</id><created>2024-03-01T11:00:00Z</created>
    <content type="text/plain" mode="base64">VGhlIGZlcnJ5IGlz
      IGxhdGUgPGFnYWluPi4</content>
  </entry>
  <entry>
    <title>Base64 image</title><id>tag:harbour.example,2024:4</id>
    <content type="image/png" mode="base64">iVBORw0KGgoAAwYJDA8SFRgbHiEkJ2hhcmJvdXI=</content>
  </entry>
</feed>"#;

#[test]
fn atom_03_is_read_as_atom_1() {
    let (legacy, feed) = read(ATOM_03);
    assert_eq!(legacy, Legacy::Atom03);
    assert_eq!(feed.title.unwrap().content, "Harbour log");
    let tagline = feed.description.unwrap();
    assert_eq!(
        (tagline.content_type.to_string().as_str(), tagline.content.as_str()),
        ("text/html", "Boats <b>in</b> and out")
    );
    assert_eq!(feed.rights.unwrap().content, "Harbour trust");
    assert_eq!(feed.updated.unwrap().to_rfc3339(), "2024-03-02T10:00:00+00:00");
    assert_eq!(feed.authors[0].uri.as_deref(), Some("https://ines.example/"));
    assert_eq!(feed.generator.unwrap().uri.as_deref(), Some("https://gen.example/"));
    assert_eq!(feed.links[0].href, "https://harbour.example/");
    assert_eq!(feed.entries.len(), 4, "every entry is kept, the one whose content is an image too");
}

#[test]
fn atom_03_dates() {
    let entries = read(ATOM_03).1.entries;
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.to_rfc3339());
    // `issued` wins over `created`, before it or after it.
    assert_eq!(date(entries[0].published).as_deref(), Some("2024-03-01T08:00:00+00:00"));
    assert_eq!(date(entries[0].updated).as_deref(), Some("2024-03-01T12:00:00+00:00"));
    assert_eq!(date(entries[1].published).as_deref(), Some("2024-03-01T10:00:00+00:00"));
    // `created` alone is the publication date.
    assert_eq!(date(entries[2].published).as_deref(), Some("2024-03-01T11:00:00+00:00"));
    assert_eq!((entries[3].published, entries[3].updated), (None, None));
}

#[test]
fn atom_03_content_modes() {
    let entries = read(ATOM_03).1.entries;
    let content = |i: usize| {
        entries[i].content.as_ref().map(|c| (c.content_type.to_string(), c.body.clone().unwrap_or_default()))
    };
    assert_eq!(content(0), Some(("text/html".into(), "<p>The <em>tide</em> turned.</p>".into())));
    // Inline XHTML without its div is given one (feed-rs takes it off again).
    assert_eq!(content(1), Some(("application/xhtml".into(), "<p>One</p><p>Two &amp; three</p>".into())));
    assert_eq!(entries[1].title.as_ref().unwrap().content, "Inline");
    assert_eq!(entries[1].summary.as_ref().unwrap().content, "<i>short</i>");
    // Base64 text is decoded (wrapped, unpadded), and escaped as the text it is.
    assert_eq!(content(2), Some(("text/plain".into(), "The ferry is late <again>.".into())));
    // A binary document is dropped; the entry stays.
    assert_eq!((content(3), entries[3].title.as_ref().unwrap().content.as_str()), (None, "Base64 image"));
}

#[test]
fn atom_03_xhtml_keeps_its_own_div_and_text_html_without_markup_is_html() {
    let doc = r#"<feed xmlns="http://purl.org/atom/ns#"><title>t</title><entry><title>e</title>
        <content type="text/html" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><b>bold</b></div></content>
        <summary type="text/html">&lt;b&gt;escaped, mode left out&lt;/b&gt;</summary></entry></feed>"#;
    let (modern, _) = modernize(doc).unwrap();
    assert_eq!(modern.matches("<div").count(), 1, "{modern}");
    let entry = &read(doc).1.entries[0];
    assert_eq!(entry.content.as_ref().unwrap().body.as_deref(), Some("<b>bold</b>"));
    let summary = entry.summary.as_ref().unwrap();
    assert_eq!(
        (summary.content_type.to_string().as_str(), summary.content.as_str()),
        ("text/html", "<b>escaped, mode left out</b>")
    );
}

#[test]
fn atom_03_under_a_prefix() {
    let doc = r#"<a:feed xmlns:a="http://purl.org/atom/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"><a:title>t</a:title>
        <a:entry><a:title>p</a:title><a:issued>2024-01-02T00:00:00Z</a:issued><dc:subject>s</dc:subject></a:entry></a:feed>"#;
    let (modern, _) = modernize(doc).unwrap();
    assert!(modern.contains("<a:published>2024-01-02T00:00:00Z</a:published>"), "{modern}");
    assert!(modern.contains("<dc:subject>s</dc:subject>"), "{modern}");
}

#[test]
fn other_formats_are_left_alone() {
    for doc in [
        r#"<rss version="2.0"><channel><title>t</title></channel></rss>"#,
        r#"<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x"><rss version="0.91"/>"#,
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"/>"#,
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>"#,
        // Atom 0.3's namespace on something else than the root.
        r#"<rss version="2.0"><channel xmlns:old="http://purl.org/atom/ns#"/></rss>"#,
        r#"{"version":"https://jsonfeed.org/version/1.1","items":[]}"#,
        "",
        "   ",
        "<",
        "<!-- only a comment -->",
    ] {
        assert_eq!(modernize(doc), None, "{doc}");
    }
}

#[test]
fn never_panics_on_a_cut_legacy_document() {
    // Every prefix: the root may be recognised and the rest be missing.
    for doc in [ATOM_03, RSS_090] {
        for (end, _) in doc.char_indices() {
            if let Some((modern, _)) = modernize(&doc[..end]) {
                assert!(!modern.is_empty());
            }
        }
    }
}
