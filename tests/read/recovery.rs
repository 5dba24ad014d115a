//! Ill-formed XML, recovered as feedparser's loose parser reads it: each fixture is a feed broken
//! one way a real upstream breaks it, and each must be published whole, with the poll line saying
//! it was recovered and what was mended.

use super::{Read, read};

const RSS: &str = "application/rss+xml";

/// An RSS 2.0 document around `items`.
fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Harbour Gazette</title>\
         <link>https://gazette.example/</link><description>News from the harbour</description>\n{items}</channel></rss>\n"
    )
}

/// One item, its markup as given (so that it can be broken).
fn item(n: u32, title: &str, description: &str) -> String {
    format!(
        "<item><guid>https://gazette.example/{n}</guid><title>{title}</title>\
         <link>https://gazette.example/{n}</link><description>{description}</description>\
         <pubDate>Mon, 06 Jan 2025 0{n}:00:00 GMT</pubDate></item>\n"
    )
}

/// The poll succeeded, says it recovered the document, and names `mended` among the repairs.
fn recovered(r: &Read, new: usize, mended: &str) {
    assert!(r.ok, "{}", r.poll);
    let line = r.line();
    assert!(line.contains(&format!(": 200; {new} new")), "{line}");
    assert!(line.contains("recovered"), "the line says the document was recovered: {line}");
    assert!(line.contains(mended), "the line says {mended:?}: {line}");
}

fn content(r: &Read, title: &str) -> String {
    r.item(title)["content_html"].as_str().unwrap_or_default().to_owned()
}

/// A download cut off inside the last item's CDATA section: the items before it, and what
/// arrived of the last one, are published.
#[tokio::test(flavor = "multi_thread")]
async fn a_feed_cut_off_inside_cdata() {
    let whole = rss(&format!(
        "{}{}",
        item(1, "Ferry timetable changes", "<![CDATA[<p>The winter timetable starts on Monday.</p>]]>"),
        item(2, "Lighthouse repainted", "<![CDATA[<p>Volunteers finished the last coat.</p>]]>")
    ));
    let cut = format!(
        "{}<item><guid>https://gazette.example/3</guid><title>Storm warning</title>\
         <description><![CDATA[<p>Gales are expected along the coast from",
        whole.split("</channel>").next().unwrap()
    );
    let r = read(cut, RSS).await;
    recovered(&r, 3, "closed 1 CDATA section and 4 elements");
    assert!(content(&r, "Ferry timetable changes").contains("winter timetable"), "{:?}", r.items);
    assert!(content(&r, "Storm warning").contains("Gales are expected along the coast from"), "{:?}", r.items);
}

/// HTML entities no XML parser knows, in titles and descriptions, as RSS 0.91 feeds (and
/// hand-written ones) use them.
#[tokio::test(flavor = "multi_thread")]
async fn html_entities_in_titles_and_descriptions() {
    let doc = rss(&format!(
        "{}{}",
        item(
            1,
            "Caf&eacute; reopens &mdash; d&eacute;j&agrave; vu&hellip;",
            "Coffee&nbsp;at 2&nbsp;&euro; &copy; the owners"
        ),
        item(2, "Na&iuml;ve &laquo;quotes&raquo;", "&lt;p&gt;Entr&eacute;e &amp; dessert&lt;/p&gt;")
    ));
    let r = read(doc, RSS).await;
    recovered(&r, 2, "replaced 13 HTML entities");
    assert_eq!(r.titles().len(), 2, "{:?}", r.titles());
    let first = content(&r, "Café reopens — déjà vu…");
    assert!(first.contains("2") && first.contains("€ © the owners"), "{first}");
    assert!(first.contains("Coffee&nbsp;at") || first.contains("Coffee\u{a0}at"), "{first}");
    assert!(content(&r, "Naïve «quotes»").contains("Entrée &amp; dessert"), "{:?}", r.items);
}

/// An `&` nobody escaped, in a title, a description and a link.
#[tokio::test(flavor = "multi_thread")]
async fn bare_ampersands() {
    let doc = rss(&format!(
        "{}{}",
        item(1, "Fish & chips shop wins prize", "Salt & vinegar, R&D & more"),
        item(2, "Q&A with the harbour master", "See https://gazette.example/?a=1&b=2")
    ));
    let r = read(doc, RSS).await;
    recovered(&r, 2, "escaped 6 bare &");
    assert_eq!(r.titles().len(), 2, "{:?}", r.titles());
    assert!(content(&r, "Fish & chips shop wins prize").contains("Salt &amp; vinegar, R&amp;D &amp; more"));
    assert!(content(&r, "Q&A with the harbour master").contains("a=1&amp;b=2"), "{:?}", r.items);
}

/// End tags that do not match: one closing an element left open, one closing nothing.
#[tokio::test(flavor = "multi_thread")]
async fn mismatched_end_tags() {
    let doc = rss(&format!(
        "{}{}",
        // The title is never closed: the item's end tag closes it.
        item(1, "Regatta results", "Blue boat first").replace("</title>", ""),
        item(2, "New pier lights", "Installed</span> last night")
    ));
    let r = read(doc, RSS).await;
    recovered(&r, 2, "fixed 1 mismatched end tag, dropped 1 stray end tag");
    let titles = r.titles();
    assert!(titles.iter().any(|t| t.starts_with("Regatta results")), "{titles:?}");
    assert!(content(&r, "New pier lights").contains("Installed last night"), "{:?}", r.items);
}

/// A PHP warning and blank lines before the XML declaration.
#[tokio::test(flavor = "multi_thread")]
async fn junk_before_the_root() {
    let junk =
        "<br />\n<b>Warning</b>:  Undefined variable $limit in <b>/var/www/feed.php</b> on line <b>12</b><br />\n\n";
    let doc = format!("{junk}{}", rss(&item(1, "Fish market moves", "To the east quay")));
    let r = read(doc, RSS).await;
    recovered(&r, 1, "dropped junk before the root");
    assert!(content(&r, "Fish market moves").contains("To the east quay"), "{:?}", r.items);
}

/// A second XML declaration in the middle of the document (two files pasted together).
#[tokio::test(flavor = "multi_thread")]
async fn a_second_xml_declaration() {
    let doc = rss(&format!(
        "{}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        item(1, "Tide tables for March", "High water at noon"),
        item(2, "Harbour dues rise", "By two percent")
    ));
    let r = read(doc, RSS).await;
    recovered(&r, 2, "dropped 1 extra XML declaration");
    assert_eq!(r.titles().len(), 2, "{:?}", r.titles());
    assert!(content(&r, "Harbour dues rise").contains("By two percent"), "{:?}", r.items);
}
