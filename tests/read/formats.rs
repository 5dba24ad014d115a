//! Every format and version a reader meets, one fixture each: what was published (the JSON Feed
//! `build` wrote) has the titles, links, dates, authors and content the upstream said.

use super::{Read, read};

/// The published item whose content contains `needle`.
fn with_content<'r>(r: &'r Read, needle: &str) -> &'r serde_json::Value {
    r.items
        .iter()
        .find(|i| i["content_html"].as_str().unwrap_or_default().contains(needle))
        .unwrap_or_else(|| panic!("no item with {needle:?} among {:#?}; poll: {}", r.items, r.poll))
}

fn content(item: &serde_json::Value) -> &str {
    item["content_html"].as_str().unwrap_or_default()
}

fn ok(r: &Read, new: usize) {
    assert!(r.ok, "{}", r.poll);
    assert!(r.line().contains(&format!(": 200; {new} new")), "{}", r.poll);
}

/// A news site's RSS 0.90: Netscape's RDF namespace, and items with no dates at all.
#[tokio::test(flavor = "multi_thread")]
async fn rss_090_with_dateless_items() {
    let r = read(
        r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
  <channel><title>Valley Courier</title><link>https://courier.example/</link><description>Local news</description></channel>
  <image><title>Valley Courier</title><url>https://courier.example/logo.gif</url><link>https://courier.example/</link></image>
  <item><title>Bridge reopens after repairs</title><link>https://courier.example/bridge</link></item>
  <item><title>School fair raises funds</title><link>https://courier.example/fair</link></item>
  <item><title>Rain expected on Sunday</title><link>https://courier.example/rain</link></item>
</rdf:RDF>"#,
        "application/rdf+xml",
    )
    .await;
    ok(&r, 3);
    assert!(r.line().contains("RSS 0.90"), "the line says it was read as RSS 0.90: {}", r.line());
    let mut titles = r.titles();
    titles.sort();
    assert_eq!(titles, ["Bridge reopens after repairs", "Rain expected on Sunday", "School fair raises funds"]);
    assert_eq!(r.item("Bridge reopens after repairs")["url"], "https://courier.example/bridge");
    assert!(r.items.iter().all(|i| i["date_published"].is_string()), "{:#?}", r.items);
}

/// RSS 0.91 with Netscape's DOCTYPE, whose DTD defines the HTML entities it then uses.
#[tokio::test(flavor = "multi_thread")]
async fn rss_091_with_its_doctype_and_entities() {
    let r = read(
        r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
<channel>
<title>Lighthouse&nbsp;notes</title>
<link>https://lighthouse.example/</link>
<description>Weekly notes from the keeper</description>
<language>en-gb</language>
<item>
<title>Lamp cleaned &mdash; again</title>
<link>https://lighthouse.example/lamp</link>
<description>The lens was polished until it was clean &eacute;nough.</description>
</item>
</channel>
</rss>"#,
        "application/rss+xml",
    )
    .await;
    ok(&r, 1);
    assert_eq!(r.titles(), ["Lamp cleaned \u{2014} again"]);
    let item = r.item("Lamp cleaned \u{2014} again");
    assert_eq!(item["url"], "https://lighthouse.example/lamp");
    assert!(content(item).contains("clean \u{e9}nough."), "{item}");
}

/// RSS 0.92: an item that is only a description, and one with an enclosure.
#[tokio::test(flavor = "multi_thread")]
async fn rss_092_description_only_and_enclosure() {
    let r = read(
        r#"<?xml version="1.0"?>
<rss version="0.92">
<channel>
<title>Ferry times</title><link>https://ferry.example/</link><description>Crossings</description>
<item><description>The 7:30 crossing is cancelled &lt;b&gt;today&lt;/b&gt;.</description></item>
<item><title>Tide table, spoken</title><link>https://ferry.example/tides</link><description>Listen to this week's tides.</description>
<enclosure url="https://ferry.example/tides.mp3" length="48213" type="audio/mpeg"/></item>
</channel>
</rss>"#,
        "application/rss+xml",
    )
    .await;
    ok(&r, 2);
    let cancelled = with_content(&r, "crossing is cancelled");
    assert!(content(cancelled).contains("<b>today</b>"), "{cancelled}");
    let tides = r.item("Tide table, spoken");
    assert_eq!(tides["url"], "https://ferry.example/tides");
    assert!(
        content(tides).contains("this week's tides") || content(tides).contains("this week&#39;s tides"),
        "{tides}"
    );
}

/// RSS 1.0: dc:date, dc:creator, and content:encoded over the description.
#[tokio::test(flavor = "multi_thread")]
async fn rss_10_with_dublin_core_and_content_module() {
    let r = read(
        r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="https://mill.example/"><title>Mill diary</title><link>https://mill.example/</link><description>Grain and water</description>
<items><rdf:Seq><rdf:li rdf:resource="https://mill.example/flour"/></rdf:Seq></items></channel>
<item rdf:about="https://mill.example/flour"><title>First flour of spring</title><link>https://mill.example/flour</link>
<description>The stones turned again.</description>
<dc:date>2024-03-04T05:00:00+02:00</dc:date><dc:creator>Mira Stone</dc:creator>
<content:encoded><![CDATA[<p>The stones turned again, and the <em>first sack</em> was filled by noon.</p>]]></content:encoded></item>
</rdf:RDF>"#,
        "application/rdf+xml",
    )
    .await;
    ok(&r, 1);
    let item = r.item("First flour of spring");
    assert_eq!(item["url"], "https://mill.example/flour");
    assert_eq!(item["date_published"], "2024-03-04T03:00:00Z");
    assert_eq!(item["authors"][0]["name"], "Mira Stone");
    assert!(content(item).contains("<em>first sack</em>"), "{item}");
}

/// RSS 2.0: guid, pubDate, author as `email (name)`, content:encoded.
#[tokio::test(flavor = "multi_thread")]
async fn rss_20() {
    let r = read(
        r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Bakery</title><link>https://bakery.example/</link><description>Fresh each morning</description>
<item><title>Rye is back</title><link>https://bakery.example/rye</link><guid isPermaLink="false">rye-2024</guid>
<pubDate>Mon, 04 Mar 2024 05:00:00 +0100</pubDate><author>bo@bakery.example (Bo Baker)</author>
<description>Rye bread returns.</description><content:encoded><![CDATA[<p>Rye bread returns on <strong>Monday</strong>.</p>]]></content:encoded></item>
</channel></rss>"#,
        "application/rss+xml",
    )
    .await;
    ok(&r, 1);
    let item = r.item("Rye is back");
    assert_eq!(item["url"], "https://bakery.example/rye");
    assert_eq!(item["date_published"], "2024-03-04T04:00:00Z");
    assert!(content(item).contains("<strong>Monday</strong>"), "{item}");
    // feed-rs makes the name "(Bo Baker)" of this form; the parentheses are not part of it.
    assert_eq!(item["authors"][0]["name"], "Bo Baker", "{item}");
}

/// Atom 0.3: escaped HTML, inline XHTML, base64 text (decoded) and a base64 image (skipped, the
/// entry kept), with its own date elements.
#[tokio::test(flavor = "multi_thread")]
async fn atom_03_escaped_inline_and_base64() {
    let r = read(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="en">
  <title>Harbour log</title><tagline>Boats in and out</tagline>
  <link rel="alternate" type="text/html" href="https://harbour.example/"/>
  <modified>2024-03-02T10:00:00Z</modified>
  <author><name>Ines Harbour</name></author>
  <entry>
    <title>The tide turned</title><link rel="alternate" type="text/html" href="https://harbour.example/tide"/>
    <id>tag:harbour.example,2024:tide</id><issued>2024-03-01T09:00:00+01:00</issued><modified>2024-03-01T12:00:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;The &lt;em&gt;tide&lt;/em&gt; turned at six.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Two boats</title><link rel="alternate" type="text/html" href="https://harbour.example/boats"/>
    <id>tag:harbour.example,2024:boats</id><created>2024-03-01T10:30:00Z</created>
    <content type="application/xhtml+xml" mode="xml"><p>One <b>blue</b> boat.</p><p>One red.</p></content>
  </entry>
  <entry>
    <title>Ferry late</title><link rel="alternate" type="text/html" href="https://harbour.example/ferry"/>
    <id>tag:harbour.example,2024:ferry</id><issued>2024-03-01T11:00:00Z</issued>
    <content type="text/plain" mode="base64">VGhlIGZlcnJ5IGlz
      IGxhdGUgPGFnYWluPi4=</content>
  </entry>
  <entry>
    <title>Chart of the bay</title><link rel="alternate" type="text/html" href="https://harbour.example/chart"/>
    <id>tag:harbour.example,2024:chart</id><issued>2024-03-01T12:00:00Z</issued>
    <content type="image/png" mode="base64">iVBORw0KGgoAAwYJDA8SFRgbHiEkJ2hhcmJvdXI=</content>
  </entry>
</feed>"#,
        "application/atom+xml",
    )
    .await;
    ok(&r, 4);
    assert!(r.line().contains("Atom 0.3"), "the line says it was read as Atom 0.3: {}", r.line());
    let tide = r.item("The tide turned");
    assert_eq!(
        (tide["url"].as_str(), tide["date_published"].as_str()),
        (Some("https://harbour.example/tide"), Some("2024-03-01T08:00:00Z"))
    );
    assert!(content(tide).contains("<p>The <em>tide</em> turned at six.</p>"), "{tide}");
    let boats = r.item("Two boats");
    assert_eq!(boats["date_published"], "2024-03-01T10:30:00Z");
    assert!(content(boats).contains("One <b>blue</b> boat."), "{boats}");
    let ferry = r.item("Ferry late");
    assert!(content(ferry).contains("The ferry is late &lt;again&gt;."), "{ferry}");
    let chart = r.item("Chart of the bay");
    assert_eq!(chart["url"], "https://harbour.example/chart");
    assert!(!content(chart).contains("iVBOR"), "the image is not shown as text: {chart}");
}

/// Atom 1.0: an HTML title, a link relative to `xml:base`, XHTML content, `text/plain` content,
/// and a base64 PNG (the entry kept, the image skipped).
#[tokio::test(flavor = "multi_thread")]
async fn atom_10_text_html_xhtml_and_media_types() {
    let r = read(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://orchard.example/"><title>Orchard</title><id>urn:orchard</id><updated>2024-03-05T00:00:00Z</updated>
<link href="https://orchard.example/"/><author><name>Ola Orchard</name></author>
<entry><title type="html">&lt;i&gt;Apples&lt;/i&gt; are ripe</title><id>urn:orchard:apples</id><link href="/apples"/>
<published>2024-03-04T00:00:00Z</published><updated>2024-03-05T00:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Ripe and <b>red</b>.</p></div></content></entry>
<entry><title>Pears in a week</title><id>urn:orchard:pears</id><link href="https://orchard.example/pears"/><updated>2024-03-05T01:00:00Z</updated>
<content type="text/plain">Pears &lt; apples, for now.</content></entry>
<entry><title>Map of the rows</title><id>urn:orchard:map</id><link href="https://orchard.example/map"/><updated>2024-03-05T02:00:00Z</updated>
<content type="image/png">iVBORw0KGgoAAwYJDA8SFRgbHiEkJ2hhcmJvdXI=</content></entry>
</feed>"#,
        "application/atom+xml",
    )
    .await;
    ok(&r, 3);
    let apples = r.item("Apples are ripe");
    assert_eq!(
        (apples["url"].as_str(), apples["date_published"].as_str()),
        (Some("https://orchard.example/apples"), Some("2024-03-04T00:00:00Z"))
    );
    assert!(content(apples).contains("<b>red</b>"), "{apples}");
    let pears = r.item("Pears in a week");
    assert_eq!(pears["date_published"], "2024-03-05T01:00:00Z");
    assert!(content(pears).contains("Pears &lt; apples, for now."), "{pears}");
    let map = r.item("Map of the rows");
    assert_eq!(map["url"], "https://orchard.example/map");
    assert!(!content(map).contains("iVBOR"), "the image is not shown as text: {map}");
    // An entry without an author has its feed's (RFC 4287 §4.2.1).
    assert_eq!(pears["authors"][0]["name"], "Ola Orchard", "{pears}");
}

/// JSON Feed 1.0: `author` (one), `content_text`.
#[tokio::test(flavor = "multi_thread")]
async fn json_feed_10() {
    let r = read(
        r#"{"version": "https://jsonfeed.org/version/1", "title": "Kiln", "home_page_url": "https://kiln.example/",
  "author": {"name": "Kim Potter", "url": "https://kim.example/"},
  "items": [
    {"id": "glaze", "url": "https://kiln.example/glaze", "title": "A new glaze", "content_html": "<p>Cobalt <em>blue</em>.</p>",
     "date_published": "2024-03-06T08:00:00+01:00", "author": {"name": "Kai Firer"}},
    {"id": "cool", "url": "https://kiln.example/cool", "title": "Cooling", "content_text": "Open the door after 12 hours & not before.",
     "date_published": "2024-03-06T09:00:00Z"}
  ]}"#,
        "application/json",
    )
    .await;
    ok(&r, 2);
    let glaze = r.item("A new glaze");
    assert_eq!(
        (glaze["url"].as_str(), glaze["date_published"].as_str()),
        (Some("https://kiln.example/glaze"), Some("2024-03-06T07:00:00Z"))
    );
    assert_eq!(glaze["authors"][0]["name"], "Kai Firer");
    assert!(content(glaze).contains("<em>blue</em>"), "{glaze}");
    let cool = r.item("Cooling");
    assert!(content(cool).contains("after 12 hours &amp; not before."), "{cool}");
    // The feed's author is the item's when it names none.
    assert_eq!(cool["authors"][0]["name"], "Kim Potter");
}

/// JSON Feed 1.1: `authors` (many), `summary` and `date_modified`.
#[tokio::test(flavor = "multi_thread")]
async fn json_feed_11() {
    let r = read(
        r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Kiln", "home_page_url": "https://kiln.example/",
  "authors": [{"name": "Kim Potter"}], "language": "en",
  "items": [
    {"id": "2", "url": "https://kiln.example/firing", "title": "Second firing", "content_html": "<p>Hotter this time.</p>",
     "summary": "Hotter", "date_published": "2024-03-07T10:00:00Z", "date_modified": "2024-03-07T12:00:00Z",
     "authors": [{"name": "Lu Clay"}, {"name": "Kai Firer"}]}
  ]}"#,
        "application/feed+json",
    )
    .await;
    ok(&r, 1);
    let item = r.item("Second firing");
    assert_eq!(item["url"], "https://kiln.example/firing");
    assert_eq!(
        (item["date_published"].as_str(), item["date_modified"].as_str()),
        (Some("2024-03-07T10:00:00Z"), Some("2024-03-07T12:00:00Z"))
    );
    assert_eq!(item["authors"][0]["name"], "Lu Clay");
    assert!(content(item).contains("<p>Hotter this time.</p>"), "{item}");
}
