//! What an upstream cannot do to the poller's schedule and store (issue 12): absurd time hints
//! are clamped, a store holding a time no timestamp can carry still opens, and `serve` keeps
//! polling whatever one round met. The real binary against upstreams on loopback.

mod common;

use std::process::Output;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use common::{SLUG, Site};

fn feed(guid: &str) -> String {
    format!(
        "<rss version=\"2.0\"><channel><title>up</title><link>https://wire.example/</link><description>d</description>\
         <ttl>4294967295</ttl><item><guid>{guid}</guid><title>item {guid}</title><link>https://wire.example/{guid}</link>\
         <pubDate>Fri, 17 Nov 2023 08:00:00 +0300</pubDate><description>x</description></item></channel></rss>"
    )
}

static ROUND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Upstreams whose every time hint is absurd, one that is fine, and one that never stops.
async fn upstream() -> std::net::SocketAddr {
    let app = Router::new().fallback(|uri: axum::http::Uri| async move {
        let rss = [(header::CONTENT_TYPE, "application/rss+xml")];
        match uri.path() {
            "/retry-delta" => {
                (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1000000000000")]).into_response()
            }
            // Past chrono's range (262,000 years) when added to now.
            "/retry-overflow" => {
                (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1000000000000000")]).into_response()
            }
            "/retry-huge" => {
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "99999999999999999999999")]).into_response()
            }
            "/retry-date" => {
                (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "Fri, 31 Dec 9999 23:59:59 GMT")])
                    .into_response()
            }
            "/retry-negative" => (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "-5")]).into_response(),
            "/max-age" => (
                rss,
                [(header::CACHE_CONTROL, "max-age=1000000000000000")],
                [(header::EXPIRES, "Fri, 31 Dec 9999 23:59:59 GMT")],
                feed("a"),
            )
                .into_response(),
            "/expires-past" => (rss, [(header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT")], feed("b")).into_response(),
            "/fine" => (rss, feed("fine")).into_response(),
            // Five new items at every request, one of them dated 2099.
            "/rolling" => {
                let round = ROUND.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let items: String = (0..5)
                    .map(|i| {
                        let date = if i == 0 { "Thu, 01 Jan 2099 00:00:00 GMT" } else { "Fri, 17 Nov 2023 08:00:00 +0300" };
                        format!(
                            "<item><guid>r{round}-{i}</guid><title>rolling {round}-{i}</title><link>https://wire.example/r{round}-{i}</link>\
                             <pubDate>{date}</pubDate><description>x</description></item>"
                        )
                    })
                    .collect();
                let doc = format!("<rss version=\"2.0\"><channel><title>r</title><link>https://wire.example/</link><description>d</description>{items}</channel></rss>");
                (rss, doc).into_response()
            }
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn with_sources(site: &Site, addr: std::net::SocketAddr, paths: &[&str]) {
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    let def = def.split("\n[[source]]").next().unwrap().to_owned();
    let sources: String = paths.iter().map(|p| format!("\n[[source]]\nurl = \"http://{addr}{p}\"\n")).collect();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}{sources}")).unwrap();
}

async fn poll(site: &Site, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
    cmd.args(["--config", site.config().to_str().unwrap(), "poll"])
        .args(args)
        .env_remove("FEEDPUB_DATABASE_URL")
        .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true");
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The `next poll` time of the line for `path`.
fn next_poll(out: &str, path: &str) -> DateTime<Utc> {
    let line = out.lines().find(|l| l.contains(&format!("{path}: "))).unwrap_or_else(|| panic!("no {path}: {out}"));
    let at = line.rsplit_once("next poll ").unwrap().1;
    DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{line}: {e}")).with_timezone(&Utc)
}

/// Class 1: `Retry-After` (delta, beyond u64, a date in 9999, negative), `Cache-Control: max-age`
/// of 10^15 s, `Expires` in 9999 or 1970 and a `<ttl>` of u32::MAX: no panic, and every next
/// poll within its documented bound (a week for Retry-After, `max_interval_minutes` otherwise).
#[tokio::test(flavor = "multi_thread")]
async fn absurd_time_hints_are_clamped() {
    let addr = upstream().await;
    let site = Site::new();
    let paths = [
        "/retry-delta",
        "/retry-overflow",
        "/retry-huge",
        "/retry-date",
        "/retry-negative",
        "/max-age",
        "/expires-past",
    ];
    with_sources(&site, addr, &paths);
    let before = Utc::now();
    let out = poll(&site, &[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "five sources failed, none panicked: {all}");
    assert!(!all.contains("panicked"), "{all}");
    let week = chrono::TimeDelta::days(7) + chrono::TimeDelta::minutes(1);
    for path in &paths[..4] {
        let wait = next_poll(&all, path) - before;
        assert!(wait <= week && wait >= chrono::TimeDelta::days(7) - chrono::TimeDelta::minutes(1), "{path}: {wait}");
    }
    // Not a number: backoff from the minimum.
    assert!(next_poll(&all, "/retry-negative") - before <= chrono::TimeDelta::minutes(17), "{all}");
    let max = chrono::TimeDelta::minutes(361);
    assert!(next_poll(&all, "/max-age") - before <= max, "{all}");
    assert!(next_poll(&all, "/expires-past") - before <= max, "{all}");
    // Stored and read back, the times are what was printed.
    let again = poll(&site, &[]).await;
    assert!(again.status.success(), "nothing is due: {}", text(&again));
    assert_eq!(text(&again).matches("not due").count(), paths.len(), "{}", text(&again));
}

/// Class 1: a store that holds a next poll no timestamp can carry (`+11526-…`, as an earlier
/// release wrote after an absurd Retry-After) still opens: that source is due now, polled, and
/// its row repaired; every later poll works.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_stored_time_is_due_now_and_repaired() {
    let addr = upstream().await;
    let site = Site::new();
    with_sources(&site, addr, &["/fine"]);
    assert!(poll(&site, &[]).await.status.success());
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let bad = "+11526-01-01T00:00:00Z";
    db.execute("UPDATE sources SET next_poll = ?1, last_polled = ?1", [bad]).unwrap();
    let out = poll(&site, &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("/fine: 200"), "polled at once: {}", text(&out));
    let stored: String = db.query_row("SELECT next_poll FROM sources", [], |r| r.get(0)).unwrap();
    assert!(DateTime::parse_from_rfc3339(&stored).is_ok(), "repaired: {stored}");
    let out = poll(&site, &[]).await;
    assert!(out.status.success() && text(&out).contains("not due"), "{}", text(&out));
}

/// Class 1, under `serve`: a round that meets an absurd Retry-After (which made the poller
/// thread panic, ending polling for the life of the process) goes on to the next source.
#[tokio::test(flavor = "multi_thread")]
async fn serve_keeps_polling_past_absurd_hints() {
    let addr = upstream().await;
    let site = Site::new();
    with_sources(&site, addr, &["/retry-overflow", "/retry-date", "/fine"]);
    let (child, _site) = tokio::task::spawn_blocking(move || {
        (common::child::Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]), site)
    })
    .await
    .unwrap();
    let rss = child.url(&format!("/{SLUG}/rss.xml"));
    let started = std::time::Instant::now();
    loop {
        // Conditional, so the re-fetch guard never answers 429.
        let response = common::server::client().get(&rss).header("if-none-match", "\"x\"").send().await.unwrap();
        let body = response.text().await.unwrap();
        if body.contains("<link>https://wire.example/fine</link>") {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the fine source's item never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Class 9: polling reads feed definitions only. An article without a date (which `build`
/// refuses) does not stop `poll`, and the upstream's item is stored; `build` still names the
/// bad article.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_local_article_does_not_stop_polling() {
    let addr = upstream().await;
    let site = Site::new();
    with_sources(&site, addr, &["/fine"]);
    site.write_feed_file("020_undated.txt", "نص بلا تاريخ");
    let out = poll(&site, &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("/fine: 200; 1 new"), "{}", text(&out));
    let build = site.run(&["build"]);
    assert_eq!(build.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&build.stderr).contains("020_undated.txt: no date"), "{build:?}");
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let n: i64 = db.query_row("SELECT COUNT(*) FROM items WHERE source IS NOT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1, "the polled item is stored");
}

/// Class 4: a source keeps at most `keep` items; a date in 2099 neither shows nor pins the
/// top; a `[[source]]` taken out of feed.toml takes its items out of the site at the next build,
/// with one line saying how many.
#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_cannot_grow_pin_or_outlive_its_source() {
    let addr = upstream().await;
    let site = Site::new();
    with_sources(&site, addr, &["/rolling"]);
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}keep = 3\n")).unwrap();
    let pages = |site: &Site| {
        std::fs::read_dir(site.out().join(SLUG))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".html"))
            .count()
    };
    for round in 0..3 {
        let out = poll(&site, &["--force"]).await;
        assert!(out.status.success(), "{}", text(&out));
        if round > 0 {
            assert!(text(&out).contains("3 new, 0 updated, 3 removed (past keep)"), "{}", text(&out));
        }
        common::assert_success(&site.run(&["build"]));
        // The seed's page, the feed page, and three upstream items.
        assert_eq!(pages(&site), 1 + 1 + 3, "round {round}");
    }
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    assert!(!rss.contains("2099"), "the claimed date is data, not a publication date: {rss}");
    let json = site.read(&format!("{SLUG}/feed.json"));
    assert!(!json.contains("2099"), "{json}");

    std::fs::write(site.feed_dir().join("feed.toml"), def.split("\n[[source]]").next().unwrap()).unwrap();
    let out = site.run(&["build"]);
    common::assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("store: 3 items removed with the [[source]]s feed.toml no longer lists"), "{stdout}");
    assert_eq!(pages(&site), 2, "only the seed's page and the feed page are left");
    assert!(!site.read(&format!("{SLUG}/rss.xml")).contains("rolling"));
}
