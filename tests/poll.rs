//! `feedpub poll` end to end against an upstream on loopback: items stored and re-published
//! with their original links and provenance, validators sent back (304), failures reported with
//! exit status 3 and nothing lost, and the SSRF guard refusing loopback unless lifted.

mod common;

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{SLUG, Site};

const UPSTREAM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>وكالة الأنباء</title><link>https://wire.example/</link><ttl>30</ttl>
<item><guid>wire-1</guid><title>خبر من الوكالة</title><link>https://wire.example/news/1</link>
<pubDate>Fri, 17 Nov 2023 08:00:00 +0300</pubDate>
<description>&lt;p dir="rtl" lang="ar" onclick="x()"&gt;نص الخبر&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description></item>
</channel></rss>"#;

#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    conditional: AtomicUsize,
}

async fn upstream(seen: Arc<Seen>, broken: Arc<std::sync::atomic::AtomicBool>) -> std::net::SocketAddr {
    let app = Router::new().route(
        "/rss",
        get(move |headers: HeaderMap| {
            let (seen, broken) = (seen.clone(), broken.clone());
            async move {
                seen.requests.fetch_add(1, Ordering::SeqCst);
                if broken.load(Ordering::SeqCst) {
                    return (StatusCode::OK, "<html><body><p>Service unavailable</body></html>").into_response();
                }
                if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"w1\"") {
                    seen.conditional.fetch_add(1, Ordering::SeqCst);
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                let r: Response = ([(header::ETAG, "\"w1\""), (header::CONTENT_TYPE, "application/rss+xml")], UPSTREAM)
                    .into_response();
                r
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn run(site: &Site, args: &[&str], allow_private: bool) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
    cmd.args(["--config", site.config().to_str().unwrap()]).args(args).env_remove("FEEDPUB_DATABASE_URL");
    if allow_private {
        cmd.env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true");
    } else {
        cmd.env_remove("FEEDPUB_ALLOW_PRIVATE_NETWORKS");
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_stores_and_build_republishes_with_provenance() {
    let seen = Arc::new(Seen::default());
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = upstream(seen.clone(), broken.clone()).await;
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    let source_url = format!("http://{addr}/rss");
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}\n[[source]]\nurl = \"{source_url}\"\n")).unwrap();

    // The guard is on by default: loopback is refused, and nothing reaches the server.
    let out = run(&site, &["poll"], false).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("not a public address"), "{}", text(&out));
    assert_eq!(seen.requests.load(Ordering::SeqCst), 0);

    let out = run(&site, &["poll", "--force"], true).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(": 200; 1 new, 0 updated; next poll"), "{}", text(&out));
    common::assert_success(&site.run(&["build"]));
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    assert!(rss.contains("<title>خبر من الوكالة</title>"), "{rss}");
    assert!(rss.contains("<link>https://wire.example/news/1</link>"), "keeps its original link");
    assert!(rss.contains(&format!("<source url=\"{source_url}\">وكالة الأنباء</source>")), "{rss}");
    assert!(rss.contains("نص الخبر") && !rss.contains("alert") && !rss.contains("onclick"), "sanitised: {rss}");
    assert!(rss.contains("dir=\"rtl\" lang=\"ar\""), "direction kept");
    let atom = site.read(&format!("{SLUG}/atom.xml"));
    assert!(atom.contains("<source>") && atom.contains("<title>وكالة الأنباء</title>"), "{atom}");
    // The local article is still there, after the newer upstream item.
    assert!(rss.find("خبر من الوكالة").unwrap() < rss.find("منظمة معاهدة الأمن الجماعي").unwrap());

    // Polling again sends the validators back: 304, nothing new, nothing duplicated.
    let out = run(&site, &["poll", "--force"], true).await;
    assert!(text(&out).contains(": 304; 0 new"), "{}", text(&out));
    assert_eq!(seen.conditional.load(Ordering::SeqCst), 1);
    // Not due yet without --force (the upstream's <ttl> is 30 minutes).
    let before = seen.requests.load(Ordering::SeqCst);
    let out = run(&site, &["poll"], true).await;
    assert!(text(&out).contains("not due"), "{}", text(&out));
    assert_eq!(seen.requests.load(Ordering::SeqCst), before);

    // An upstream that answers with something no repair makes a feed (an error page) fails the
    // poll (exit 3) and changes nothing published.
    broken.store(true, Ordering::SeqCst);
    let out = run(&site, &["poll", "--force"], true).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(&source_url), "names the URL: {}", text(&out));
    common::assert_success(&site.run(&["build"]));
    assert_eq!(site.read(&format!("{SLUG}/rss.xml")), rss, "the published feed is unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_polls_on_schedule_and_serves_new_upstream_items() {
    let seen = Arc::new(Seen::default());
    let addr = upstream(seen.clone(), Arc::default()).await;
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}\n[[source]]\nurl = \"http://{addr}/rss\"\n"))
        .unwrap();
    let child = tokio::task::spawn_blocking(move || {
        let c = common::child::Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]);
        (c, site)
    })
    .await
    .unwrap();
    let (child, _site) = child;
    let rss = child.url(&format!("/{SLUG}/rss.xml"));
    let started = std::time::Instant::now();
    loop {
        let body = common::server::client().get(&rss).header("if-none-match", "\"x\"").send().await.unwrap();
        if body.text().await.unwrap().contains("<link>https://wire.example/news/1</link>") {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the upstream item never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 1, "polled once at start, then not before it is due");
}

#[tokio::test(flavor = "multi_thread")]
async fn moves_are_kept_gone_sources_retired_failures_recover_and_charsets_decoded() {
    use std::sync::atomic::AtomicBool;
    let hits = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let flaky_ok = Arc::new(AtomicBool::new(false));
    let arabic = "<rss version=\"2.0\"><channel><title>وكالة</title><item><guid>w1</guid><title>عنوان بترميز ويندوز</title>\
                  <description>نص</description></item></channel></rss>";
    let (cp1256, _, _) = encoding_rs::WINDOWS_1256.encode(arabic);
    let cp1256 = cp1256.into_owned();
    let app = {
        let (hits, flaky_ok) = (hits.clone(), flaky_ok.clone());
        Router::new().fallback(move |uri: axum::http::Uri| {
            let (hits, flaky_ok, cp1256) = (hits.clone(), flaky_ok.clone(), cp1256.clone());
            async move {
                hits.lock().unwrap().push(uri.path().to_owned());
                match uri.path() {
                    "/old" => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/new")]).into_response(),
                    // The charset is only in the HTTP header; the document declares none.
                    "/new" => {
                        ([(header::CONTENT_TYPE, "application/rss+xml; charset=windows-1256")], cp1256).into_response()
                    }
                    "/gone" => StatusCode::GONE.into_response(),
                    "/flaky" if !flaky_ok.load(Ordering::SeqCst) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    "/flaky" => ([(header::CONTENT_TYPE, "application/rss+xml")], UPSTREAM).into_response(),
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }
        })
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    let sources: String =
        ["old", "gone", "flaky"].iter().map(|p| format!("\n[[source]]\nurl = \"http://{addr}/{p}\"\n")).collect();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}{sources}")).unwrap();

    let out = run(&site, &["poll"], true).await;
    assert_eq!(out.status.code(), Some(3), "the flaky source failed: {}", text(&out));
    assert!(text(&out).contains("/gone: 410 gone"), "{}", text(&out));
    assert!(text(&out).contains("/flaky: ") && text(&out).contains("HTTP 500"), "{}", text(&out));
    common::assert_success(&site.run(&["build"]));
    assert!(site.read(&format!("{SLUG}/rss.xml")).contains("<title>عنوان بترميز ويندوز</title>"), "decoded right");

    let store = feedpub::store::open_sql(&feedpub::config::DatabaseUrl::Sqlite(site.db())).unwrap();
    let slug = feedpub::model::Slug::new(SLUG).unwrap();
    let state = |p: &str| {
        use feedpub::store::Store as _;
        store.source_state(&slug, &url::Url::parse(&format!("http://{addr}/{p}")).unwrap()).unwrap().unwrap()
    };
    assert_eq!(state("old").current_url.path(), "/new", "the 301 is kept");
    assert!(state("gone").retired);
    assert_eq!((state("flaky").failures, state("flaky").last_error.is_some()), (1, true));

    flaky_ok.store(true, Ordering::SeqCst);
    hits.lock().unwrap().clear();
    let out = run(&site, &["poll", "--force"], true).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("/gone: retired"), "{}", text(&out));
    let mut seen = hits.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["/flaky", "/new"], "straight to the new URL; the retired source left alone");
    assert_eq!((state("flaky").failures, state("flaky").last_error.clone()), (0, None), "recovered");
}
