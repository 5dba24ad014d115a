//! `serve` holds only what readers poll (each feed's documents and page, the index) and makes
//! item pages from the store on demand: every file answers with the bytes `build` writes, in
//! every coding (the same bytes as the `.gz`/`.br` siblings), with working validators, and a
//! page shows an edit and goes with its article.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::child::Child;
use common::server::{client, wait_for};
use common::{SLUG, Site};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The request path answering an output file.
fn request_path(rel: &str) -> String {
    match rel.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{rel}"),
    }
}

async fn fetch(child: &Child, path: &str, coding: &str) -> reqwest::Response {
    client()
        .get(child.url(path))
        .header("accept-encoding", coding)
        // A distinct reader per request, so the re-fetch guard never answers 429 here.
        .header("user-agent", format!("serve-store-test/{}", NEXT.fetch_add(1, Ordering::SeqCst)))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_file_is_served_as_built_and_pages_follow_their_articles() {
    let site = Site::new();
    for i in 1..=5 {
        site.write_feed_file(
            &format!("10{i}_item.md"),
            format!("+++\ntitle = \"خبر {i}\"\ndate = 2024-01-0{i}T10:00:00Z\n+++\nنص الخبر رقم {i}.\n"),
        );
    }
    site.build();
    let manifest = std::fs::read_to_string(site.out().join(".feedpub-manifest")).unwrap();
    let primaries: Vec<&str> = manifest.lines().filter(|l| !l.ends_with(".gz") && !l.ends_with(".br")).collect();
    assert!(primaries.len() >= 11, "{primaries:?}");
    let child = Child::start(&site, &[]);

    // Compressed variants of the feeds come after the first answer: wait for them.
    let rss = format!("/{SLUG}/rss.xml");
    wait_for("compressed feeds", async || {
        fetch(&child, &rss, "br").await.headers().get("content-encoding").is_some_and(|v| v == "br")
    })
    .await;
    for rel in &primaries {
        let path = request_path(rel);
        let r = fetch(&child, &path, "identity").await;
        assert_eq!(r.status(), 200, "{path}");
        let etag = r.headers()["etag"].clone();
        assert_eq!(r.bytes().await.unwrap(), std::fs::read(site.out().join(rel)).unwrap(), "{path}");
        for (coding, ext) in [("br", "br"), ("gzip", "gz")] {
            let r = fetch(&child, &path, coding).await;
            let sibling = std::fs::read(site.out().join(format!("{rel}.{ext}"))).unwrap();
            assert_eq!(r.headers()["content-encoding"], coding, "{path}");
            assert_eq!(r.bytes().await.unwrap(), sibling, "{path} in {coding}");
        }
        let again = client()
            .get(child.url(&path))
            .header("accept-encoding", "identity")
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }

    // An edited article: its page (cached above) shows the edit.
    let page = format!("/{SLUG}/103_item.html");
    site.write_feed_file("103_item.md", "+++\ntitle = \"خبر معدل\"\ndate = 2024-01-03T10:00:00Z\n+++\nنص معدل.\n");
    wait_for("the edited page", async || {
        fetch(&child, &page, "identity").await.text().await.unwrap().contains("نص معدل")
    })
    .await;
    // It is the page `build` writes now.
    site.build();
    let served = fetch(&child, &page, "identity").await.bytes().await.unwrap();
    assert_eq!(served, std::fs::read(site.out().join(format!("{SLUG}/103_item.html"))).unwrap());

    // A removed article takes its page.
    std::fs::remove_file(site.feed_dir().join("104_item.md")).unwrap();
    let gone = format!("/{SLUG}/104_item.html");
    wait_for("the removed page", async || fetch(&child, &gone, "identity").await.status() == 404).await;
    assert_eq!(fetch(&child, &format!("/{SLUG}/nonexistent.html"), "identity").await.status(), 404);
}
