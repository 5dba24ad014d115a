use std::collections::HashSet;

use super::*;

fn url() -> Url {
    Url::parse("https://wire.example/feed.xml").unwrap()
}

fn rss(items: &[&str]) -> String {
    let items: String = items
        .iter()
        .map(|t| format!("<item><guid>{t}</guid><title>{t}</title><description>b</description></item>"))
        .collect();
    format!("<rss version=\"2.0\"><channel><title>w</title><language>ar</language>{items}</channel></rss>")
}

#[test]
fn known_items_are_not_read_again() {
    let doc = rss(&["a", "b", "c"]);
    let first = read(doc.as_bytes(), None, &url(), &ReadOptions::default()).unwrap();
    assert_eq!(first.feed.items.len(), 3);
    assert!(first.unchanged.is_empty());
    let stored: HashSet<String> = first.hashes.iter().map(|h| h.clone().unwrap()).collect();
    assert_eq!(stored.len(), 3);
    // One new item on top: only it is read.
    let doc = rss(&["new", "a", "b", "c"]);
    let known = |h: &str| stored.contains(h);
    let again = read(doc.as_bytes(), None, &url(), &ReadOptions { known: &known, limit: None }).unwrap();
    let titles: Vec<&str> = again.feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["new"]);
    assert_eq!(again.unchanged.len(), 3);
    assert_eq!(again.feed.title.as_deref(), Some("w"), "the channel is read as ever");
    assert_eq!(again.feed.items[0].language.as_deref(), Some("ar"), "items speak their channel's language");
    // An edited item is read again.
    let doc = rss(&["new", "a", "b", "c"]).replace("<title>b</title>", "<title>b, edited</title>");
    let edited = read(doc.as_bytes(), None, &url(), &ReadOptions { known: &known, limit: None }).unwrap();
    let titles: Vec<&str> = edited.feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["new", "b, edited"]);
}

#[test]
fn the_limit_counts_from_the_top_of_the_document() {
    let doc = rss(&["a", "b", "c", "d"]);
    let r = read(doc.as_bytes(), None, &url(), &ReadOptions { limit: Some(2), ..ReadOptions::default() }).unwrap();
    let titles: Vec<&str> = r.feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!((titles, r.over_limit), (vec!["a", "b"], 2));
}

#[test]
fn a_json_feed_is_split_too() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","content_text":"x"},{"id":"2","content_text":"y"}]}"#;
    let first = read(doc.as_bytes(), None, &url(), &ReadOptions::default()).unwrap();
    let one = first.hashes[0].clone().unwrap();
    let known = |h: &str| h == one;
    let again = read(doc.as_bytes(), None, &url(), &ReadOptions { known: &known, limit: None }).unwrap();
    assert_eq!(again.feed.items.len(), 1);
    assert_eq!(again.feed.items[0].key, "id:2");
}

/// An RSS document of `n` items of about a kilobyte each (escaped HTML with a script for the
/// sanitiser to drop), `odd` replacing the item at that place when given.
fn large(n: usize, odd: Option<(usize, &str)>) -> String {
    let items: String = (0..n)
        .map(|i| match odd {
            Some((at, item)) if at == i => item.to_owned(),
            _ => format!(
                "<item><guid>g{i}</guid><title>خبر {i}</title><link>https://wire.example/{i}</link>\
                 <description>&lt;p&gt;{}&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description></item>",
                "كلمة ".repeat(100)
            ),
        })
        .collect();
    format!("<rss version=\"2.0\"><channel><title>w</title><language>ar</language>{items}</channel></rss>")
}

fn two_threads<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(f)
}

/// `doc` read in parts on two threads, and read whole as on one core (both the first `limit`
/// items): `None` for the first when it is not read in parts.
fn parts_and_whole(doc: &str, limit: usize) -> (Option<UpstreamFeed>, UpstreamFeed) {
    let split = split::split(doc, "https://wire.example/feed.xml", limit).unwrap();
    let kept: Vec<usize> = (0..split.items.len()).collect();
    let reduced = split.without(doc, |_, _| false).unwrap_or_else(|| doc.to_owned());
    let whole = feed_of(&reduced, &url(), kept.len()).unwrap();
    assert_eq!(whole.items.len(), kept.len());
    (two_threads(|| in_parts(doc, &split, &kept, &url())), whole)
}

#[test]
fn a_large_document_read_in_parts_reads_as_it_does_whole() {
    let doc = large(300, None);
    let (parts, whole) = parts_and_whole(&doc, usize::MAX);
    assert_eq!(parts.expect("read in parts"), whole);
    // The first 250: the rest is cut out of every part.
    let (parts, whole) = parts_and_whole(&doc, 250);
    assert_eq!((parts.expect("read in parts"), whole.items.len()), (whole, 250));
    // The channel's own elements after its items are in every part.
    let late = doc
        .replace("<title>w</title><language>ar</language>", "")
        .replace("</channel>", "<title>late</title><language>fr</language></channel>");
    let (parts, whole) = parts_and_whole(&late, usize::MAX);
    let parts = parts.expect("read in parts");
    assert_eq!((parts.title.as_deref(), parts.items[299].language.as_deref()), (Some("late"), Some("fr")));
    assert_eq!(parts, whole);
    // Through `read`, with a known item cut out of one part.
    let split = split::split(&doc, "https://wire.example/feed.xml", usize::MAX).unwrap();
    let known = split.items[7].hash.clone();
    let r = two_threads(|| read(doc.as_bytes(), None, &url(), &ReadOptions { known: &|h| h == known, limit: None }))
        .unwrap();
    let (_, mut expected) = parts_and_whole(&doc, usize::MAX);
    expected.items.remove(7);
    assert_eq!((r.feed, r.unchanged.len(), r.positions.len()), (expected, 1, 299));
    // A JSON Feed's parts are arrays of its items.
    let items: Vec<String> =
        (0..300).map(|i| format!(r#"{{"id":"{i}","content_html":"<p>{}</p>"}}"#, "كلمة ".repeat(100))).collect();
    let json = format!(r#"{{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{}]}}"#, items.join(","));
    let (parts, whole) = parts_and_whole(&json, usize::MAX);
    assert_eq!(parts.expect("read in parts"), whole);
    // A small document is read whole: splitting it would cost more than it saves.
    let (parts, _) = parts_and_whole(&large(3, None), usize::MAX);
    assert_eq!(parts, None);
}

#[test]
fn a_part_is_mended_as_the_whole_would_be() {
    // RSS 1.0 items without a link, which feed-rs skips: each part is mended, and reads them all.
    let items: String = (0..300)
        .map(|i| {
            format!(
                "<item rdf:about=\"urn:i:{i}\"><title>t{i}</title><description>{}</description></item>",
                "ب ".repeat(300)
            )
        })
        .collect();
    let doc = format!(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
         <channel rdf:about=\"urn:c\"><title>c</title><link>https://wire.example/</link><description>d</description></channel>\
         {items}</rdf:RDF>"
    );
    let (parts, whole) = parts_and_whole(&doc, usize::MAX);
    assert_eq!((parts.expect("read in parts"), whole.items.len()), (whole, 300));
}

#[test]
fn a_channel_larger_than_its_items_is_read_as_one() {
    // Every part would copy and parse the channel's megabyte again.
    let doc = large(300, None)
        .replace("<title>w</title>", &format!("<title>w</title><description>{}</description>", "x".repeat(1 << 20)));
    let (parts, whole) = parts_and_whole(&doc, usize::MAX);
    assert_eq!((parts, whole.items.len()), (None, 300));
}

#[test]
fn a_part_read_otherwise_than_the_scan_sends_the_whole_document_to_one_reading() {
    // An <item> among Atom entries: the scan counts it, feed-rs reads no such thing, so the part
    // holding it reads one item fewer than its share. The whole is then read as on one core,
    // and the item is counted as not read.
    let entries: String = (0..300)
        .map(|i| match i {
            250 => "<item><title>not an entry</title></item>".to_owned(),
            _ => format!(
                "<entry><id>urn:e:{i}</id><title>خبر {i}</title><updated>2023-11-16T00:00:00Z</updated>\
                 <content type=\"html\">&lt;p&gt;{}&lt;/p&gt;</content></entry>",
                "كلمة ".repeat(100)
            ),
        })
        .collect();
    let doc = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:f</id><title>w</title>\
         <updated>2023-11-16T00:00:00Z</updated>{entries}</feed>"
    );
    let split = split::split(&doc, "u", usize::MAX).unwrap();
    let kept: Vec<usize> = (0..split.items.len()).collect();
    assert_eq!(kept.len(), 300);
    assert_eq!(two_threads(|| in_parts(&doc, &split, &kept, &url())), None);
    let read_on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| read(doc.as_bytes(), None, &url(), &ReadOptions::default())).unwrap()
    };
    let (two, one) = (read_on(2), read_on(1));
    assert_eq!((two.feed.items.len(), two.unparsed), (299, 1));
    assert_eq!(two.feed, one.feed);
}
