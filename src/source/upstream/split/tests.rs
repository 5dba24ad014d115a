use super::*;

const RSS: &str = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>t</title><language>ar</language>\
    <item><guid>1</guid><title>one</title></item>\n<item><guid>2</guid><title>two &amp; more</title></item>\
    <item/></channel></rss>";

fn texts<'a>(text: &'a str, split: &Split) -> Vec<&'a str> {
    split.items.iter().map(|i| &text[i.span.clone()]).collect()
}

#[test]
fn finds_rss_rdf_and_atom_items() {
    let s = split(RSS, "https://w.example/rss", usize::MAX).unwrap();
    assert_eq!(
        texts(RSS, &s),
        [
            "<item><guid>1</guid><title>one</title></item>",
            "<item><guid>2</guid><title>two &amp; more</title></item>",
            "<item/>"
        ]
    );
    let rdf = "<rdf:RDF xmlns:rdf=\"r\" xmlns=\"http://purl.org/rss/1.0/\"><channel><items/></channel>\
               <item rdf:about=\"a\"><title>a</title></item><item><title>b</title></item></rdf:RDF>";
    assert_eq!(split(rdf, "u", usize::MAX).unwrap().items.len(), 2);
    let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id><source><entry/></source></entry></feed>";
    assert_eq!(
        texts(atom, &split(atom, "u", usize::MAX).unwrap()),
        ["<entry><id>1</id><source><entry/></source></entry>"]
    );
}

#[test]
fn hashes_follow_the_item_and_its_context() {
    let a = split(RSS, "https://w.example/rss", usize::MAX).unwrap();
    let again = split(RSS, "https://w.example/rss", usize::MAX).unwrap();
    assert_eq!(a.items, again.items);
    assert_ne!(a.items[0].hash, a.items[1].hash);
    let moved = split(RSS, "https://w.example/moved", usize::MAX).unwrap();
    assert_ne!(a.items[0].hash, moved.items[0].hash, "links resolve against the URL");
    let other_language = RSS.replace(">ar<", ">en<");
    assert_ne!(a.items[0].hash, split(&other_language, "https://w.example/rss", usize::MAX).unwrap().items[0].hash);
    let other_item = RSS.replace(">one<", ">uno<");
    let b = split(&other_item, "https://w.example/rss", usize::MAX).unwrap();
    assert_ne!(a.items[0].hash, b.items[0].hash);
    assert_eq!(a.items[1].hash, b.items[1].hash, "the others are unchanged");
    // The channel's own elements (a build date that changes on every poll) are no part of it.
    let rebuilt = RSS.replace("<title>t</title>", "<title>t</title><lastBuildDate>now</lastBuildDate>");
    assert_eq!(a.items[0].hash, split(&rebuilt, "https://w.example/rss", usize::MAX).unwrap().items[0].hash);
}

#[test]
fn without_cuts_out_what_is_known() {
    let s = split(RSS, "u", usize::MAX).unwrap();
    let known = s.items[0].hash.clone();
    let cut = s.without(RSS, |_, i| i.hash == known).unwrap();
    assert!(!cut.contains(">one<") && cut.contains(">two &amp; more<") && cut.contains("<title>t</title>"), "{cut}");
    assert_eq!(split(&cut, "u", usize::MAX).unwrap().items.len(), 2);
    assert_eq!(s.without(RSS, |_, _| false), None);
    let json =
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1"}, {"id":"2"} ,{"id":"3"}]}"#;
    let s = split(json, "u", usize::MAX).unwrap();
    assert_eq!(texts(json, &s), [r#"{"id":"1"}"#, r#"{"id":"2"}"#, r#"{"id":"3"}"#]);
    let cut = s.without(json, |_, i| json[i.span.clone()].contains('2')).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&cut).unwrap()["items"].as_array().unwrap().len(), 2);
    let none = s.without(json, |_, _| true).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&none).unwrap()["items"].as_array().unwrap().is_empty());
}

#[test]
fn ill_formed_documents_are_refused_with_where() {
    let cases = [
        ("<rss><channel><title>a&nbsp;b</title></channel></rss>", "undefined entity &nbsp;"),
        ("<rss><channel><title>a</b></channel></rss>", ""),
        ("<rss><channel><item><![CDATA[cut", ""),
        ("<rss><channel><item>", "3 elements never closed"),
        ("junk<rss/>", "text before the root element"),
        ("<?xml version=\"1.0\"?><rss/><?xml version=\"1.0\"?>", "a second XML declaration"),
        ("<rss/><rss/>", "a second root element"),
        ("", "no root element"),
        ("<rss><title>a & b</title></rss>", ""),
    ];
    for (doc, message) in cases {
        let e = split(doc, "u", usize::MAX).expect_err(doc);
        assert!(e.message.contains(message), "{doc}: {e}");
    }
    let e = split("<rss>\n<channel>\n  <title>a</b>", "u", usize::MAX).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn the_scan_reads_markup_as_xml_does() {
    // Comments, CDATA, PIs, a DOCTYPE with a subset, quotes holding '>' and '/': all well-formed.
    let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY x \"<a>\">]>\n<?xml-stylesheet href=\"s.xsl\"?>\
               <rss a='x>y' b=\"/>\"><!-- <item> --><channel><item><![CDATA[</item><item>]]>&#x41;&#65;&quot;</item>\
               <dc:language xmlns:dc=\"d\">fr</dc:language></channel></rss >";
    let s = split(doc, "u", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.items.len(), 1);
    // What is not.
    for bad in [
        "<rss><a b=c/></rss>",
        "<rss><a b='<'/></rss>",
        "<rss><a b='1'c='2'/></rss>",
        "<rss><a>&#0;</a></rss>",
        "<rss><a>&#xD800;</a></rss>",
        "<rss>< a/></rss>",
        "<rss></a></rss>",
        "<rss><!-- never closed </rss>",
        "<rss><a b='never closed/></rss>",
    ] {
        assert!(split(bad, "u", usize::MAX).is_err(), "{bad}");
    }
}

#[test]
fn what_feed_rs_refuses_the_scan_refuses_too() {
    for bad in
        ["<rss><a>&#+65;</a></rss>", "<rss><a>&#x+41;</a></rss>", "<rss><x\"y>z</x\"y></rss>", "<rss><a>&#;</a></rss>"]
    {
        assert!(split(bad, "u", usize::MAX).is_err(), "{bad}");
    }
    for good in ["<rss><a>&#x0000000041;&#0000065;</a></rss>", "<!DOCTYPE rss [<!-- it's --><?pi ]> ?>]><rss/>"] {
        assert!(split(good, "u", usize::MAX).is_ok(), "{good}");
    }
    // An <entry> is an item of a <feed>, not of a document that is one entry.
    let entry = "<entry xmlns=\"http://www.w3.org/2005/Atom\"><entry/></entry>";
    assert!(split(entry, "u", usize::MAX).unwrap().items.is_empty());
}

#[test]
fn past_the_limit_items_are_one_span_and_not_hashed() {
    let s = split(RSS, "u", 1).unwrap();
    assert_eq!((s.items.len(), s.past_limit()), (1, 2));
    let cut = s.without(RSS, |_, _| false).unwrap();
    assert!(cut.contains(">one<") && !cut.contains(">two") && !cut.contains("<item/>"), "{cut}");
    // A megabyte of root attributes is hashed once, not once per item.
    let doc = format!("<rss a=\"{}\"><channel>{}</channel></rss>", "x".repeat(1 << 20), "<item/>".repeat(20_000));
    let started = std::time::Instant::now();
    assert_eq!(split(&doc, "u", usize::MAX).unwrap().items.len(), 20_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn the_channels_title_and_links_are_part_of_each_hash() {
    let a = split(RSS, "u", usize::MAX).unwrap();
    let renamed = split(&RSS.replace("<title>t</title>", "<title>T</title>"), "u", usize::MAX).unwrap();
    assert_ne!(a.items[0].hash, renamed.items[0].hash, "untitled items take the channel's title");
}

#[test]
fn an_item_in_an_atom_feed_is_counted_though_no_parser_reads_it() {
    let doc = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><item><title>t</title></item></feed>";
    assert_eq!(split(doc, "u", usize::MAX).unwrap().items.len(), 1);
    let read =
        super::super::read(doc.as_bytes(), None, &url::Url::parse("https://w.example/").unwrap(), &Default::default())
            .unwrap();
    assert_eq!((read.feed.items.len(), read.unparsed), (0, 1));
}
