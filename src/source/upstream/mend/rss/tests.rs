use super::super::mend;
use super::super::tests::{mended, titles};

fn rss(root: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n{root}<channel><title>Ferry times</title>\
         <item><title>Early boat</title><description>Leaves at six</description></item>\
         <item><title>Late boat</title></item></channel></rss>"
    )
}

#[test]
fn rss_versions_feed_rs_does_not_know_are_read_as_2_0() {
    for root in [
        "<rss version=\"0.93\">",
        "<rss version=\"0.94\">",
        "<rss version=\"2.00\">",
        "<rss version='2.01' xmlns:dc='http://purl.org/dc/elements/1.1/'>",
        "<rss>",
        "<rss version=\"\u{20}2.0\">",
    ] {
        let doc = rss(root);
        let (text, feed) = mended(&doc);
        assert_eq!(titles(&feed), ["Early boat", "Late boat"], "{root}");
        assert_eq!(feed.entries[0].summary.as_ref().unwrap().content, "Leaves at six");
        // Only the root's start tag changed.
        let new_root = text.lines().nth(1).unwrap().split_once("<channel>").unwrap().0;
        assert!(new_root.contains("version=\"2.0\""), "{new_root}");
        assert_eq!(text.replacen(new_root, root, 1), doc);
    }
}

#[test]
fn rss_without_a_channel_has_one_around_what_it_holds() {
    let doc = "<rss version=\"2.0\">\n<title>Loose</title><item><title>Straight in rss</title></item>\n</rss>";
    let (text, feed) = mended(doc);
    assert_eq!(
        text,
        "<rss version=\"2.0\"><channel>\n<title>Loose</title><item><title>Straight in rss</title></item>\n</channel></rss>"
    );
    assert_eq!(feed.title.as_ref().unwrap().content, "Loose");
    assert_eq!(titles(&feed), ["Straight in rss"]);
    let (text, _) = mended("<rss><item><title>No version either</title></item></rss>");
    assert_eq!(text, "<rss version=\"2.0\"><channel><item><title>No version either</title></item></channel></rss>");
}

#[test]
fn rss_in_userlands_namespace_is_read_as_rss() {
    for root in [
        "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">",
        "<rss xmlns='http://blogs.law.harvard.edu/tech/rss'>",
    ] {
        let doc = rss(root);
        // feed-rs finds nothing in it (or, without a version, refuses it).
        assert_eq!(feed_rs::parser::parse(doc.as_bytes()).map_or(0, |f| f.entries.len()), 0);
        let feed = feed_rs::parser::parse(mend(&doc).unwrap().as_bytes()).unwrap();
        assert_eq!(titles(&feed), ["Early boat", "Late boat"], "{root}");
    }
    let prefixed = "<r:rss version=\"2.0\" xmlns:r=\"http://backend.userland.com/rss2\"><r:channel><r:title>Ferry</r:title>\
                    <r:item><r:title>Prefixed boat</r:title><r:link>https://ferry.example/p</r:link></r:item></r:channel></r:rss>";
    let feed = feed_rs::parser::parse(mend(prefixed).unwrap().as_bytes()).unwrap();
    assert_eq!(titles(&feed), ["Prefixed boat"]);
    assert_eq!(feed.entries[0].links[0].href, "https://ferry.example/p");
}

#[test]
fn rss_1_items_without_a_link_get_their_rdf_about() {
    let doc = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
               <channel rdf:about=\"https://ferry.example/\"><title>Ferry</title><link>https://ferry.example/</link></channel>\
               <item rdf:about=\"https://ferry.example/a?x=1&amp;y=2\"><title>About only</title></item>\
               <item><title>Linked</title><link>https://ferry.example/l</link></item>\
               <item><title>Nothing</title><link></link></item></rdf:RDF>";
    assert_eq!(titles(&feed_rs::parser::parse(doc.as_bytes()).unwrap()), ["Linked"]);
    let text = mend(doc).unwrap();
    let feed = feed_rs::parser::parse(text.as_bytes()).unwrap();
    assert_eq!(titles(&feed), ["About only", "Linked", "Nothing"]);
    let links: Vec<&str> = feed.entries.iter().map(|e| e.links[0].href.as_str()).collect();
    assert_eq!(links, ["https://ferry.example/a?x=1&y=2", "https://ferry.example/l", "about:blank"]);
    // Each only gains a link.
    let inserted = "<link>https://ferry.example/a?x=1&amp;y=2</link></item>";
    assert_eq!(text.replacen(inserted, "</item>", 1).replacen("<link>about:blank</link></item>", "</item>", 1), doc);
}

#[test]
fn rss_feed_rs_reads_is_not_mended() {
    assert_eq!(mend(&rss("<rss version=\"2.0\">")), None);
    assert_eq!(mend(&rss("<rss version=\"0.91\" xmlns=\"http://purl.org/rss/1.0/\">")), None);
}
