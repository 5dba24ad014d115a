//! Fetching upstream feeds from servers on loopback: validators and 304, redirects (permanent
//! moves reported, temporary ones not, loops and chains stopped), 410, Retry-After, timeouts
//! (one deadline for the whole fetch, however many hops), the body cap against endless bodies and gzip bombs, and the SSRF guard refusing loopback
//! without a single connection reaching the server.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use feedpub::source::upstream::{FetchError, FetchOptions, Fetched, Fetcher, Validators};
use url::Url;

const FEED: &str = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";

async fn feed(headers: HeaderMap) -> Response {
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let h = [
        (header::ETAG, "\"v1\""),
        (header::LAST_MODIFIED, "Thu, 16 Nov 2023 00:00:00 GMT"),
        (header::CONTENT_TYPE, "application/rss+xml; charset=windows-1256"),
        (header::CACHE_CONTROL, "max-age=1800"),
    ];
    (h, FEED).into_response()
}

fn redirect(status: StatusCode, to: &'static str) -> Response {
    (status, [(header::LOCATION, to)]).into_response()
}

/// How long each hop of the sluggish routes takes: 0.6 of [`DEADLINE`].
const HOP: Duration = Duration::from_millis(600);
/// The fetch timeout the sluggish routes are tried with.
const DEADLINE: Duration = Duration::from_secs(1);

fn bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..20 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

async fn upstream() -> SocketAddr {
    let bomb = Arc::new(bomb());
    let app = Router::new()
        .route("/feed", get(feed))
        .route("/moved", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/feed") }))
        .route("/moved308", get(|| async { redirect(StatusCode::PERMANENT_REDIRECT, "feed") }))
        .route("/temp", get(|| async { redirect(StatusCode::FOUND, "/feed") }))
        .route("/perm-then-temp", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/temp") }))
        .route("/loop-a", get(|| async { redirect(StatusCode::FOUND, "/loop-b") }))
        .route("/loop-b", get(|| async { redirect(StatusCode::FOUND, "/loop-a") }))
        .route(
            "/chain/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u32>| async move {
                (StatusCode::FOUND, [(header::LOCATION, format!("/chain/{}", n + 1))]).into_response()
            }),
        )
        .route("/gone", get(|| async { StatusCode::GONE }))
        .route("/limited", get(|| async { (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "120")]) }))
        .route(
            "/unavailable",
            get(|| async {
                let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
                (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, at)]).into_response()
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                FEED
            }),
        )
        // Each hop answers in 0.6 s, well inside a 1 s timeout, but five of them take 3 s.
        .route(
            "/sluggish/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u32>| async move {
                tokio::time::sleep(HOP).await;
                let next = if n < 4 { format!("/sluggish/{}", n + 1) } else { "/feed".into() };
                (StatusCode::FOUND, [(header::LOCATION, next)]).into_response()
            }),
        )
        .route(
            "/sluggish-then-drip",
            get(|| async {
                tokio::time::sleep(HOP).await;
                redirect(StatusCode::FOUND, "/drip")
            }),
        )
        // Headers at once, then 0.8 s of body: inside 1 s on its own, not after a 0.6 s hop.
        .route(
            "/drip",
            get(|| async {
                let chunks = futures_util::stream::unfold(0, |i| async move {
                    (i < 8).then_some(())?;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, std::io::Error>(vec![b' '; 16]), i + 1))
                });
                Body::from_stream(chunks)
            }),
        )
        .route(
            "/endless",
            get(|| async {
                let chunks = futures_util::stream::repeat_with(|| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024]));
                Body::from_stream(chunks)
            }),
        )
        .route(
            "/bomb",
            get(move || {
                let bomb = bomb.clone();
                async move { ([(header::CONTENT_ENCODING, "gzip")], bomb.as_ref().clone()).into_response() }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn fetcher(tweak: impl FnOnce(&mut FetchOptions)) -> Fetcher {
    let mut options = FetchOptions::new(&Url::parse("https://publisher.example/").unwrap());
    // The test servers are on loopback: lift the guard, as the config key would.
    options.allow_private_networks = true;
    tweak(&mut options);
    Fetcher::new(options).unwrap()
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test]
async fn validators_round_trip_to_304() {
    let addr = upstream().await;
    let f = fetcher(|_| {});
    let Fetched::Document { bytes, charset, validators, freshness, moved_to, .. } =
        f.fetch(&url(addr, "/feed"), &Validators::default()).await.unwrap()
    else {
        panic!("expected a document")
    };
    assert_eq!(bytes, FEED.as_bytes());
    assert_eq!(charset.as_deref(), Some("windows-1256"));
    assert_eq!(validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(validators.last_modified.as_deref(), Some("Thu, 16 Nov 2023 00:00:00 GMT"));
    assert_eq!(freshness.max_age, Some(Duration::from_secs(1800)));
    assert_eq!(moved_to, None);
    let again = f.fetch(&url(addr, "/feed"), &validators).await.unwrap();
    assert!(matches!(again, Fetched::NotModified { moved_to: None, .. }), "{again:?}");
}

#[tokio::test]
async fn permanent_moves_are_reported_temporary_ones_not() {
    let addr = upstream().await;
    let f = fetcher(|_| {});
    let none = Validators::default();
    let moved = |r: Fetched| match r {
        Fetched::Document { moved_to, url, .. } => (moved_to.map(|u| u.path().to_owned()), url.path().to_owned()),
        other => panic!("{other:?}"),
    };
    assert_eq!(moved(f.fetch(&url(addr, "/moved"), &none).await.unwrap()), (Some("/feed".into()), "/feed".into()));
    assert_eq!(moved(f.fetch(&url(addr, "/moved308"), &none).await.unwrap()), (Some("/feed".into()), "/feed".into()));
    assert_eq!(moved(f.fetch(&url(addr, "/temp"), &none).await.unwrap()), (None, "/feed".into()));
    // 301 then 302: the source moved to the 302's URL, not to where that points today.
    assert_eq!(
        moved(f.fetch(&url(addr, "/perm-then-temp"), &none).await.unwrap()),
        (Some("/temp".into()), "/feed".into())
    );
    let e = f.fetch(&url(addr, "/loop-a"), &none).await.unwrap_err();
    assert!(e.to_string().contains("redirect loop"), "{e}");
    let e = f.fetch(&url(addr, "/chain/0"), &none).await.unwrap_err();
    assert!(e.to_string().contains("more than 5 redirects") && e.to_string().contains("/chain/5"), "{e}");
}

#[tokio::test]
async fn gone_and_retry_after() {
    let addr = upstream().await;
    let f = fetcher(|_| {});
    let none = Validators::default();
    assert_eq!(f.fetch(&url(addr, "/gone"), &none).await.unwrap(), Fetched::Gone);
    match f.fetch(&url(addr, "/limited"), &none).await.unwrap_err() {
        FetchError::Status { status: 429, retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(120))),
        e => panic!("{e}"),
    }
    match f.fetch(&url(addr, "/unavailable"), &none).await.unwrap_err() {
        FetchError::Status { status: 503, retry_after: Some(wait), .. } => {
            assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600), "{wait:?}")
        }
        e => panic!("{e}"),
    }
}

#[tokio::test]
async fn slow_servers_time_out_and_bodies_are_capped_after_decompression() {
    let addr = upstream().await;
    let f = fetcher(|o| {
        o.timeout = Duration::from_millis(500);
        o.body_cap = 1 << 20;
    });
    let none = Validators::default();
    let e = f.fetch(&url(addr, "/slow"), &none).await.unwrap_err();
    assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
    let f = fetcher(|o| o.body_cap = 1 << 20);
    for path in ["/endless", "/bomb"] {
        let e = f.fetch(&url(addr, path), &none).await.unwrap_err();
        assert!(matches!(e, FetchError::TooLarge { cap: 1048576, .. }), "{path}: {e}");
        assert!(e.to_string().contains(path), "names the URL: {e}");
    }
}

#[tokio::test]
async fn one_deadline_bounds_the_whole_fetch_redirects_and_body_included() {
    let addr = upstream().await;
    let none = Validators::default();
    // With time to spare, both routes end in a document: what cuts them short below is the clock.
    let patient = fetcher(|o| o.timeout = Duration::from_secs(10));
    for path in ["/sluggish/0", "/sluggish-then-drip"] {
        let r = patient.fetch(&url(addr, path), &none).await;
        assert!(matches!(r, Ok(Fetched::Document { .. })), "{path}: {r:?}");
    }
    let f = fetcher(|o| o.timeout = DEADLINE);
    for (path, cut_at) in [("/sluggish/0", "/sluggish/1"), ("/sluggish-then-drip", "/drip")] {
        let start = Instant::now();
        let e = f.fetch(&url(addr, path), &none).await.unwrap_err();
        let took = start.elapsed();
        assert!(matches!(e, FetchError::Timeout { .. }) && e.to_string().contains("timed out"), "{path}: {e}");
        // The hop in flight when the deadline passed.
        assert!(e.to_string().contains(cut_at), "{path}: names the URL: {e}");
        assert!(took >= DEADLINE && took < 2 * DEADLINE, "{path}: took {took:?} for a timeout of {DEADLINE:?}");
    }
}

#[tokio::test]
async fn the_guard_refuses_loopback_before_connecting() {
    // A server that only counts connections.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let f = fetcher(|o| o.allow_private_networks = false);
    for target in [
        format!("http://127.0.0.1:{port}/feed"),
        format!("http://localhost:{port}/feed"),
        format!("http://[::ffff:127.0.0.1]:{port}/feed"),
        format!("http://2130706433:{port}/feed"),
        format!("http://0x7f.1:{port}/feed"),
        "file:///etc/passwd".to_string(),
    ] {
        let e = f.fetch(&Url::parse(&target).unwrap(), &Validators::default()).await.unwrap_err();
        assert!(matches!(e, FetchError::Refused { .. }), "{target}: {e}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection reached the server");
    // The same server is reachable once the guard is lifted: the refusals above were the guard.
    let f = fetcher(|_| {});
    let _ = f.fetch(&Url::parse(&format!("http://127.0.0.1:{port}/feed")).unwrap(), &Validators::default()).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
