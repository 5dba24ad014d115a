//! Well-formed feeds feed-rs refuses whole over one detail (an `<rss>` version it does not know,
//! an Atom element typed with a media type): mended (upstream::mend) and read, every item
//! published.

use super::{Read, read};

fn ok(r: &Read, new: usize) {
    assert!(r.ok, "{}", r.poll);
    assert!(r.line().contains(&format!(": 200; {new} new")), "{}", r.poll);
}

fn content<'r>(r: &'r Read, title: &str) -> &'r str {
    r.item(title)["content_html"].as_str().unwrap_or_default()
}

fn sorted(mut titles: Vec<String>) -> Vec<String> {
    titles.sort();
    titles
}

fn rss(root: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{root}\n<channel><title>Orchard diary</title>\
         <link>https://orchard.example/</link><description>Notes from the trees</description>\
         <item><title>Blossom on the pear</title><link>https://orchard.example/pear</link>\
         <description>&lt;p&gt;White, and early this year.&lt;/p&gt;</description>\
         <pubDate>Mon, 01 Apr 2024 07:00:00 +0000</pubDate></item>\
         <item><title>Wasps in the plums</title><link>https://orchard.example/plums</link>\
         <description>Netting went up today.</description></item></channel></rss>"
    )
}

fn an_orchard(r: &Read) {
    ok(r, 2);
    assert_eq!(sorted(r.titles()), ["Blossom on the pear", "Wasps in the plums"]);
    assert!(content(r, "Blossom on the pear").contains("<p>White, and early this year.</p>"), "{:#?}", r.items);
    assert!(content(r, "Wasps in the plums").contains("Netting went up today."), "{:#?}", r.items);
    assert_eq!(r.item("Blossom on the pear")["url"], "https://orchard.example/pear");
    assert_eq!(r.item("Blossom on the pear")["date_published"], "2024-04-01T07:00:00Z");
}

/// RSS 0.94, a draft between 0.92 and 2.0 that feeds still declare: read as 2.0.
#[tokio::test(flavor = "multi_thread")]
async fn rss_094_is_read_as_2_0() {
    an_orchard(&read(rss("<rss version=\"0.94\">"), "application/rss+xml").await);
}

/// An `<rss>` that says no version at all.
#[tokio::test(flavor = "multi_thread")]
async fn rss_without_a_version_is_read_as_2_0() {
    an_orchard(&read(rss("<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"), "application/rss+xml").await);
}

/// Atom 1.0 typed as Atom 0.3 typed it: a `text/plain` summary, an SVG drawing inline.
#[tokio::test(flavor = "multi_thread")]
async fn atom_with_media_typed_summary_and_inline_svg() {
    let r = read(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Pond survey</title><id>urn:pond</id><updated>2024-06-02T12:00:00Z</updated>
  <link href="https://pond.example/"/>
  <entry>
    <title>Newts counted</title><id>urn:pond:1</id><updated>2024-06-01T12:00:00Z</updated>
    <link href="https://pond.example/newts"/>
    <summary type="text/plain">Eleven newts &amp; two frogs by torchlight.</summary>
  </entry>
  <entry>
    <title>Map of the margins</title><id>urn:pond:2</id><updated>2024-06-02T12:00:00Z</updated>
    <link href="https://pond.example/map"/>
    <summary>Where the reeds grow back.</summary>
    <content type="image/svg+xml"><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg></content>
  </entry>
</feed>"#,
        "application/atom+xml",
    )
    .await;
    ok(&r, 2);
    assert_eq!(sorted(r.titles()), ["Map of the margins", "Newts counted"]);
    assert!(content(&r, "Newts counted").contains("Eleven newts &amp; two frogs by torchlight."), "{:#?}", r.items);
    let map = content(&r, "Map of the margins");
    assert!(map.contains("Where the reeds grow back.") && !map.contains("circle"), "{map}");
    assert_eq!(r.item("Newts counted")["url"], "https://pond.example/newts");
}

/// Atom 0.3 that declares no namespace, only `version="0.3"`: read as Atom 1.0, dates and all.
#[tokio::test(flavor = "multi_thread")]
async fn atom_03_without_its_namespace() {
    let r = read(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3">
  <title>Beekeeper</title><link rel="alternate" type="text/html" href="https://bees.example/"/>
  <modified>2024-07-02T08:00:00Z</modified>
  <entry>
    <title type="text/plain">Swarm caught</title><link rel="alternate" type="text/html" href="https://bees.example/swarm"/>
    <id>tag:bees.example,2024:swarm</id><issued>2024-07-01T18:30:00Z</issued><modified>2024-07-02T08:00:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;In the &lt;em&gt;hawthorn&lt;/em&gt;, at dusk.&lt;/p&gt;</content>
  </entry>
</feed>"#,
        "application/atom+xml",
    )
    .await;
    ok(&r, 1);
    assert_eq!(r.titles(), ["Swarm caught"]);
    assert!(content(&r, "Swarm caught").contains("<em>hawthorn</em>"), "{:#?}", r.items);
    assert_eq!(r.item("Swarm caught")["date_published"], "2024-07-01T18:30:00Z");
    assert_eq!(r.item("Swarm caught")["url"], "https://bees.example/swarm");
}

/// An entry whose `xml:base` is no URL (a space in the host name): feed-rs refuses the whole
/// feed over it. The base is dropped, so the entry's relative link resolves against the feed's.
#[tokio::test(flavor = "multi_thread")]
async fn an_xml_base_that_is_no_url_is_ignored() {
    let r = read(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://gulls.example/log/">
  <title>Gull log</title><id>urn:gulls</id><updated>2024-05-02T09:00:00Z</updated>
  <entry xml:base="https://gulls .example/other/">
    <title>Third egg</title><id>urn:gulls:3</id><updated>2024-05-02T09:00:00Z</updated>
    <link href="eggs/3"/><summary>Speckled, like the others.</summary>
  </entry>
  <entry>
    <title>Nest rebuilt</title><id>urn:gulls:2</id><updated>2024-05-01T09:00:00Z</updated>
    <link href="nests/2"/><summary>After the storm.</summary>
  </entry>
</feed>"#,
        "application/atom+xml",
    )
    .await;
    ok(&r, 2);
    assert_eq!(r.item("Third egg")["url"], "https://gulls.example/log/eggs/3");
    assert_eq!(r.item("Nest rebuilt")["url"], "https://gulls.example/log/nests/2");
}

/// RSS 2.0 in Userland's namespace, where feed-rs reads no element, so no item.
#[tokio::test(flavor = "multi_thread")]
async fn rss_in_userlands_namespace() {
    an_orchard(
        &read(rss("<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">"), "application/rss+xml").await,
    );
}

/// RSS 1.0 items without a `<link>`, which feed-rs skips: one links to its `rdf:about`, one
/// without either gets a page of its own.
#[tokio::test(flavor = "multi_thread")]
async fn rss_1_items_without_a_link() {
    let r = read(
        r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://meadow.example/"><title>Meadow notes</title><link>https://meadow.example/</link>
    <description>What grows</description></channel>
  <item rdf:about="https://meadow.example/orchids"><title>Orchids by the stile</title>
    <description>Seven spikes this year.</description></item>
  <item><title>Cowslips everywhere</title><description>Too many to count.</description></item>
  <item rdf:about="https://meadow.example/hay"><title>Hay cut</title><link>https://meadow.example/hay</link></item>
</rdf:RDF>"#,
        "application/rdf+xml",
    )
    .await;
    ok(&r, 3);
    assert_eq!(sorted(r.titles()), ["Cowslips everywhere", "Hay cut", "Orchids by the stile"]);
    assert_eq!(r.item("Orchids by the stile")["url"], "https://meadow.example/orchids");
    assert!(content(&r, "Cowslips everywhere").contains("Too many to count."), "{:#?}", r.items);
    let own = r.item("Cowslips everywhere");
    assert!(own["url"].as_str().unwrap().contains(&format!("/{}/u", super::SLUG)), "a page of its own: {own}");
}
