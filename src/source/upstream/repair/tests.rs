//! Unit tests: one per class of damage. Each repairs, checks that the result is well-formed by a
//! strict reader, and reads it with feed-rs as the poller does.

use quick_xml::events::{BytesStart, Event};

use super::*;

/// Panics unless `text` is well-formed XML with `roots` root elements.
pub(super) fn assert_well_formed(text: &str, roots: usize) {
    assert_eq!(roots_of(text), roots, "roots of {:?}", Short(text));
}

/// How many root elements `text` has; panics unless it is well-formed XML but for that count: every
/// end tag matching, every reference known, attributes unique and unescaping, nothing but white
/// space outside elements, no DOCTYPE internal subset.
pub(super) fn roots_of(text: &str) -> usize {
    let full = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = Short(full);
    let mut reader = quick_xml::Reader::from_str(full);
    reader.config_mut().enable_all_checks(true);
    let (mut depth, mut seen) = (0usize, 0usize);
    let attrs = |e: &BytesStart| {
        for a in e.attributes() {
            let a = a.unwrap_or_else(|e| panic!("{e} in {text:?}"));
            a.normalized_value(quick_xml::XmlVersion::default()).unwrap_or_else(|e| panic!("{e} in {text:?}"));
        }
    };
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("{e} at {} in {text:?}", reader.error_position()));
        match event {
            Event::Start(e) => {
                seen += usize::from(depth == 0);
                depth += 1;
                attrs(&e);
            }
            Event::Empty(e) => {
                seen += usize::from(depth == 0);
                attrs(&e);
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => assert!(depth > 0 || t.trim().is_empty(), "text outside the root in {text:?}"),
            Event::CData(_) => assert!(depth > 0, "CDATA outside the root in {text:?}"),
            Event::GeneralRef(r) => {
                assert!(depth > 0, "a reference outside the root in {text:?}");
                let known = r.resolve_char_ref().unwrap_or_else(|e| panic!("{e} in {text:?}")).is_some()
                    || quick_xml::escape::resolve_predefined_entity(&r).is_some();
                assert!(known, "&{}; in {text:?}", &*r);
            }
            Event::DocType(d) => assert!(!d.contains('['), "an internal subset in {text:?}"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "open elements at the end of {text:?}");
    seen
}

/// A document in a panic message: its first 300 characters.
struct Short<'a>(&'a str);

impl std::fmt::Debug for Short<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cut: String = self.0.chars().take(300).collect();
        write!(f, "{cut:?}{}", if cut.len() < self.0.len() { "…" } else { "" })
    }
}

/// Repairs `input`, checks the result is well-formed with one root, and returns it.
pub(super) fn fixed(input: &str) -> Repaired {
    let r = repair(input);
    assert_well_formed(&r.text, 1);
    assert!(!r.fixes.is_empty(), "nothing fixed in {input:?}");
    r
}

/// The entries feed-rs reads in `text`: (title, summary or content).
pub(super) fn entries(text: &str) -> Vec<(String, String)> {
    let feed = feed_rs::parser::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e} in {:?}", Short(text)));
    feed.entries
        .into_iter()
        .map(|e| {
            let body = e.summary.map(|s| s.content).or(e.content.and_then(|c| c.body));
            (e.title.map(|t| t.content).unwrap_or_default(), body.unwrap_or_default())
        })
        .collect()
}

fn rss(items: &str) -> String {
    format!("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>wire</title>{items}</channel></rss>\n")
}

#[test]
fn a_truncated_download_is_closed() {
    let doc = "<rss version=\"2.0\"><channel><title>wire</title><item><title>one</title>\
               <description><![CDATA[<p>cut off in the mid";
    let r = fixed(doc);
    assert!(r.text.ends_with("mid]]></description></item></channel></rss>"), "{}", r.text);
    assert_eq!((r.fixes.cdata_closed, r.fixes.elements_closed), (1, 4));
    assert_eq!(r.fixes.to_string(), "closed 1 CDATA section and 4 elements");
    assert_eq!(entries(&r.text), [("one".to_owned(), "<p>cut off in the mid".to_owned())]);
    // Cut inside a tag, an attribute, a comment: the partial tag goes, the comment is closed.
    let r = fixed("<rss version=\"2.0\"><channel><item><title>two</title></item><item><ti");
    assert_eq!(r.fixes.to_string(), "closed 3 elements, dropped 1 truncated tag");
    assert_eq!(entries(&r.text)[0].0, "two");
    let r = fixed("<rss><channel><item><title>three</title><link href=\"https://wire.exa");
    assert!(r.text.ends_with("three</title></item></channel></rss>"), "{}", r.text);
    let r = fixed("<rss><channel><item><title>four</title><!-- note -");
    assert!(r.text.ends_with("<!-- note - --></item></channel></rss>"), "{}", r.text);
    assert_eq!(r.fixes.comments_closed, 1);
}

#[test]
fn html_entities_become_characters_and_unknown_ones_text() {
    let r = fixed(&rss("<item><title>Caf&eacute;&nbsp;&mdash; wait&hellip; &AMP; &lsqb;&#X41;&#x42;&#67;</title>\
                        <description>&copy; 2024 &bogus; &lt;b&gt;</description></item>"));
    assert_eq!(r.fixes.html_entities, 8);
    assert_eq!(r.fixes.unknown_entities, 1);
    assert_eq!(r.fixes.to_string(), "replaced 8 HTML entities, escaped 1 unknown entity");
    assert!(r.text.contains("Café\u{a0}— wait… &#x26; &#x5B;&#x41;&#x42;&#67;"), "{}", r.text);
    let e = entries(&r.text);
    assert_eq!(e[0].0, "Café\u{a0}— wait… & [ABC");
    assert_eq!(e[0].1, "© 2024 &bogus; <b>");
}

#[test]
fn entities_declared_in_a_doctype_are_never_expanded() {
    let doc = "<!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\"> <!-- ] > -->]>\
               <rss version=\"2.0\"><channel><item><title>&b;</title></item></channel></rss>";
    let r = fixed(doc);
    assert!(r.text.starts_with("<rss"), "{}", r.text);
    assert_eq!(r.fixes.to_string(), "escaped 1 unknown entity, dropped 1 DOCTYPE");
    assert_eq!(entries(&r.text)[0].0, "&b;");
}

#[test]
fn bare_ampersands_are_escaped() {
    let r = fixed(&rss("<item><title>Tom & Jerry &&amp; co &# &#; &#xZZ; &nbsp &</title>\
                        <link href=\"https://wire.example/?a=1&b=2\"/></item>"));
    assert_eq!(r.fixes.bare_amps, 8);
    assert_eq!(r.fixes.to_string(), "escaped 8 bare &");
    assert!(r.text.contains("href=\"https://wire.example/?a=1&amp;b=2\""), "{}", r.text);
    assert_eq!(entries(&r.text)[0].0, "Tom & Jerry && co &# &#; &#xZZ; &nbsp &");
}

#[test]
fn a_lt_that_starts_no_markup_is_escaped() {
    let r = fixed(&rss("<item><title>1 < 2, x <= y, <3 ]]> <!x> <? ?></title></item>"));
    assert_eq!(r.fixes.stray_lts, 6);
    assert_eq!(entries(&r.text)[0].0, "1 < 2, x <= y, <3 ]]> <!x> <? ?>");
}

#[test]
fn mismatched_end_tags_close_what_is_between_or_go() {
    let r = fixed(&rss("<item><title>one</item><item><title>two</title></bogus><description>d</i></description>\
                        </item>"));
    assert_eq!((r.fixes.end_tags_fixed, r.fixes.end_tags_dropped), (1, 2));
    assert_eq!(r.fixes.to_string(), "fixed 1 mismatched end tag, dropped 2 stray end tags");
    assert!(r.text.contains("<item><title>one</title></item>"), "{}", r.text);
    let e = entries(&r.text);
    assert_eq!((e[0].0.as_str(), e[1].0.as_str(), e[1].1.as_str()), ("one", "two", "d"));
    // An unclosed HTML element in a description is closed by the description's end tag.
    let r = fixed(&rss("<item><title>t</title><description>a<br>b</description></item>"));
    assert!(r.text.contains("<description>a<br>b</br></description>"), "{}", r.text);
    // Junk inside an end tag.
    let r = fixed(&rss("<item><title>t</title junk></item>"));
    assert_eq!(r.fixes.to_string(), "fixed 1 malformed tag");
}

#[test]
fn junk_before_the_root_goes() {
    let php = "\n<br />\n<b>Warning</b>:  Undefined variable $x in <b>/var/www/feed.php</b> on line <b>3</b><br />\n\n";
    for junk in [php, "\n\n  ", "ï»¿", "\u{feff}\n", "garbage & <stuff>\n"] {
        let r = fixed(&format!("{junk}{}", rss("<item><title>kept</title></item>")));
        // A BOM at the very start is no junk: it stays.
        let bom = if junk.starts_with('\u{feff}') { "\u{feff}" } else { "" };
        assert!(r.text.starts_with(&format!("{bom}<?xml version=\"1.0\"?>\n<rss")), "{:?}", r.text);
        assert_eq!(r.fixes.to_string(), "dropped junk before the root");
        assert_eq!(entries(&r.text)[0].0, "kept");
    }
    // Without a declaration, the junk goes up to the feed's root.
    let r = fixed(
        "Notice: x\n<p>oops</p><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>a</title></entry></feed>",
    );
    assert!(r.text.starts_with("<feed"), "{}", r.text);
    assert_eq!(entries(&r.text)[0].0, "a");
}

#[test]
fn junk_after_the_root_goes() {
    let doc =
        format!("{}<!-- kept -->\nstray text<rss><channel></channel></rss>", rss("<item><title>a</title></item>"));
    let r = fixed(&doc);
    assert!(r.text.ends_with("</rss>\n<!-- kept -->"), "{}", r.text);
    assert_eq!(r.fixes.to_string(), "dropped junk after the root");
}

#[test]
fn a_second_xml_declaration_goes() {
    let doc = rss("<?xml version=\"1.0\" encoding=\"utf-16\"?><item><title>a</title></item>");
    let r = fixed(&format!("<?xml version=\"1.0\"?>{doc}"));
    assert_eq!(r.fixes.xml_decls_dropped, 2);
    assert_eq!(r.fixes.to_string(), "dropped 2 extra XML declarations");
    assert_eq!(r.text, rss("<item><title>a</title></item>"));
    // `<?xml-stylesheet?>` is not a declaration.
    let r = repair(&format!("<?xml-stylesheet href=\"s.xsl\"?>{doc}"));
    assert!(r.text.starts_with("<?xml-stylesheet href=\"s.xsl\"?>"));
    assert_eq!(r.fixes.xml_decls_dropped, 2);
}

#[test]
fn forbidden_characters_go() {
    let doc = rss("<item><title a=\"x\u{1}\">b\u{0}e\u{b}l\u{7f}\tl\u{fffe}&#1;&#xFFFF;&#1114112;</title>\
                   <description><![CDATA[c\u{1b}d]]></description></item>");
    let r = fixed(&doc);
    assert_eq!(r.fixes.forbidden_chars, 8);
    assert_eq!(r.fixes.to_string(), "dropped 8 forbidden characters");
    assert_eq!(entries(&r.text)[0], ("bel\u{7f}\tl".to_owned(), "cd".to_owned()));
}

#[test]
fn attributes_are_quoted_valued_spaced_and_unique() {
    let r = fixed(&rss("<item><title>t</title><guid isPermaLink=false isPermaLink='true'>g</guid>\
                        <enclosure url=https://wire.example/a.mp3?x=\"1\"&y length=\"1\"type=\"audio/mpeg\" , hidden/>\
                        <category domain=\"a<b\">c</category></item>"));
    assert!(r.text.contains("<guid isPermaLink=\"false\">g</guid>"), "{}", r.text);
    assert!(
        r.text.contains(
            "<enclosure url=\"https://wire.example/a.mp3?x=&#34;1&#34;&amp;y\" length=\"1\" type=\"audio/mpeg\" \
             hidden=\"hidden\"/>"
        ),
        "{}",
        r.text
    );
    assert!(r.text.contains("domain=\"a&lt;b\""), "{}", r.text);
    assert_eq!(
        r.fixes.to_string(),
        "escaped 1 bare &, escaped 1 stray <, fixed 5 malformed tags, dropped 1 duplicate attribute"
    );
    let feed = feed_rs::parser::parse(r.text.as_bytes()).unwrap();
    assert_eq!(feed.entries[0].id, "g");
    // A start tag cut short by the next one ends there.
    let r = fixed(&rss("<item><title lang=\"ar\"<b>t</b></title></item>"));
    assert!(r.text.contains("<title lang=\"ar\"><b>t</b></title>"), "{}", r.text);
}

#[test]
fn nesting_past_the_cap_is_flattened() {
    let n = 10_000;
    let doc = rss(&format!(
        "<item><title>deep</title><description>{}x{}</description></item>",
        "<a>".repeat(n),
        "</a>".repeat(n)
    ));
    let r = fixed(&doc);
    let kept = MAX_DEPTH - 4;
    assert_eq!((r.fixes.too_deep, r.fixes.end_tags_dropped), (n - kept, n - kept));
    assert_eq!(r.text.matches("<a>").count(), kept);
    assert_eq!(entries(&r.text)[0].0, "deep");
}

#[test]
fn the_summary_names_only_what_happened() {
    assert_eq!(Fixes::default().to_string(), "");
    let f = Fixes {
        cdata_closed: 1,
        elements_closed: 2,
        html_entities: 3,
        bare_amps: 4,
        end_tags_fixed: 1,
        junk_before: 2,
        xml_decls_dropped: 1,
        ..Fixes::default()
    };
    assert_eq!(
        f.to_string(),
        "closed 1 CDATA section and 2 elements, replaced 3 HTML entities, escaped 4 bare &, fixed 1 mismatched end tag, \
         dropped junk before the root, dropped 1 extra XML declaration"
    );
    let f = Fixes { cdata_closed: 2, comments_closed: 1, elements_closed: 1, ..Fixes::default() };
    assert_eq!(f.to_string(), "closed 2 CDATA sections, 1 comment and 1 element");
}
