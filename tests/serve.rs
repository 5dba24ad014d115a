//! The HTTP service, started on 127.0.0.1:0 and spoken to over HTTP: headers, validators,
//! encodings, traversal, the 429 guard, metrics and the reader report.

mod common;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::time::Duration;

use common::server::{Server, client, raw_get};
use common::{SLUG, Site};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

fn rss() -> String {
    format!("/{SLUG}/rss.xml")
}

fn get(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(&name).unwrap_or_else(|| panic!("no {name} in {h:?}")).to_str().unwrap()
}

/// A server without the refetch guard (tests of the guard turn it on).
async fn start(site: &Site) -> Server {
    Server::start(site, |s| s.min_refetch = Duration::ZERO).await
}

#[tokio::test]
async fn serves_the_bytes_build_writes_with_full_headers() {
    let site = Site::new();
    site.build();
    let server = start(&site).await;
    let manifest = site.read(".feedpub-manifest");
    let mut checked = 0;
    for rel in manifest.lines().filter(|p| !p.ends_with(".gz") && !p.ends_with(".br")) {
        let path = format!("/{rel}");
        let r = client().get(server.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        let expected_type = match rel.rsplit('.').next().unwrap() {
            "xml" if rel.ends_with("rss.xml") => "application/rss+xml; charset=utf-8",
            "xml" => "application/atom+xml; charset=utf-8",
            "json" => "application/feed+json; charset=utf-8",
            _ => "text/html; charset=utf-8",
        };
        assert_eq!(get(&h, header::CONTENT_TYPE), expected_type, "{path}");
        assert_eq!(get(&h, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(get(&h, header::ETAG).starts_with('"'), "strong ETag: {h:?}");
        assert_eq!(get(&h, header::LAST_MODIFIED), "Thu, 16 Nov 2023 00:00:00 GMT", "{path}");
        assert_eq!(get(&h, header::CACHE_CONTROL), "public, max-age=21600", "{path}");
        assert_eq!(get(&h, header::VARY), "accept-encoding");
        let body = r.bytes().await.unwrap();
        assert_eq!(&body[..], std::fs::read(site.out().join(rel)).unwrap(), "{path}: same bytes as build");
        checked += 1;
    }
    assert_eq!(checked, 6, "index, three feeds, feed page and article page: {manifest}");
    // max-age agrees with the feed's own <ttl> (360 minutes for a single item).
    assert!(site.read(&format!("{SLUG}/rss.xml")).contains("<ttl>360</ttl>"));
    // `/<slug>/` and `/<slug>/index.html` are the same page; `/<slug>` redirects there.
    let dir = client().get(server.url(&format!("/{SLUG}/"))).send().await.unwrap();
    let file = client().get(server.url(&format!("/{SLUG}/index.html"))).send().await.unwrap();
    assert_eq!(dir.headers()[header::ETAG], file.headers()[header::ETAG]);
    let bare = client().get(server.url(&format!("/{SLUG}"))).send().await.unwrap();
    assert_eq!(
        (bare.status(), get(bare.headers(), header::LOCATION)),
        (StatusCode::PERMANENT_REDIRECT, "/russia-islamic-world/")
    );
    server.stop().await;
}

#[tokio::test]
async fn conditional_requests() {
    let site = Site::new();
    let server = start(&site).await;
    let url = server.url(&rss());
    let first = client().get(&url).send().await.unwrap();
    let etag = get(first.headers(), header::ETAG).to_owned();
    let status = |headers: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move {
            let mut req = client().get(&url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.headers().get(header::ETAG).cloned(), r.bytes().await.unwrap().len())
        }
    };
    let inm = |v: String| vec![("if-none-match", v)];
    // Strong, weak, in a list, and `*`: all 304 with the validator and no body.
    let (code, tag, len) = status(inm(etag.clone())).await;
    assert_eq!((code, tag.unwrap().to_str().unwrap(), len), (304, etag.as_str(), 0));
    assert_eq!(status(inm(format!("W/{etag}"))).await.0, 304);
    assert_eq!(status(inm(format!("\"nope\", {etag}"))).await.0, 304);
    assert_eq!(status(inm("*".into())).await.0, 304);
    assert_eq!(status(inm("\"nope\"".into())).await.0, 200);
    // If-Modified-Since: before the newest item → 200; at or after it → 304.
    let ims = |t: &str| vec![("if-modified-since", t.to_owned())];
    assert_eq!(status(ims("Wed, 15 Nov 2023 23:59:59 GMT")).await.0, 200);
    assert_eq!(status(ims("Thu, 16 Nov 2023 00:00:00 GMT")).await.0, 304);
    assert_eq!(status(ims("Fri, 17 Nov 2023 00:00:00 GMT")).await.0, 304);
    assert_eq!(status(ims("not a date")).await.0, 200);
    // If-None-Match wins over If-Modified-Since, even when it is malformed.
    let both = |tag: &str| {
        vec![("if-none-match", tag.to_owned()), ("if-modified-since", "Fri, 17 Nov 2023 00:00:00 GMT".into())]
    };
    assert_eq!(status(both("\"nope\"")).await.0, 200);
    assert_eq!(status(both("garbage without quotes")).await.0, 200);
    assert_eq!(status(both(&etag)).await.0, 304);
    server.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let site = Site::new();
    let server = start(&site).await;
    let getr = client().get(server.url(&rss())).send().await.unwrap();
    let get_headers = getr.headers().clone();
    let get_len = getr.bytes().await.unwrap().len();
    // Raw, to see exactly what goes over the wire.
    let head =
        common::server::raw(server.addr, &format!("HEAD {} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", rss()))
            .await;
    let (head_head, head_body) = head.split_once("\r\n\r\n").unwrap();
    assert!(head_head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head_head.contains(&format!("content-length: {get_len}")), "{head}");
    assert!(head_head.contains(get(&get_headers, header::ETAG)), "{head}");
    assert_eq!(head_body, "", "HEAD sends no body");
    let r = client()
        .head(server.url(&rss()))
        .header("if-none-match", get(&get_headers, header::ETAG))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    server.stop().await;
}

fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap(),
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out).unwrap(),
        other => panic!("{other}"),
    };
    out
}

#[tokio::test]
async fn each_encoding_has_its_own_etag_that_validates() {
    let site = Site::new();
    let server = start(&site).await;
    let url = server.url(&format!("/{SLUG}/atom.xml"));
    let identity = client().get(&url).send().await.unwrap();
    let identity_tag = get(identity.headers(), header::ETAG).to_owned();
    assert!(identity.headers().get(header::CONTENT_ENCODING).is_none());
    let plain = identity.bytes().await.unwrap();
    let mut tags = vec![identity_tag];
    for (accept, coding) in [
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("br;q=1.0, gzip;q=0.9, *;q=0.1", "br"),
    ] {
        let r = client().get(&url).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(get(r.headers(), header::CONTENT_ENCODING), coding, "{accept}");
        assert_eq!(get(r.headers(), header::VARY), "accept-encoding");
        let tag = get(r.headers(), header::ETAG).to_owned();
        let body = r.bytes().await.unwrap();
        assert!(body.len() < plain.len() / 2, "{accept}: compressed");
        assert_eq!(decode(coding, &body), plain, "{accept}");
        // The tag this encoding was sent with validates on the next poll.
        let again =
            client().get(&url).header("accept-encoding", accept).header("if-none-match", &tag).send().await.unwrap();
        assert_eq!((again.status().as_u16(), get(again.headers(), header::ETAG)), (304, tag.as_str()), "{accept}");
        tags.push(tag);
    }
    let distinct: BTreeSet<&String> = tags.iter().collect();
    assert_eq!(distinct.len(), 3, "identity, gzip and br each have their own: {tags:?}");
    for accept in ["identity", "deflate", "gzip;q=0, br;q=0"] {
        let r = client().get(&url).header("accept-encoding", accept).send().await.unwrap();
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none(), "{accept}");
    }
    server.stop().await;
}

#[tokio::test]
async fn traversal_and_unknown_paths_never_leave_the_rendered_set() {
    let site = Site::new();
    std::fs::write(site.root().join("secret.txt"), "SECRET").unwrap();
    let server = start(&site).await;
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        &format!("/{SLUG}/..%2f..%2fsecret.txt"),
        &format!("/{SLUG}/../../secret.txt"),
        "/..\\secret.txt",
        &format!("/{SLUG}/rss.xml%00"),
        "/%c0%ae%c0%ae/secret.txt",
        "/secret.txt",
        "/config/feedpub.toml",
        "/data/feedpub.sqlite3",
        &format!("/{SLUG}/feed.toml"),
        "//etc/passwd",
    ] {
        let r = raw_get(server.addr, path).await;
        let status = &r[9..12];
        assert!(status == "400" || status == "404", "{path}: {r}");
        assert!(!r.contains("SECRET") && !r.contains("base_url"), "{path}: {r}");
    }
    let r = client().post(server.url(&rss())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), get(r.headers(), header::ALLOW)), (405, "GET, HEAD"));
    server.stop().await;
}

#[tokio::test]
async fn the_guard_refuses_fast_unconditional_refetches_but_never_304s() {
    let site = Site::new();
    let server = Server::start(&site, |s| s.min_refetch = Duration::from_secs(600)).await;
    let fetch = |ua: &'static str, extra: Option<(&'static str, String)>| {
        let url = server.url(&rss());
        async move {
            let mut req = client().get(url).header("user-agent", ua);
            if let Some((k, v)) = extra {
                req = req.header(k, v);
            }
            req.send().await.unwrap()
        }
    };
    let first = fetch("poller/1", None).await;
    assert_eq!(first.status(), 200);
    let etag = get(first.headers(), header::ETAG).to_owned();
    // A second full fetch is let through (newsboat needs it); the third is refused.
    assert_eq!(fetch("poller/1", None).await.status(), 200);
    let second = fetch("poller/1", None).await;
    assert_eq!(second.status(), 429);
    let retry: u64 = get(second.headers(), header::RETRY_AFTER).parse().unwrap();
    assert!((599..=600).contains(&retry), "{retry}");
    // Conditional polls are never refused, however fast.
    for _ in 0..5 {
        assert_eq!(fetch("poller/1", Some(("if-none-match", etag.clone()))).await.status(), 304);
    }
    // Another reader, and another feed for the same reader, are separate.
    assert_eq!(fetch("other/2", None).await.status(), 200);
    let atom =
        client().get(server.url(&format!("/{SLUG}/atom.xml"))).header("user-agent", "poller/1").send().await.unwrap();
    assert_eq!(atom.status(), 200);
    // X-Forwarded-For from an untrusted peer does not make a new client.
    assert_eq!(fetch("poller/1", Some(("x-forwarded-for", "198.51.100.7".into()))).await.status(), 429);
    server.stop().await;

    // Behind a trusted proxy, each forwarded address is its own client.
    let server = Server::start(&site, |s| {
        s.min_refetch = Duration::from_secs(600);
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let xff =
        |ip: &str| client().get(server.url(&rss())).header("user-agent", "r").header("x-forwarded-for", ip).send();
    for _ in 0..2 {
        assert_eq!(xff("198.51.100.7").await.unwrap().status(), 200);
        assert_eq!(xff("198.51.100.8").await.unwrap().status(), 200);
    }
    assert_eq!(xff("198.51.100.7").await.unwrap().status(), 429);
    server.stop().await;
}

#[tokio::test]
async fn metrics_and_reader_report_count_what_happened() {
    let site = Site::new();
    let server = start(&site).await;
    let url = server.url(&rss());
    let etag =
        get(client().get(&url).header("user-agent", "NetNewsWire").send().await.unwrap().headers(), header::ETAG)
            .to_owned();
    for _ in 0..3 {
        let r =
            client().get(&url).header("user-agent", "NetNewsWire").header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(r.status(), 304);
    }
    client().get(server.url("/nope")).send().await.unwrap();
    client().get(server.url(&format!("/{SLUG}/"))).header("user-agent", "Firefox").send().await.unwrap();
    let metrics = client().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for line in [
        "feedpub_http_requests_total{route=\"rss\",status=\"200\"} 1",
        "feedpub_http_requests_total{route=\"rss\",status=\"304\"} 3",
        "feedpub_http_requests_total{route=\"not_found\",status=\"404\"} 1",
        "feedpub_http_requests_total{route=\"feed_page\",status=\"200\"} 1",
        "feedpub_http_not_modified_ratio 0.6",
        "feedpub_feeds 1",
        "feedpub_items 1",
        "feedpub_reader_requests_total{user_agent=\"NetNewsWire\"} 4",
        "feedpub_reader_conditional_ratio{user_agent=\"NetNewsWire\"} 0.75",
        "feedpub_reader_not_modified_ratio{user_agent=\"NetNewsWire\"} 0.75",
        "feedpub_reader_poll_interval_median_seconds{user_agent=\"NetNewsWire\"} 0.0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line:?} in\n{metrics}");
    }
    assert!(!metrics.contains("Firefox"), "pages are not feed polls");
    let report: serde_json::Value =
        serde_json::from_str(&client().get(server.url("/readers")).send().await.unwrap().text().await.unwrap())
            .unwrap();
    assert_eq!(report[0]["user_agent"], "NetNewsWire");
    assert_eq!(report[0]["requests"], 4);
    assert_eq!(report.as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn health_and_readiness() {
    let site = Site::new();
    let server = start(&site).await;
    let r = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready: 1 feeds, 1 items\n");
    server.stop().await;

    let config = feedpub::config::Config::load(&site.config()).unwrap();
    let outputs = common::server::render(&config);
    let server = Server::with_outputs(outputs, config, Box::new(|| Err("disk on fire".into()))).await;
    let r = client().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let text = r.text().await.unwrap();
    assert!(text.contains("store unreachable") && !text.contains("fire"), "the cause is logged, not leaked: {text}");
    assert_eq!(client().get(server.url("/healthz")).send().await.unwrap().status(), 200);
    server.stop().await;
}
