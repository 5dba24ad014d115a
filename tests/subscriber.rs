//! The WebSub subscriber for upstream sources, against the real binary: an upstream on
//! loopback advertises a hub (also on loopback, played by the test), `serve` subscribes there,
//! and the test, as the hub, verifies and pushes. Each test is one conformance criterion of the
//! W3C WebSub Recommendation for subscribers, named in its doc comment by section.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::child::Child;
use common::server::{client, wait_for};
use common::{SLUG, Site};
use hmac::{KeyInit, Mac};

/// The shipped config's base URL: callbacks are made under it, and the test (as the hub)
/// calls the server at the same path.
const BASE: &str = "http://localhost:8080/";

/// A subscription request the hub received: its form, in order.
type Form = Vec<(String, String)>;

/// The upstream and its hub, on one loopback server.
#[derive(Clone, Default)]
struct Upstream {
    addr: String,
    /// Items of the upstream feed (guid, title), newest last.
    items: Arc<Mutex<Vec<(String, String)>>>,
    /// Whether the feed advertises its hub (in `Link` headers).
    advertise: Arc<AtomicBool>,
    /// How the hub answers requests (202 unless told otherwise).
    refuse: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Form>>>,
}

fn rss(items: &[(String, String)], extra: &str) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title)| {
            format!(
                "<item><guid>{guid}</guid><title>{title}</title><description>{title}: نص الخبر</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\
         <title>وكالة</title><link>https://wire.example/</link><description>d</description>{extra}{items}</channel></rss>"
    )
}

async fn feed(State(u): State<Upstream>) -> Response {
    let body = rss(&u.items.lock().unwrap(), "");
    let mut r = ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], body).into_response();
    if u.advertise.load(Ordering::SeqCst) {
        let link = format!("<http://{0}/hub>; rel=\"hub\", <http://{0}/topic.xml>; rel=\"self\"", u.addr);
        r.headers_mut().insert(header::LINK, link.parse().unwrap());
    }
    r
}

/// An upstream that names its hub only in the document (`atom:link rel="hub"`), and no self.
async fn in_document(State(u): State<Upstream>) -> Response {
    let extra = format!("<atom:link rel=\"hub\" href=\"http://{}/hub\"/>", u.addr);
    ([(header::CONTENT_TYPE, "application/rss+xml")], rss(&[], &extra)).into_response()
}

/// A JSON Feed that names its hub in `hubs`.
async fn json(State(u): State<Upstream>) -> Response {
    let body = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON wire",
        "feed_url": format!("http://{}/feed.json", u.addr),
        "hubs": [{"type": "WebSub", "url": format!("http://{}/hub", u.addr)}],
        "items": [],
    });
    ([(header::CONTENT_TYPE, "application/feed+json")], body.to_string()).into_response()
}

async fn hub(State(u): State<Upstream>, body: String) -> StatusCode {
    let form: Form = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    u.requests.lock().unwrap().push(form);
    if u.refuse.load(Ordering::SeqCst) { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::ACCEPTED }
}

impl Upstream {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let u = Upstream { addr: listener.local_addr().unwrap().to_string(), ..Default::default() };
        u.advertise.store(true, Ordering::SeqCst);
        u.items.lock().unwrap().push(("w1".into(), "الخبر الأول".into()));
        let app = Router::new()
            .route("/feed.xml", get(feed))
            .route("/document.xml", get(in_document))
            .route("/feed.json", get(json))
            .route("/hub", post(hub))
            .with_state(u.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        u
    }

    fn requests(&self) -> Vec<Form> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits for the `n`th request to the hub (1-based) and returns it.
    async fn request(&self, n: usize) -> Form {
        wait_for(&format!("request {n} to the hub"), async || self.requests().len() >= n).await;
        self.requests().remove(n - 1)
    }
}

fn param<'a>(form: &'a Form, key: &str) -> &'a str {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("{key} in {form:?}"))
}

/// `serve` for a site whose feed has `sources` (paths on `upstream`), polling every second,
/// loopback allowed (so the guard lets the hub and the upstream through, and `base_url`
/// counts as reachable).
async fn serve(upstream: &Upstream, sources: &[&str]) -> (Child, Site) {
    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    let sources: String = sources
        .iter()
        .map(|p| {
            format!(
                "\n[[source]]\nurl = \"http://{}{p}\"\nmin_interval_minutes = 1\nmax_interval_minutes = 600\n",
                upstream.addr
            )
        })
        .collect();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}{sources}")).unwrap();
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), config.replace("tick_seconds = 60", "tick_seconds = 1")).unwrap();
    tokio::task::spawn_blocking(move || {
        let child = Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]);
        (child, site)
    })
    .await
    .unwrap()
}

/// The server's URL for `callback` (made under `BASE`), with `query`.
fn at_server(server: &Child, callback: &str, query: &[(&str, &str)]) -> String {
    let path = callback.strip_prefix(BASE).unwrap_or_else(|| panic!("{callback} is under {BASE}"));
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    server.url(&format!("/{path}?{query}"))
}

/// The hub's verification of intent: GET to the callback; status and body.
async fn verify(server: &Child, callback: &str, query: &[(&str, &str)]) -> (u16, String) {
    let answer = client().get(at_server(server, callback, query)).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// Confirms the subscription `request` asked for, with `lease` seconds.
async fn confirm(server: &Child, request: &Form, lease: &str) {
    let (callback, topic) = (param(request, "hub.callback"), param(request, "hub.topic"));
    let query =
        [("hub.mode", "subscribe"), ("hub.topic", topic), ("hub.challenge", "ch-1"), ("hub.lease_seconds", lease)];
    assert_eq!(verify(server, callback, &query).await, (200, "ch-1".to_owned()));
}

/// POSTs `body` to `callback`, with `signature` if any; the status.
async fn push(server: &Child, callback: &str, body: &str, signature: Option<String>) -> u16 {
    let mut request = client().post(at_server(server, callback, &[])).header("content-type", "application/rss+xml");
    if let Some(s) = signature {
        request = request.header("x-hub-signature", s);
    }
    request.body(body.to_owned()).send().await.unwrap().status().as_u16()
}

fn sign<M: Mac + KeyInit>(method: &str, secret: &str, body: &str) -> String {
    let mut mac = <M as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("{method}={hex}")
}

async fn served(server: &Child) -> String {
    let rss = server.url(&format!("/{SLUG}/rss.xml"));
    // A conditional request: an unconditional re-fetch within a minute is refused (429).
    client().get(rss).header("if-none-match", "\"x\"").send().await.unwrap().text().await.unwrap()
}

async fn metric(server: &Child, line: &str) -> u64 {
    let text = client().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().find(|l| l.starts_with(line)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0)
}

/// The source's next poll and the subscription's renewal time, as stored.
fn stored_times(site: &Site) -> (chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>) {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let next: String = db.query_row("SELECT next_poll FROM sources", [], |r| r.get(0)).unwrap();
    let renew: Option<String> = db.query_row("SELECT renew_at FROM websub_upstream", [], |r| r.get(0)).unwrap();
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
    (parse(&next), renew.as_deref().map(parse))
}

/// Makes the source due now.
fn due_now(site: &Site) {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute("UPDATE sources SET next_poll = '2000-01-01T00:00:00Z'", []).unwrap();
}

/// Makes the source due now, its renewal too, and every wait for a hub over (as a day passing
/// would).
fn time_passes(site: &Site) {
    let db = rusqlite::Connection::open(site.db()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute("UPDATE websub_upstream SET requested_at = '2000-01-01T00:00:00Z'", []).unwrap();
    db.execute("UPDATE websub_upstream SET renew_at = '2000-01-01T00:00:00Z' WHERE renew_at IS NOT NULL", []).unwrap();
    due_now(site);
}

/// Sources the subscriber has looked at after polls (and acted on), in all.
async fn reviews(server: &Child) -> u64 {
    metric(server, "feedpub_websub_upstream_reviews_total").await
}

/// Makes the source due and waits until the subscriber has looked at it after the poll: what
/// it was going to ask of the hub, it has asked. First, every earlier poll is looked at (each
/// poll of the one source is one review), so a late review cannot pass for this one.
async fn poll_and_review(server: &Child, site: &Site) {
    let polls = || server.logs.lock().unwrap().iter().filter(|l| l.contains(r#""message":"polled""#)).count() as u64;
    wait_for("earlier polls to be reviewed", async || reviews(server).await == polls()).await;
    let n = reviews(server).await;
    due_now(site);
    wait_for("the subscriber to review the poll", async || reviews(server).await > n).await;
}

/// 4 (discovery) and 5.1 (subscriber sends a subscription request): a hub named in the `Link`
/// headers is used with the headers' self as topic; one named only in the document (RSS
/// `atom:link`, JSON Feed `hubs`) with the document's self, else the URL fetched. Each request
/// has mode, topic, a callback under `base_url`, and a secret of its own.
#[tokio::test(flavor = "multi_thread")]
async fn the_hub_is_discovered_and_asked_with_a_secret() {
    let upstream = Upstream::start().await;
    let (_server, _site) = serve(&upstream, &["/feed.xml", "/document.xml", "/feed.json"]).await;
    upstream.request(3).await;
    let mut requests = upstream.requests();
    requests.sort_by(|a, b| param(a, "hub.topic").cmp(param(b, "hub.topic")));
    let topics: Vec<&str> = requests.iter().map(|r| param(r, "hub.topic")).collect();
    let at = |p: &str| format!("http://{}{p}", upstream.addr);
    assert_eq!(topics, [at("/document.xml"), at("/feed.json"), at("/topic.xml")]);
    let mut seen = std::collections::HashSet::new();
    for r in &requests {
        assert_eq!(param(r, "hub.mode"), "subscribe");
        assert!(param(r, "hub.callback").starts_with(&format!("{BASE}websub/callback/")), "{r:?}");
        let secret = param(r, "hub.secret");
        assert!(secret.len() >= 32 && secret.len() < 200, "{secret}");
        assert!(seen.insert(param(r, "hub.callback").to_owned()) && seen.insert(secret.to_owned()));
    }
}

/// 5.3 (subscriber verifies intent): the challenge is echoed, as the whole body, only for a
/// subscription feedpub asked for, of that topic; anything else is refused (404), and a
/// request that is not a verification is a 400 naming what is wrong.
#[tokio::test(flavor = "multi_thread")]
async fn only_requested_subscriptions_are_confirmed() {
    let upstream = Upstream::start().await;
    let (server, _site) = serve(&upstream, &["/feed.xml"]).await;
    let request = upstream.request(1).await;
    let (callback, topic) = (param(&request, "hub.callback"), param(&request, "hub.topic"));
    let wrong_topic = [("hub.mode", "subscribe"), ("hub.topic", "http://else.example/"), ("hub.challenge", "c")];
    assert_eq!(verify(&server, callback, &wrong_topic).await.0, 404);
    let unknown = format!("{BASE}websub/callback/{}", "0".repeat(64));
    let query = [("hub.mode", "subscribe"), ("hub.topic", topic), ("hub.challenge", "c")];
    assert_eq!(verify(&server, &unknown, &query).await.0, 404);
    // Not being ended, so an unsubscription is not confirmed.
    let unsubscribe = [("hub.mode", "unsubscribe"), ("hub.topic", topic), ("hub.challenge", "c")];
    assert_eq!(verify(&server, callback, &unsubscribe).await.0, 404);
    let (status, text) = verify(&server, callback, &[("hub.mode", "subscribe"), ("hub.topic", topic)]).await;
    assert_eq!((status, text.contains("hub.challenge")), (400, true), "{text}");
    confirm(&server, &request, "864000").await;
    assert_eq!(
        metric(&server, r#"feedpub_websub_upstream_verifications_total{mode="subscribe",result="accepted"}"#).await,
        1
    );
    assert_eq!(
        metric(&server, r#"feedpub_websub_upstream_requests_total{mode="subscribe",result="accepted"}"#).await,
        1
    );
}

/// 7 and 8 (content distribution, authenticated): a push signed with the secret (sha256 or
/// sha1) is stored through the same read → sanitise → store path as a poll, and served; an
/// unsigned or mis-signed push is refused (403) and stores nothing; a push to a callback that
/// is not a subscription is answered 410.
#[tokio::test(flavor = "multi_thread")]
async fn signed_pushes_are_stored_and_forged_ones_rejected() {
    let upstream = Upstream::start().await;
    let (server, _site) = serve(&upstream, &["/feed.xml"]).await;
    let request = upstream.request(1).await;
    confirm(&server, &request, "864000").await;
    let (callback, secret) = (param(&request, "hub.callback"), param(&request, "hub.secret"));
    wait_for("the polled item", async || served(&server).await.contains("الخبر الأول")).await;

    let items = |titles: &[&str]| -> Vec<(String, String)> {
        titles.iter().map(|t| (format!("g-{t}"), (*t).to_owned())).collect()
    };
    let forged = rss(&items(&["forged item"]), "");
    let status =
        push(&server, callback, &forged, Some(sign::<hmac::Hmac<sha2::Sha256>>("sha256", "guess", &forged))).await;
    assert_eq!(status, 403);
    assert_eq!(push(&server, callback, &forged, None).await, 403, "unsigned");
    let unknown = format!("{BASE}websub/callback/{}", "f".repeat(64));
    assert_eq!(push(&server, &unknown, &forged, None).await, 410);

    let pushed = rss(&items(&["pushed &lt;b&gt;one&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;"]), "");
    let signature = sign::<hmac::Hmac<sha2::Sha256>>("sha256", secret, &pushed);
    assert_eq!(push(&server, callback, &pushed, Some(signature)).await, 200);
    wait_for("the pushed item", async || served(&server).await.contains("pushed")).await;
    let second = rss(&items(&["pushed second"]), "");
    assert_eq!(
        push(&server, callback, &second, Some(sign::<hmac::Hmac<sha1::Sha1>>("sha1", secret, &second))).await,
        200
    );
    wait_for("the second pushed item", async || served(&server).await.contains("pushed second")).await;
    let feed = served(&server).await;
    assert!(!feed.contains("forged"), "a forged push stored nothing");
    assert!(!feed.contains("alert(1)"), "sanitised as a poll is");
    assert!(feed.contains("<b>one</b>"), "markup sanitising keeps is kept");
    let logs = server.logs.lock().unwrap().join("\n");
    let id = callback.rsplit('/').next().unwrap();
    assert!(!logs.contains(secret) && !logs.contains(id), "neither the secret nor the callback id is logged");
    assert_eq!(metric(&server, r#"feedpub_websub_pushes_total{result="stored"}"#).await, 2);
    assert_eq!(metric(&server, r#"feedpub_websub_pushes_total{result="bad_signature"}"#).await, 1);
    assert_eq!(metric(&server, r#"feedpub_websub_pushes_total{result="unsigned"}"#).await, 1);
    assert_eq!(metric(&server, r#"feedpub_websub_pushes_total{result="unknown_callback"}"#).await, 1);
}

/// 5.3 leases, and the fallback: a subscribed source is polled at its longest interval, but no
/// later than its lease is due for renewal; when that comes, the same callback is asked for
/// again. A hub that refuses is asked again at a later poll, and meanwhile the source is
/// polled as before.
#[tokio::test(flavor = "multi_thread")]
async fn leases_are_renewed_and_polling_falls_back_to_the_longest_interval() {
    let upstream = Upstream::start().await;
    let (server, site) = serve(&upstream, &["/feed.xml"]).await;
    let request = upstream.request(1).await;
    let before = chrono::Utc::now();
    confirm(&server, &request, "3600").await;
    // Renewal at four fifths of the hour; the poll then, not at the 600-minute longest interval.
    let (next, renew) = stored_times(&site);
    let renew = renew.expect("active");
    let expected = before + chrono::Duration::seconds(2880);
    assert!((renew - expected).num_seconds().abs() < 30, "renew at {renew}, expected about {expected}");
    assert!((next - renew).num_seconds().abs() < 5, "next poll {next} at the renewal {renew}");
    // A push is stored; it puts the next poll off, but not past the renewal.
    let (callback, secret) = (param(&request, "hub.callback"), param(&request, "hub.secret"));
    let pushed = rss(&[("p1".into(), "pushed while subscribed".into())], "");
    let signature = sign::<hmac::Hmac<sha2::Sha256>>("sha256", secret, &pushed);
    assert_eq!(push(&server, callback, &pushed, Some(signature)).await, 200);
    wait_for("the pushed item", async || served(&server).await.contains("pushed while subscribed")).await;
    let (next, _) = stored_times(&site);
    assert!((next - renew).num_seconds().abs() < 5, "after a push, next poll {next} at the renewal {renew}");

    // A poll before the renewal is due renews nothing.
    let requests = upstream.requests().len();
    poll_and_review(&server, &site).await;
    let (next, _) = stored_times(&site);
    assert!((next - renew).num_seconds().abs() < 5, "put off to the renewal again: {next}");
    assert_eq!(upstream.requests().len(), requests, "not due for renewal");

    // Time passes: the source is polled, and the subscription renewed at the same callback.
    time_passes(&site);
    let renewal = upstream.request(2).await;
    assert_eq!(param(&renewal, "hub.mode"), "subscribe");
    assert_eq!(param(&renewal, "hub.callback"), param(&request, "hub.callback"));
    assert_eq!(param(&renewal, "hub.secret"), param(&request, "hub.secret"));
    confirm(&server, &renewal, "864000").await;
    // With a ten-day lease, the longest interval (600 minutes) is the sooner.
    let (next, renew) = stored_times(&site);
    let off = next - chrono::Utc::now();
    assert!(off > chrono::Duration::minutes(590) && off <= chrono::Duration::minutes(600), "next poll {next}");
    assert!(renew.unwrap() - chrono::Utc::now() > chrono::Duration::days(7));
}

/// 5.1 unsubscription and 5.2 denial: a source that stops advertising its hub is unsubscribed
/// (confirmed only then), after which pushes to its callback are answered 410; a subscription
/// the hub denies is forgotten too. A hub that refuses a request is asked again later.
#[tokio::test(flavor = "multi_thread")]
async fn a_source_without_its_hub_is_unsubscribed_and_a_denial_ends_it() {
    let upstream = Upstream::start().await;
    let (server, site) = serve(&upstream, &["/feed.xml"]).await;
    let request = upstream.request(1).await;
    confirm(&server, &request, "864000").await;
    let callback = param(&request, "hub.callback");
    upstream.advertise.store(false, Ordering::SeqCst);
    time_passes(&site);
    let ending = upstream.request(2).await;
    assert_eq!((param(&ending, "hub.mode"), param(&ending, "hub.callback")), ("unsubscribe", callback));
    let topic = param(&request, "hub.topic");
    let query = [("hub.mode", "unsubscribe"), ("hub.topic", topic), ("hub.challenge", "bye")];
    assert_eq!(verify(&server, callback, &query).await, (200, "bye".to_owned()));
    let body = rss(&[], "");
    let secret = param(&request, "hub.secret");
    assert_eq!(
        push(&server, callback, &body, Some(sign::<hmac::Hmac<sha2::Sha256>>("sha256", secret, &body))).await,
        410
    );

    // The hub comes back, refusing at first: asked again at a later poll, once the wait for
    // it has passed, not before.
    upstream.advertise.store(true, Ordering::SeqCst);
    upstream.refuse.store(true, Ordering::SeqCst);
    due_now(&site);
    let again = upstream.request(3).await;
    let new_callback = param(&again, "hub.callback").to_owned();
    assert_ne!(new_callback, callback, "a new subscription, a new callback");
    let refused = r#"feedpub_websub_upstream_requests_total{mode="subscribe",result="refused"}"#;
    wait_for("the refusal to be counted", async || metric(&server, refused).await == 1).await;
    poll_and_review(&server, &site).await;
    assert_eq!(upstream.requests().len(), 3, "not asked again before the wait was over");
    upstream.refuse.store(false, Ordering::SeqCst);
    time_passes(&site);
    let asked = upstream.request(4).await;
    assert_eq!(param(&asked, "hub.callback"), new_callback, "the same subscription, asked again");
    assert_eq!(upstream.requests().len(), 4);

    // Denied: not taken (410), and not asked for again at the next poll.
    let denied = [("hub.mode", "denied"), ("hub.topic", param(&asked, "hub.topic")), ("hub.reason", "not today")];
    assert_eq!(verify(&server, &new_callback, &denied).await.0, 200);
    assert_eq!(push(&server, &new_callback, &body, None).await, 410);
    poll_and_review(&server, &site).await;
    let subscribe = [("hub.mode", "subscribe"), ("hub.topic", param(&asked, "hub.topic")), ("hub.challenge", "c")];
    assert_eq!(verify(&server, &new_callback, &subscribe).await.0, 404, "a denied subscription is not pending");
    assert_eq!(upstream.requests().len(), 4, "a hub that denied is left alone");
}

/// A source removed from `feed.toml`: a push for it is answered 410 (which ends it at the
/// hub) and its subscription is forgotten.
#[tokio::test(flavor = "multi_thread")]
async fn a_source_removed_from_its_feed_is_forgotten() {
    let upstream = Upstream::start().await;
    let (server, site) = serve(&upstream, &["/feed.xml"]).await;
    let request = upstream.request(1).await;
    confirm(&server, &request, "864000").await;
    let feed_toml = site.feed_dir().join("feed.toml");
    let def = std::fs::read_to_string(&feed_toml).unwrap();
    std::fs::write(&feed_toml, &def[..def.find("\n[[source]]").unwrap()]).unwrap();
    let (callback, secret) = (param(&request, "hub.callback"), param(&request, "hub.secret"));
    let body = rss(&[("late".into(), "pushed after removal".into())], "");
    let signature = sign::<hmac::Hmac<sha2::Sha256>>("sha256", secret, &body);
    // The watcher re-reads feed.toml; until then the push is still stored (200).
    wait_for("the removal to be seen", async || push(&server, callback, &body, Some(signature.clone())).await == 410)
        .await;
    let db = rusqlite::Connection::open(site.db()).unwrap();
    let rows: i64 = db.query_row("SELECT COUNT(*) FROM websub_upstream", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 0, "forgotten");
}

/// Without a `base_url` a hub could call back (the shipped `localhost`, with the SSRF guard
/// on), nothing is subscribed and the callback route is an ordinary path.
#[tokio::test(flavor = "multi_thread")]
async fn no_subscription_when_base_url_is_not_reachable() {
    let site = Site::new();
    let child = tokio::task::spawn_blocking(move || (Child::start(&site, &[]), site)).await.unwrap().0;
    let logs = child.logs.lock().unwrap().join("\n");
    assert!(logs.contains("WebSub hubs are not subscribed"), "{logs}");
    let answer = client().get(child.url("/websub/callback/abc?hub.mode=subscribe")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 404);
}
