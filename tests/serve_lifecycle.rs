//! The service's life: atomic swaps under load, graceful shutdown, slow clients, the
//! connection limit, the poller stopping at once — in process on 127.0.0.1:0 — and the real
//! binary re-rendering on article changes, reporting readers and exiting 0 on SIGTERM.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::TimeZone as _;
use common::child::Child;
use common::server::{Server, client, wait_for};
use common::{SLUG, Site};
use feedpub::config::{Compression, Config};
use feedpub::publish::serve;
use feedpub::render::{Output, OutputKind};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn output(path: &str, bytes: Vec<u8>) -> Output {
    Output {
        path: path.into(),
        bytes,
        kind: OutputKind::Rss,
        updated: chrono::Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).unwrap(),
        ttl_minutes: 60,
        archived: Default::default(),
    }
}

fn config(site: &Site) -> Config {
    let mut c = Config::load(&site.config()).unwrap();
    c.serve.min_refetch = Duration::ZERO;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swaps_are_atomic_under_concurrent_requests() {
    let site = Site::new();
    let version =
        |fill: u8, len: usize| vec![output("f/rss.xml", vec![fill; len]), output("f/atom.xml", vec![fill; len])];
    let server = Server::with_outputs(version(b'a', 5_000), config(&site), Box::new(|| Ok(()))).await;
    let etag_of = |outputs: Vec<Output>| {
        let s = serve::Site::new(outputs, Compression { gzip: true, brotli: false }, None);
        s.get("/f/rss.xml")
            .unwrap()
            .unwrap()
            .variants
            .iter()
            .map(|v| v.etag_header.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (tags_a, tags_b) = (etag_of(version(b'a', 5_000)), etag_of(version(b'b', 7_000)));
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (app, stop) = (server.app.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let (fill, len) = if n.is_multiple_of(2) { (b'b', 7_000) } else { (b'a', 5_000) };
                app.swap(serve::Site::new(version(fill, len), Compression { gzip: true, brotli: false }, None), 0.0);
                n += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            n
        })
    };
    let mut readers = Vec::new();
    for i in 0..4 {
        let (url, tags_a, tags_b) = (server.url("/f/rss.xml"), tags_a.clone(), tags_b.clone());
        readers.push(tokio::spawn(async move {
            let (mut seen_a, mut seen_b) = (0, 0);
            for _ in 0..150 {
                let mut req = client().get(&url);
                if i % 2 == 1 {
                    req = req.header("accept-encoding", "gzip");
                }
                let r = req.send().await.unwrap();
                let tag = r.headers()["etag"].to_str().unwrap().to_owned();
                let mut body = r.bytes().await.unwrap().to_vec();
                if i % 2 == 1 {
                    let mut plain = Vec::new();
                    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain).unwrap();
                    body = plain;
                }
                // Body and validator always come from the same version.
                if body == vec![b'a'; 5_000] {
                    assert!(tags_a.contains(&tag), "a-body with tag {tag}");
                    seen_a += 1;
                } else {
                    assert_eq!(body, vec![b'b'; 7_000], "a torn or mixed body");
                    assert!(tags_b.contains(&tag), "b-body with tag {tag}");
                    seen_b += 1;
                }
            }
            (seen_a, seen_b)
        }));
    }
    let mut totals = (0, 0);
    for r in readers {
        let (a, b) = r.await.unwrap();
        totals = (totals.0 + a, totals.1 + b);
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.await.unwrap();
    assert!(
        swaps > 10 && totals.0 > 0 && totals.1 > 0,
        "both versions were served while swapping: {totals:?}, {swaps} swaps"
    );
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_a_response_in_flight_finish() {
    let site = Site::new();
    let mut config = config(&site);
    config.compress = Compression { gzip: false, brotli: false };
    let big = 32 << 20;
    let server = Server::with_outputs(vec![output("big/rss.xml", vec![b'x'; big])], config, Box::new(|| Ok(()))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /big/rss.xml HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = vec![0; 64 * 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(n > 0);
    // The 32 MiB answer cannot fit in the socket buffers: it is still being written.
    server.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!server.task.is_finished(), "waits for the response in flight");
    assert!(TcpStream::connect(server.addr).await.is_err(), "no new connections once shutting down");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.unwrap();
    let all = [&buf[..n], &rest[..]].concat();
    let head_end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(all.len() - head_end, big, "the whole body arrived");
    tokio::time::timeout(Duration::from_secs(10), server.task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn slow_headers_are_cut_off_and_the_connection_limit_holds() {
    let site = Site::new();
    let server = Server::start(&site, |s| {
        s.min_refetch = Duration::ZERO;
        s.header_read_timeout = Duration::from_secs(1);
        s.max_connections = 1;
    })
    .await;
    // A slow-loris client that never finishes its headers is disconnected.
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await.unwrap();
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut sink)).await;
    assert!(closed.is_ok(), "closed after the header timeout");
    drop(slow);

    // With one connection allowed, a second waits until the first is gone.
    let request = format!("GET /{SLUG}/rss.xml HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    first.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0; 1024];
    assert!(first.read(&mut buf).await.unwrap() > 0);
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    second.write_all(request.as_bytes()).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(500), second.read(&mut buf)).await;
    assert!(waited.is_err(), "the second connection is not served while the first is open");
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(10), second.read(&mut buf)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test]
async fn the_binary_rerenders_on_change_reports_readers_and_stops_on_sigterm() {
    let site = Site::new();
    let mut child = Child::start(&site, &[]);
    let rss = child.url(&format!("/{SLUG}/rss.xml"));
    let body = |url: String| async move {
        client()
            .get(url)
            .header("user-agent", "t/1")
            .header("if-none-match", "\"x\"")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(body(rss.clone()).await.contains("<ttl>360</ttl>"));

    // A new article appears: the feeds are re-rendered and swapped in.
    site.write_feed_file("001_new.md", "+++\ntitle = \"عنوان جديد\"\ndate = 2024-01-02\n+++\nنص جديد.\n");
    wait_for("the new article", async || body(rss.clone()).await.contains("عنوان جديد")).await;
    let page = client().get(child.url(&format!("/{SLUG}/001_new.html"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // And then nothing more: the service does not re-render an unchanged store (it follows
    // the store's head every second, and its own sync moved the head).
    let renders = |child: &Child| child.logs.lock().unwrap().iter().filter(|l| l.contains("re-rendered")).count();
    let settled = renders(&child);
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(renders(&child), settled, "re-rendered with nothing changed");

    // A broken article is refused; the last good site stays up.
    site.write_feed_file("002_bad.md", "+++\ntitle = \"x\"\n+++\nno date\n");
    let metrics = child.url("/metrics");
    wait_for("the refused render", async || {
        client().get(&metrics).send().await.unwrap().text().await.unwrap().contains("feedpub_render_errors_total 1")
    })
    .await;
    assert!(body(rss.clone()).await.contains("عنوان جديد"));
    // Refused once, not again every second while nothing changes.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let text = client().get(&metrics).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("feedpub_render_errors_total 1"), "the refused render was tried again");

    // The article goes: so does its page.
    std::fs::remove_file(site.feed_dir().join("002_bad.md")).unwrap();
    std::fs::remove_file(site.feed_dir().join("001_new.md")).unwrap();
    let gone = child.url(&format!("/{SLUG}/001_new.html"));
    wait_for("the removed page", async || client().get(&gone).send().await.unwrap().status() == 404).await;

    // `feedpub readers` prints the polls made above.
    let out = site.run(&["readers", "--url", &child.url("/readers")]);
    common::assert_success(&out);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.trim_start().starts_with("REQUESTS") && table.lines().any(|l| l.ends_with("  t/1")), "{table}");

    std::process::Command::new("kill").args(["-TERM", &child.process.id().to_string()]).status().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.process.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "exits after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn readers_names_the_url_when_no_service_runs() {
    let site = Site::new();
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/readers");
    let out = site.run(&["readers", "--url", &url]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&url) && err.contains("is `feedpub serve` running?"), "{err}");
}

/// Runs the service in process on a free port until it answers, then triggers its shutdown once
/// `busy` completes and returns how long `run` took to return after that.
async fn stop_time(site: &Site, busy: impl Future<Output = ()>) -> Duration {
    let mut config = config(site);
    config.poll.allow_private_networks = true;
    // Far longer than the test allows the shutdown: a fetch in flight must be dropped, not awaited.
    config.poll.timeout_seconds = 120;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let shutdown = feedpub::shutdown::Shutdown::new();
    let service = tokio::spawn(feedpub::pipeline::serve::run(config, Some(addr), shutdown.clone()));
    let healthz = format!("http://{addr}/healthz");
    wait_for("the service", async || client().get(&healthz).send().await.is_ok()).await;
    busy.await;
    shutdown.trigger();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(20), service).await.expect("run returns").unwrap().unwrap();
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_stops_the_poller_between_ticks_and_in_the_middle_of_a_round() {
    // Between ticks: the first round (no sources) is over; the next tick is a minute away.
    let site = Site::new();
    let waited = stop_time(&site, async {}).await;
    assert!(waited < Duration::from_secs(2), "waited {waited:?} for the poller's next tick");

    // In a round: an upstream that accepts the connection and never answers.
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/rss", upstream.local_addr().unwrap());
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}\n[[source]]\nurl = \"{url}\"\n")).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (held, _) = upstream.accept().await.unwrap();
        tx.send(()).unwrap();
        // Held open, silent, until the test ends.
        std::future::pending::<()>().await;
        drop(held);
    });
    let waited = stop_time(&site, async { rx.await.unwrap() }).await;
    assert!(waited < Duration::from_secs(2), "waited {waited:?} for a fetch that never ends");
}
