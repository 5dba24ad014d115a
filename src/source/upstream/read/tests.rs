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
