//! Unit tests over whole documents: well-formed ones come out as they went in, hostile sizes take
//! linear time and bounded space, and random token soup always comes out well-formed.

use std::time::{Duration, Instant};

use super::tests::{assert_well_formed, roots_of};
use super::*;

const RSS: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<?xml-stylesheet type=\"text/xsl\" href=\"/feed.xsl\"?>\n\
<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">\n\
<!-- generated -->\n\
<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom='http://www.w3.org/2005/Atom'>\r\n\
  <channel>\n    <title>وكالة &amp; أنباء</title>\n\
    <atom:link href=\"https://wire.example/rss?a=1&amp;b=2\" rel = \"self\" type=\"application/rss+xml\" />\n\
    <item>\n      <title>Tom &amp; Jerry &#8217;s &#x2014; &lt;b&gt; &quot;q&quot; &apos;</title>\n\
      <guid isPermaLink='false'>urn:1</guid>\n\
      <description><![CDATA[<p>Body & <b>more</b> ]] > </p>]]></description>\n\
      <dc:creator>A. Writer</dc:creator><empty/><empty2 ></empty2 >\n\
      <?custom data?>\n    </item>\n  </channel>\n</rss>\n<!-- trailing -->\n";

const ATOM: &str = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ar\">\
<id>urn:w</id><title type=\"text\">w</title><updated>2024-01-02T03:04:05Z</updated>\
<entry><id>urn:w:1</id><title>one</title><updated>2024-01-02T03:04:05Z</updated>\
<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p dir=\"rtl\">نص<br/>ثان</p></div></content>\
</entry></feed>";

const RDF: &str = "<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
xmlns=\"http://purl.org/rss/1.0/\">\n<channel><title>n</title><link>https://wire.example/</link></channel>\n\
<item><title>dateless</title><link>https://wire.example/1</link></item>\n</rdf:RDF>";

#[test]
fn a_well_formed_document_comes_out_as_it_went_in() {
    for doc in [RSS, ATOM, RDF, "<a/>", " \n<a>x</a>\n"] {
        let r = repair(doc);
        assert_eq!(r.text, doc);
        assert!(r.fixes.is_empty(), "{} in {doc}", r.fixes);
        assert_well_formed(doc, 1);
    }
    let titles = |d: &str| feed_rs::parser::parse(d.as_bytes()).unwrap().entries[0].title.clone().unwrap().content;
    assert_eq!(titles(RSS), "Tom & Jerry ’s — <b> \"q\" '");
    assert_eq!(titles(RDF), "dateless");
}

/// Repairs `input` within a budget a quadratic pass would blow by far, and with the output in
/// bounds; returns the repair.
fn bounded(input: &str) -> Repaired {
    let start = Instant::now();
    let r = repair(input);
    // A debug build does a megabyte in tens of milliseconds; a quadratic pass takes hours.
    assert!(start.elapsed() < Duration::from_secs(5), "{:?} for {}", start.elapsed(), &input[..40]);
    assert!(r.text.len() <= 5 * input.len(), "{} from {}", r.text.len(), input.len());
    r
}

#[test]
fn hostile_inputs_take_linear_time_and_bounded_space() {
    const MB: usize = 1 << 20;
    let r = bounded(&format!("<rss>{}", "<a>".repeat(MB / 3)));
    assert_eq!(r.text.matches("</a>").count(), MAX_DEPTH - 1);
    assert_well_formed(&r.text, 1);
    let r = bounded(&format!("<rss>{}</rss>", "&".repeat(MB)));
    assert_eq!(r.fixes.bare_amps, MB);
    for body in [
        "</a>".repeat(MB / 4),
        "<a></b>".repeat(MB / 7),
        format!("{}{}", "<a>".repeat(MB / 8), "</b></a>".repeat(MB / 16)),
        format!("<a{}>", " b".repeat(MB / 2)),
        format!("<a{}>", (0..MB / 8).map(|i| format!(" b{i}=1")).collect::<String>()),
        "&a".repeat(MB / 2),
        "&#".repeat(MB / 2),
        "&#x1".repeat(MB / 4),
        "<<<".repeat(MB / 3),
        "<!x".repeat(MB / 3),
        "]]>".repeat(MB / 3),
        "<!--".repeat(MB / 4),
        "<![CDATA[".repeat(MB / 9),
        "<?pi".repeat(MB / 4),
        "<a b=\"".repeat(MB / 6),
        "<!DOCTYPE [\"".repeat(MB / 12),
        "\u{1}\u{fffe}".repeat(MB / 4),
    ] {
        let r = bounded(&format!("<rss>{body}"));
        assert_well_formed(&r.text, 1);
        // Junk before the root, and a feed root found only at the very end.
        bounded(&format!("{body}<rss/>"));
    }
    // The scan for the feed's root is linear too.
    bounded(&"<rs".repeat(MB / 3));
    bounded(&format!("<{}", "a".repeat(MB)));
}

use crate::source::upstream::xorshift::Rng as Soup;

#[test]
fn token_soup_always_comes_out_well_formed_and_stays_put() {
    const TOKENS: &[&str] = &[
        "<rss>",
        "</rss>",
        "<item>",
        "</item>",
        "<a>",
        "</a>",
        "<b x=1 y='2' y=\"3\" z>",
        "</b >",
        "<c/>",
        "<",
        ">",
        "&",
        "&nbsp;",
        "&amp;",
        "&bogus;",
        "&#0;",
        "&#65;",
        "&#x",
        ";",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "-",
        "<?xml version=\"1.0\"?>",
        "<?pi x?>",
        "<!DOCTYPE rss [<!ENTITY e \"x\">]>",
        "<!DOCTYPE rss>",
        "text",
        " ",
        "\n",
        "\u{1}",
        "\u{fffe}",
        "é",
        "\"",
        "'",
        "=",
        "/",
        "<feed ",
        "<x:RDF>",
        "\u{feff}",
        "</",
        "<?",
        "<!",
        "[",
        "]",
        "<!ENTITY x \"<rss>\">",
        "&#x110000;",
        "</rss >",
        "<rss/>",
        "<br>",
        "<?xml",
        "<a b=\"x",
        "\r",
        "<feed>",
        "</feed>",
        "<p:q>",
        "</p:q>",
        "<p:q/>",
        "]]",
        "?",
        "--",
        "<!DOCTYPE",
        "\u{0}",
        "&#xD800;",
        "&lt",
        "&#X41;",
        "&Tab;",
        "&nvlt;",
        "<b>Warning</b>",
        "<a b=\"1\"c=\"2\">",
        "<a b=c/>",
        "<a b= >",
        "<a b=\"<\">",
        " SYSTEM ",
        " PUBLIC ",
        "\"x\"",
    ];
    let mut soup = Soup(0x9e37_79b9_7f4a_7c15);
    for _ in 0..5000 {
        let len = soup.below(40);
        let doc: String = (0..len).map(|_| TOKENS[soup.below(TOKENS.len())]).collect();
        let r = repair(&doc);
        assert!(r.text.len() <= 5 * doc.len(), "{doc:?}");
        assert!(roots_of(&r.text) <= 1, "{doc:?}");
        // What repair wrote, it leaves as it is.
        let again = repair(&r.text);
        assert_eq!(again.text, r.text, "{doc:?}");
        assert!(again.fixes.is_empty(), "{} on {:?} from {doc:?}", again.fixes, r.text);
    }
}
