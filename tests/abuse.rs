//! The server under abuse, in process on 127.0.0.1:0: oversized request heads are refused
//! with 431 and the server goes on answering; a burst of 10,000 connections is answered in
//! full. (Slow-loris clients and the connection limit are in `serve_lifecycle.rs`.)

mod common;

use std::time::Duration;

use common::server::{Server, raw, raw_get};
use common::{SLUG, Site};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread")]
async fn oversized_heads_are_refused_and_service_goes_on() {
    let site = Site::new();
    let server = Server::start(&site, |_| {}).await;
    let feed = format!("/{SLUG}/rss.xml");
    let big_header =
        format!("GET {feed} HTTP/1.1\r\nHost: t\r\nX-Pad: {}\r\nConnection: close\r\n\r\n", "a".repeat(20_000));
    let long_url = format!("GET {feed}?{} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", "q".repeat(20_000));
    let many: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many_headers = format!("GET {feed} HTTP/1.1\r\nHost: t\r\n{many}Connection: close\r\n\r\n");
    for (what, request) in [("a 20 KB header", big_header), ("a 20 KB URL", long_url), ("100 headers", many_headers)] {
        let answer = raw(server.addr, &request).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{what}: {}", answer.lines().next().unwrap_or("(nothing)"));
    }
    // A head just under the limit is fine.
    let fine = format!("GET {feed} HTTP/1.1\r\nHost: t\r\nX-Pad: {}\r\nConnection: close\r\n\r\n", "a".repeat(8_000));
    assert!(raw(server.addr, &fine).await.starts_with("HTTP/1.1 200"));
    assert!(raw_get(server.addr, &feed).await.starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_10000_connections_is_answered() {
    const BURST: usize = 10_000;
    // Each connection is a socket on both sides of loopback.
    let (soft, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    let want = (2 * BURST as u64 + 1_000).min(hard);
    if soft < want {
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, want, hard).unwrap();
    }
    assert!(want >= 2 * BURST as u64, "the hard limit on open files ({hard}) is too low for this test");
    let site = Site::new();
    // Every connection is the same client re-fetching: the guard is off for this test.
    let server = Server::start(&site, |c| c.min_refetch = Duration::ZERO).await;
    let addr = server.addr;
    let request = format!("GET /{SLUG}/rss.xml HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..BURST)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let attempt = async {
                    let mut s = TcpStream::connect(addr).await?;
                    s.write_all(request.as_bytes()).await?;
                    let mut out = Vec::new();
                    s.read_to_end(&mut out).await?;
                    Ok::<_, std::io::Error>(out.starts_with(b"HTTP/1.1 200"))
                };
                tokio::time::timeout(Duration::from_secs(120), attempt).await
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, std::collections::BTreeMap::<String, usize>::new());
    for t in tasks {
        match t.await.unwrap() {
            Ok(Ok(true)) => ok += 1,
            Ok(Ok(false)) => *failed.entry("not 200".into()).or_default() += 1,
            Ok(Err(e)) => *failed.entry(e.kind().to_string()).or_default() += 1,
            Err(_) => *failed.entry("no answer in 120 s".into()).or_default() += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{ok} of {BURST} connections answered 200 in {secs:.1} s; failures: {failed:?}");
    assert_eq!(ok, BURST);
    assert!(raw_get(addr, &format!("/{SLUG}/rss.xml")).await.starts_with("HTTP/1.1 200"));
    server.stop().await;
}
