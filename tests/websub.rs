//! WebSub with an outside hub (`[websub] hub`), against the real binary and a hub on
//! loopback: every subscription document names the hub (in the document and in `Link`
//! headers), and the hub is told of each feed document that changed, by `build` and `serve`.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use common::child::Child;
use common::server::wait_for;
use common::{SLUG, Site};

/// What the configured base URL makes of a feed's documents.
const BASE: &str = "http://localhost:8080/";

/// A hub on loopback that answers every ping with `status` and keeps its body.
async fn hub_answering(status: StatusCode) -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let app = Router::new().route(
        "/hub",
        post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, bodies)
}

/// A hub on loopback that takes every ping and keeps its body.
async fn hub() -> (String, Arc<Mutex<Vec<String>>>) {
    hub_answering(StatusCode::NO_CONTENT).await
}

/// The site with `hub` configured.
fn site(hub: &str) -> Site {
    let site = Site::new();
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), format!("{config}\n[websub]\nhub = \"{hub}\"\n")).unwrap();
    site
}

/// The pings a feed's three documents make, sorted.
fn pings() -> Vec<String> {
    let mut pings: Vec<String> = ["atom.xml", "feed.json", "rss.xml"]
        .iter()
        .map(|f| {
            let topic = format!("{BASE}{SLUG}/{f}");
            let topic: String = url::form_urlencoded::byte_serialize(topic.as_bytes()).collect();
            format!("hub.mode=publish&hub.url={topic}")
        })
        .collect();
    pings.sort();
    pings
}

fn sorted(bodies: &Mutex<Vec<String>>) -> Vec<String> {
    let mut bodies = bodies.lock().unwrap().clone();
    bodies.sort();
    bodies
}

/// Runs `build` for `site`, the hub on loopback allowed.
async fn run_build(site: &Site) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
    cmd.args(["--config", site.config().to_str().unwrap(), "build"])
        .env_remove("FEEDPUB_DATABASE_URL")
        .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true");
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

/// Runs `build` and insists it succeeded; its standard output.
async fn build(site: &Site) -> String {
    let out = run_build(site).await;
    common::assert_success(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn build_names_the_hub_and_tells_it_of_each_changed_feed_document() {
    let (hub, bodies) = hub().await;
    let site = site(&hub);
    let out = build(&site).await;
    assert!(out.contains("hub: told of 3 changed feed documents"), "{out}");
    assert_eq!(sorted(&bodies), pings());
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    assert!(rss.contains(&format!(r#"<atom:link href="{hub}" rel="hub"/>"#)), "{rss}");
    let atom = site.read(&format!("{SLUG}/atom.xml"));
    assert!(atom.contains(&format!(r#"<link href="{hub}" rel="hub"/>"#)), "{atom}");
    let json: serde_json::Value = serde_json::from_str(&site.read(&format!("{SLUG}/feed.json"))).unwrap();
    assert_eq!(json["hubs"], serde_json::json!([{"type": "WebSub", "url": hub}]));

    // Nothing changed: nobody is told anything.
    let out = build(&site).await;
    assert!(!out.contains("hub:"), "{out}");
    assert_eq!(bodies.lock().unwrap().len(), 3);

    // A new article changes the feed's three documents.
    site.write_feed_file("002_second.txt", "ثاني مقال عن الطقس، وذلك يوم 20 نوفمبر 2023.");
    let out = build(&site).await;
    assert!(out.contains("hub: told of 3 changed feed documents"), "{out}");
    let mut twice = [pings(), pings()].concat();
    twice.sort();
    assert_eq!(sorted(&bodies), twice);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_that_keeps_failing_makes_build_exit_3_after_publishing() {
    let (hub, bodies) = hub_answering(StatusCode::SERVICE_UNAVAILABLE).await;
    let site = site(&hub);
    let out = run_build(&site).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains(&format!("hub: not told of {BASE}{SLUG}/rss.xml")), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the hub was not told of 3 changed feed document(s)"));
    // Each of the three documents: one try and three retries.
    assert_eq!(bodies.lock().unwrap().len(), 12);
    // The site was published all the same.
    assert!(site.read(&format!("{SLUG}/rss.xml")).contains("rel=\"hub\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_sends_link_headers_and_tells_the_hub_when_a_feed_changes() {
    let (hub, bodies) = hub().await;
    let site = site(&hub);
    let server = Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]);
    let client = common::server::client();
    for file in ["rss.xml", "atom.xml", "feed.json"] {
        let answer = client.get(format!("http://{}/{SLUG}/{file}", server.addr)).send().await.unwrap();
        let link = answer.headers()["link"].to_str().unwrap().to_owned();
        assert_eq!(link, format!(r#"<{hub}>; rel="hub", <{BASE}{SLUG}/{file}>; rel="self""#));
    }
    // Not a topic: the feed's page.
    let page = client.get(format!("http://{}/{SLUG}/", server.addr)).send().await.unwrap();
    assert!(page.headers().get("link").is_none());
    // What changed while no serve ran is not known: at start the hub is told of every feed.
    wait_for("the hub told of every feed at start", async || bodies.lock().unwrap().len() >= 3).await;
    assert_eq!(sorted(&bodies), pings());

    site.write_feed_file("002_second.txt", "ثاني مقال عن الطقس، وذلك يوم 20 نوفمبر 2023.");
    wait_for("the hub told of the change", async || bodies.lock().unwrap().len() >= 6).await;
    let mut twice = [pings(), pings()].concat();
    twice.sort();
    assert_eq!(sorted(&bodies), twice);
    // The hub was told after readers could get the new bytes.
    let rss = client.get(format!("http://{}/{SLUG}/rss.xml", server.addr)).send().await.unwrap();
    assert!(rss.text().await.unwrap().contains("ثاني مقال"));
}
