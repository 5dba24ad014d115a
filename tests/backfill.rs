//! `[[source]] backfill = true` end to end against an upstream on loopback whose history is in
//! RFC 5005 archive pages: the walk imports every page once, oldest last, goes on from a page
//! that failed at the next poll, and stops at `keep` and at a loop.

mod common;

use std::collections::HashMap;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{SLUG, Site};

/// The upstream: a subscription document (RSS) and two archive pages (Atom, then RSS), each
/// item titled by its number, 1 the oldest.
#[derive(Default)]
struct Upstream {
    requests: Mutex<HashMap<String, usize>>,
    /// `/archive/1` answers 500 while set.
    failing: AtomicBool,
    /// `/archive/1` links back to `/archive/2`.
    looping: AtomicBool,
    /// `/archive/1` answers 404.
    missing: AtomicBool,
    /// `/archive/1` links `/archive/100`, and each page from there the next: a history with
    /// no end.
    endless: AtomicBool,
}

impl Upstream {
    fn count(&self, path: &str) -> usize {
        self.requests.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn rss_item(n: u32, dated: bool) -> String {
    let date = if dated { format!("<pubDate>Mon, {n:02} Jan 2024 08:00:00 +0000</pubDate>") } else { String::new() };
    format!(
        "<item><guid>wire-{n}</guid><title>خبر رقم {n}</title><link>https://wire.example/news/{n}</link>{date}\
         <description>نص الخبر {n}</description></item>"
    )
}

fn document(up: &Upstream, page: &str, base: &str) -> Option<(&'static str, String)> {
    const ATOM_LINK: &str = "xmlns:atom=\"http://www.w3.org/2005/Atom\"";
    Some(match page {
        "feed.xml" => {
            let items: String = (7..=9).rev().map(|n| rss_item(n, true)).collect();
            let rss = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\" {ATOM_LINK}><channel><title>الوكالة</title>\
                 <link>https://wire.example/</link>\
                 <atom:link rel=\"prev-archive\" href=\"{base}/archive/2\"/>{items}</channel></rss>"
            );
            ("application/rss+xml", rss)
        }
        // An Atom page with an undated entry among dated ones, linked relatively.
        "2" => {
            let entry = |n: u32, dated: bool| {
                let date = if dated { format!("<updated>2024-01-{n:02}T08:00:00Z</updated>") } else { String::new() };
                format!(
                    "<entry><id>wire-{n}</id><title>خبر رقم {n}</title>\
                     <link href=\"https://wire.example/news/{n}\"/>{date}<content>نص الخبر {n}</content></entry>"
                )
            };
            let atom = format!(
                "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" \
                 xmlns:fh=\"http://purl.org/syndication/history/1.0\"><title>الوكالة</title><id>urn:wire</id>\
                 <updated>2024-01-06T08:00:00Z</updated><fh:archive/>\
                 <link rel=\"current\" href=\"{base}/feed.xml\"/><link rel=\"prev-archive\" href=\"1\"/>\
                 {}{}{}</feed>",
                entry(6, true),
                entry(5, false),
                entry(4, true)
            );
            ("application/atom+xml", atom)
        }
        "1" => {
            let items: String = (1..=3).rev().map(|n| rss_item(n, true)).collect();
            let back = if up.looping.load(Ordering::SeqCst) {
                format!("<atom:link rel=\"prev-archive\" href=\"{base}/archive/2\"/>")
            } else if up.endless.load(Ordering::SeqCst) {
                format!("<atom:link rel=\"prev-archive\" href=\"{base}/archive/100\"/>")
            } else {
                String::new()
            };
            let rss = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\" {ATOM_LINK}><channel><title>الوكالة</title>\
                 <link>https://wire.example/</link>{back}{items}</channel></rss>"
            );
            ("application/rss+xml", rss)
        }
        n => {
            let n: u32 = n.parse().ok().filter(|n| *n >= 100 && up.endless.load(Ordering::SeqCst))?;
            let rss = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\" {ATOM_LINK}><channel><title>الوكالة</title>\
                 <link>https://wire.example/</link><atom:link rel=\"prev-archive\" href=\"{base}/archive/{}\"/>\
                 {}</channel></rss>",
                n + 1,
                rss_item(n, true).replace(&format!("Mon, {n:02} Jan"), "Mon, 01 Jan")
            );
            ("application/rss+xml", rss)
        }
    })
}

async fn serve(up: Arc<Upstream>) -> String {
    async fn answer(State((up, base)): State<(Arc<Upstream>, String)>, path: String, headers: HeaderMap) -> Response {
        *up.requests.lock().unwrap().entry(path.clone()).or_default() += 1;
        let page = path.trim_start_matches("/archive/").trim_start_matches('/');
        if page == "1" && up.failing.load(Ordering::SeqCst) {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        if page == "1" && up.missing.load(Ordering::SeqCst) {
            return StatusCode::NOT_FOUND.into_response();
        }
        // The subscription document has a validator: a poll that sends it back gets a 304.
        if page == "feed.xml" && headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"f1\"") {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        match document(&up, page, &base) {
            Some((kind, body)) => ([(header::CONTENT_TYPE, kind), (header::ETAG, "\"f1\"")], body).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/feed.xml", get(|s: State<(Arc<Upstream>, String)>, h: HeaderMap| answer(s, "/feed.xml".into(), h)))
        .route(
            "/archive/{n}",
            get(|s: State<(Arc<Upstream>, String)>, Path(n): Path<String>, h: HeaderMap| {
                answer(s, format!("/archive/{n}"), h)
            }),
        )
        .with_state((up, base.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn site_with_source(base: &str, extra: &str) -> Site {
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    let source = format!("\n[[source]]\nurl = \"{base}/feed.xml\"\nbackfill = true\nmin_interval_minutes = 1\n{extra}");
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}{source}")).unwrap();
    site
}

async fn poll(site: &Site) -> (Output, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
    cmd.args(["--config", site.config().to_str().unwrap(), "poll", "--force"])
        .env_remove("FEEDPUB_DATABASE_URL")
        .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out, text)
}

/// The numbers of the upstream items the built RSS feed carries, in its order.
fn published(site: &Site) -> Vec<u32> {
    common::assert_success(&site.run(&["build"]));
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    rss.split("<title>خبر رقم ").skip(1).map(|t| t[..t.find('<').unwrap()].parse().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_is_walked_once_and_goes_on_where_a_page_failed() {
    let up = Arc::new(Upstream::default());
    let base = serve(up.clone()).await;
    let site = site_with_source(&base, "");

    // The oldest page fails: the walk stores what it read, says where it stopped, and the
    // command fails so cron says so.
    up.failing.store(true, Ordering::SeqCst);
    let (out, text) = poll(&site).await;
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains(": 200; 3 new, 0 updated; backfill: 1 pages, 3 new, 0 updated, stopped at "), "{text}");
    assert!(text.contains(&format!("{base}/archive/1: ")) && text.contains("goes on at the next poll"), "{text}");
    assert_eq!(published(&site), [9, 8, 7, 6, 4, 5], "the undated item goes behind the old items it came with");

    // The next poll, though the document is unchanged (304), reads only the page that failed,
    // and the walk is done.
    up.failing.store(false, Ordering::SeqCst);
    let (out, text) = poll(&site).await;
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(": 304; 0 new, 0 updated; backfill: 1 pages, 3 new, 0 updated, done (the oldest page)"),
        "{text}"
    );
    assert_eq!((up.count("/archive/2"), up.count("/archive/1")), (1, 2));
    assert_eq!(published(&site), [9, 8, 7, 6, 4, 5, 3, 2, 1], "the undated item keeps its place");

    // Done: later polls read the subscription document only.
    let (out, text) = poll(&site).await;
    assert!(out.status.success() && !text.contains("backfill"), "{text}");
    assert_eq!((up.count("/feed.xml"), up.count("/archive/2"), up.count("/archive/1")), (3, 1, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_walk_stops_at_keep_and_at_a_loop() {
    let up = Arc::new(Upstream::default());
    let base = serve(up.clone()).await;
    // keep = 5: the three of the document and the two newest of the next page.
    let site = site_with_source(&base, "keep = 5\n");
    let (out, text) = poll(&site).await;
    assert!(out.status.success(), "{text}");
    assert!(text.contains("backfill: 1 pages, 3 new, 0 updated, 1 removed (past keep), done (keep reached)"), "{text}");
    assert_eq!(published(&site), [9, 8, 7, 6, 4], "the undated item ranks last and goes first");
    assert_eq!(up.count("/archive/1"), 0, "nothing read past keep");

    // A page that links back to one read before ends the walk.
    let looping = Arc::new(Upstream::default());
    looping.looping.store(true, Ordering::SeqCst);
    let base = serve(looping.clone()).await;
    let site = site_with_source(&base, "");
    let (out, text) = poll(&site).await;
    assert!(out.status.success(), "{text}");
    assert!(text.contains("backfill: 2 pages, 6 new, 0 updated, done (a page links one already read)"), "{text}");
    assert_eq!((looping.count("/archive/2"), looping.count("/archive/1")), (1, 1));
    assert_eq!(published(&site).len(), 9);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_gone_for_good_ends_the_walk_and_a_long_one_takes_turns() {
    // A 404 is no page to come back to: the walk ends there, the command says so once.
    let up = Arc::new(Upstream::default());
    up.missing.store(true, Ordering::SeqCst);
    let base = serve(up.clone()).await;
    let site = site_with_source(&base, "");
    let (out, text) = poll(&site).await;
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("backfill: 1 pages, 3 new, 0 updated, ended at ") && text.contains("HTTP 404"), "{text}");
    let (out, text) = poll(&site).await;
    assert!(out.status.success() && !text.contains("backfill"), "{text}");
    assert_eq!(up.count("/archive/1"), 1);

    // A history with no end is read a round's share at a time, each poll going on from the
    // page the last one reached.
    let endless = Arc::new(Upstream::default());
    endless.endless.store(true, Ordering::SeqCst);
    let base = serve(endless.clone()).await;
    let site = site_with_source(&base, "keep = 5000\n");
    let (out, text) = poll(&site).await;
    assert!(out.status.success(), "{text}");
    assert!(text.contains("backfill: 50 pages, ") && text.contains("paused (this round's share)"), "{text}");
    // Page 2, page 1, then 100 to 147.
    assert_eq!((endless.count("/archive/147"), endless.count("/archive/148")), (1, 0));
    let (out, text) = poll(&site).await;
    assert!(out.status.success() && text.contains("backfill: 50 pages, 50 new"), "{text}");
    assert_eq!(
        (endless.count("/archive/148"), endless.count("/archive/197"), endless.count("/archive/198")),
        (1, 1, 0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_without_backfill_reads_no_archive() {
    let up = Arc::new(Upstream::default());
    let base = serve(up.clone()).await;
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}\n[[source]]\nurl = \"{base}/feed.xml\"\n"))
        .unwrap();
    let (out, text) = poll(&site).await;
    assert!(out.status.success() && !text.contains("backfill"), "{text}");
    assert_eq!(up.count("/archive/2"), 0);
    assert_eq!(published(&site), [9, 8, 7]);
}
