//! Crash consistency, against the real binary: `kill -9` of a `build` while it writes leaves
//! every published file the old or the new complete version; `kill -9` of a `poll` leaves the
//! store intact with a source either fully ingested or not at all; and `serve`, `poll` and
//! `build` running at once on one store give no errors.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use common::{SLUG, Site, snapshot};

/// Writes `n` Markdown articles into the site's feed, each with `word` in its text.
fn articles(site: &Site, n: usize, word: &str) {
    let text = common::seed_paragraphs().join("\n\n");
    for i in 0..n {
        let body = format!(
            "+++\ntitle = \"{word} {i}\"\ndate = 2023-11-{:02}T08:00:00Z\n+++\n{word} {i}\n\n{text}\n",
            1 + i % 28
        );
        site.write_feed_file(&format!("a{i:04}.md"), body);
    }
}

fn feedpub(site: &Site, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedpub"));
    cmd.args(["--config", site.config().to_str().unwrap()])
        .args(args)
        .env_remove("FEEDPUB_DATABASE_URL")
        .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn a_killed_build_leaves_each_file_old_or_new() {
    let site = Site::new();
    let mut killed_mid_write = 0;
    // Each kill lands this long after the build's first temporary file appears (its writing
    // phase has begun).
    for (i, delay_ms) in [0, 150, 300, 500, 800, 1200].into_iter().enumerate() {
        articles(&site, 600, &format!("version{i}"));
        site.build();
        let old = snapshot(&site.out());
        articles(&site, 600, &format!("version{i}b"));
        let mut child = feedpub(&site, &["build"]).spawn().unwrap();
        let feed_dir = site.out().join(SLUG);
        let writing = || {
            std::fs::read_dir(&feed_dir).unwrap().any(|e| {
                let name = e.unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with(".feedpub-") && name.ends_with(".tmp")
            })
        };
        while !writing() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        let now = snapshot(&site.out());
        // The next build finishes the job. Rendering is deterministic and the killed build's
        // store sync either committed (then this one renders the very bytes it was writing)
        // or not (then it had written nothing): its files are what the killed one meant.
        site.build();
        let new = snapshot(&site.out());
        assert!(new.keys().all(|k| !k.ends_with(".tmp")), "temporary files survived the next build");
        let (mut as_old, mut as_new) = (0, 0);
        for (rel, (bytes, _)) in now.iter().filter(|(rel, _)| !rel.starts_with(".feedpub-")) {
            if rel.ends_with(".tmp") {
                continue; // a killed build's temporary file: never a published name
            }
            match (old.get(rel), new.get(rel)) {
                (Some((o, _)), _) if o == bytes => as_old += 1,
                (_, Some((n, _))) if n == bytes => as_new += 1,
                _ => panic!("after a kill at {delay_ms} ms, {rel} is neither the old nor the new version"),
            }
        }
        // The next build completed the site: it is what a full build into an empty folder writes.
        let full = tempfile::tempdir().unwrap();
        common::assert_success(&site.run(&["build", "--out", full.path().to_str().unwrap()]));
        let bytes = |s: &std::collections::BTreeMap<String, (Vec<u8>, std::time::SystemTime)>| {
            s.iter()
                .filter(|(k, _)| !k.starts_with(".feedpub-"))
                .map(|(k, (b, _))| (k.clone(), b.clone()))
                .collect::<Vec<_>>()
        };
        assert!(bytes(&new) == bytes(&snapshot(full.path())), "after a kill at {delay_ms} ms the site is not complete");
        println!("kill {delay_ms} ms after writing began: finished {finished}, {as_old} files old, {as_new} new");
        if !finished && as_old > 0 && as_new > 0 {
            killed_mid_write += 1;
        }
    }
    // Printed for the record (cargo test -- --nocapture).
    println!("kills that landed between the first and the last file written: {killed_mid_write} of 6");
}

async fn upstream(items: usize) -> std::net::SocketAddr {
    let doc = {
        let para = common::seed_paragraphs()[0].clone();
        let items: String = (0..items)
            .map(|i| {
                format!(
                    "<item><guid>g{i}</guid><title>t{i}</title><link>https://wire.example/{i}</link>\
                     <description>&lt;p&gt;{para} {i}&lt;/p&gt;</description></item>"
                )
            })
            .collect();
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>w</title>{items}</channel></rss>")
    };
    let app = Router::new().route(
        "/rss",
        get(move || {
            let doc = doc.clone();
            async move { ([(header::CONTENT_TYPE, "application/rss+xml")], doc) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A killed poll holds its source for the lease: 6 s here instead of two minutes.
fn short_leases(site: &Site) {
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), config.replace("timeout_seconds = 60", "timeout_seconds = 5\nlease_seconds = 6"))
        .unwrap();
}

fn add_source(site: &Site, addr: std::net::SocketAddr) {
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    site.write_feed_file("feed.toml", format!("{def}\n[[source]]\nurl = \"http://{addr}/rss\"\n"));
}

/// (items stored from the source, whether the source's state is stored, integrity_check).
fn store_state(site: &Site) -> (i64, bool, String) {
    let c = rusqlite::Connection::open(site.db()).unwrap();
    let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    let items: i64 = c.query_row("SELECT COUNT(*) FROM items WHERE source IS NOT NULL", [], |r| r.get(0)).unwrap();
    let distinct: i64 =
        c.query_row("SELECT COUNT(DISTINCT id) FROM items WHERE source IS NOT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(items, distinct, "duplicate items");
    let state: i64 = c.query_row("SELECT COUNT(*) FROM sources", [], |r| r.get(0)).unwrap();
    (items, state > 0, integrity)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_poll_leaves_the_store_whole() {
    let addr = upstream(1_000).await;
    let site = Site::new();
    short_leases(&site);
    add_source(&site, addr);
    site.build(); // creates the store with the seed in it
    let mut outcomes = std::collections::BTreeSet::new();
    for delay_ms in [20, 60, 100, 150, 200, 300, 500] {
        std::fs::remove_file(site.db()).unwrap();
        site.build();
        let mut child = feedpub(&site, &["poll", "--force"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill();
        tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
        let (items, state, integrity) = store_state(&site);
        assert_eq!(integrity, "ok", "after a kill at {delay_ms} ms");
        // One transaction holds a poll's items and its state: all of them, or none.
        assert!(matches!((items, state), (0, false) | (1_000, true)), "{items} items, state {state}");
        outcomes.insert(items);
    }
    // A complete poll afterwards stores every item once.
    // (once the lease the last killed poll held has run out: until then the source is left to
    // its holder, which might still be polling it.)
    let started = std::time::Instant::now();
    while store_state(&site).0 < 1_000 {
        assert!(started.elapsed() < Duration::from_secs(60), "the source was never polled again");
        let out = feedpub(&site, &["poll", "--force"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(store_state(&site).0, 1_000);
    println!("item counts seen after kills: {outcomes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_poll_and_build_share_one_store() {
    let addr = upstream(200).await;
    let site = Site::new();
    add_source(&site, addr);
    site.build();
    let server = common::child::Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]);
    let mut runs = Vec::new();
    for i in 0..6 {
        let args: &[&str] = if i % 2 == 0 { &["poll", "--force"] } else { &["build"] };
        let mut cmd = feedpub(&site, args);
        cmd.stderr(Stdio::piped());
        runs.push((args.join(" "), cmd.spawn().unwrap()));
    }
    for (what, child) in runs {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
        assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let client = reqwest::Client::new();
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let feed = client.get(server.url(&format!("/{SLUG}/rss.xml"))).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    // A `poll --force` that found the source claimed by another process (serve's poll, or
    // another `poll`) left it to that one, which may still be writing.
    common::server::wait_for("the items stored", async || store_state(&site).0 == 200).await;
}
