//! Reading every feed a reader reads (issue 15): one fixture of our own per class — encodings,
//! ill-formed XML, every format and version, items missing what a feed usually carries — each
//! served by an upstream on loopback and read by the real binary (`poll --force`, then `build`).
//! The JSON Feed `build` publishes shows what was kept, and the poll line says what was done.

#[path = "../common/mod.rs"]
mod common;
mod encodings;
mod formats;
mod mending;
mod recovery;

use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::header;
use axum::routing::get;
use common::{SLUG, Site};

/// What one upstream answers at `/feed`: the body, and its `Content-Type`.
#[derive(Clone)]
pub struct Upstream {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    answer: Arc<Mutex<(Vec<u8>, String)>>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl Upstream {
    /// A loopback upstream serving `body` as `content_type`.
    pub async fn start(body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        let answer = Arc::new(Mutex::new((body.into(), content_type.to_owned())));
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (a, r) = (answer.clone(), requests.clone());
        let app = Router::new().route(
            "/feed",
            get(move || {
                let (a, r) = (a.clone(), r.clone());
                async move {
                    r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let (body, ty) = a.lock().unwrap().clone();
                    ([(header::CONTENT_TYPE, ty)], body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Upstream { addr, answer, requests }
    }

    /// From now on, answer `body` as `content_type`.
    pub fn set(&self, body: impl Into<Vec<u8>>, content_type: &str) {
        *self.answer.lock().unwrap() = (body.into(), content_type.to_owned());
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Its feed's URL.
    pub fn url(&self) -> String {
        format!("http://{}/feed", self.addr)
    }
}

/// A site whose one feed has no article of its own and one source: `upstream`.
pub struct Reader {
    /// The site, in a temporary folder.
    pub site: Site,
}

/// One poll and the build after it.
pub struct Read {
    /// The poll's stdout and stderr.
    pub poll: String,
    /// Whether the poll exited 0.
    pub ok: bool,
    /// The items of the published JSON Feed (the upstream's, as kept), newest first.
    pub items: Vec<serde_json::Value>,
    /// The published RSS document.
    pub rss: String,
}

impl Read {
    /// The one line the poll printed for the source.
    pub fn line(&self) -> &str {
        self.poll.lines().find(|l| l.contains("/feed: ")).unwrap_or_else(|| panic!("no poll line in {}", self.poll))
    }

    /// The items' titles, in the published order.
    pub fn titles(&self) -> Vec<String> {
        self.items.iter().map(|i| i["title"].as_str().unwrap_or_default().to_owned()).collect()
    }

    /// The item titled `title` (panics, showing the poll, when there is none).
    pub fn item(&self, title: &str) -> &serde_json::Value {
        self.items
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("no item {title:?} among {:?}; poll: {}", self.titles(), self.poll))
    }
}

impl Reader {
    /// A site reading `upstream`.
    pub fn new(upstream: &Upstream) -> Self {
        let site = Site::new();
        // Only the upstream's items: the seed article goes.
        for entry in std::fs::read_dir(site.feed_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "txt") {
                std::fs::remove_file(path).unwrap();
            }
        }
        let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
        let def = format!("{def}\n[[source]]\nurl = \"{}\"\n", upstream.url());
        std::fs::write(site.feed_dir().join("feed.toml"), def).unwrap();
        Reader { site }
    }

    /// Polls (forced, the guard lifted for loopback), builds, and reads what was published.
    pub async fn poll(&self) -> Read {
        let args = ["--config", self.site.config().to_str().unwrap(), "poll", "--force"].map(str::to_owned);
        let out: Output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"))
                .args(&args)
                .env_remove("FEEDPUB_DATABASE_URL")
                .env_remove("FEEDPUB_CONFIG")
                .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let poll = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        common::assert_success(&self.site.run(&["build"]));
        let json: serde_json::Value = serde_json::from_str(&self.site.read(&format!("{SLUG}/feed.json"))).unwrap();
        let items = json["items"].as_array().cloned().unwrap_or_default();
        Read { poll, ok: out.status.success(), items, rss: self.site.read(&format!("{SLUG}/rss.xml")) }
    }
}

/// Polls `body`, served as `content_type`, once on a new site.
pub async fn read(body: impl Into<Vec<u8>>, content_type: &str) -> Read {
    let upstream = Upstream::start(body, content_type).await;
    Reader::new(&upstream).poll().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_rss_feed_is_read() {
    let r = read(
        "<rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid><title>one</title>\
         <description>body</description></item></channel></rss>",
        "application/rss+xml",
    )
    .await;
    assert!(r.ok, "{}", r.poll);
    assert!(r.line().contains(": 200; 1 new"), "{}", r.poll);
    assert_eq!(r.titles(), ["one"]);
}

/// Items missing what feeds usually carry are all kept: a dateless item takes the time it was
/// first seen (the same at every poll), an item without a link gets its own page, one without
/// an id a derived one (the same at every poll); what cannot be kept is counted on the line.
#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_dropped_quietly() {
    let doc = |extra: &str| {
        format!(
            "<rss version=\"2.0\"><channel><title>t</title><link>https://w.example/</link>{extra}\
             <item><guid>dated</guid><title>dated</title><link>https://w.example/1</link>\
             <pubDate>Fri, 17 Nov 2023 08:00:00 +0000</pubDate></item>\
             <item><guid>undated</guid><title>undated</title><link>https://w.example/2</link></item>\
             <item><guid>linkless</guid><title>linkless</title><description>only text</description></item>\
             <item><title>idless</title><description>no guid, no link</description></item>\
             <item></item><item><category>only a category</category></item>\
             <item><guid>bare</guid></item>\
             <item><guid>dated</guid><title>dated again</title></item>\
             </channel></rss>"
        )
    };
    let upstream = Upstream::start(doc(""), "application/rss+xml").await;
    let reader = Reader::new(&upstream);
    let first = reader.poll().await;
    assert!(first.ok, "{}", first.poll);
    let line = first.line();
    let counted = "3 not kept (2 empty (no title, content, link, id or date), 1 repeating an earlier item's id)";
    assert!(line.contains(&format!(": 200; 5 new, 0 updated, {counted}")), "{line}");
    // An item with only an id is kept; a blank title would make the feed invalid, so it takes
    // the upstream feed's.
    assert_eq!(first.titles().len(), 5, "{:?}", first.titles());
    assert!(first.titles().contains(&"t".to_owned()), "{:?}", first.titles());
    assert!(!first.rss.contains("<title></title>"), "{}", first.rss);
    for title in ["undated", "linkless", "idless"] {
        assert!(first.item(title)["date_published"].is_string(), "{}", first.item(title));
    }
    for title in ["linkless", "idless"] {
        let item = first.item(title);
        let (id, url) = (item["id"].as_str().unwrap(), item["url"].as_str().unwrap());
        assert!(url == id && url.contains(&format!("/{SLUG}/u")), "an item page of its own: {item}");
    }
    assert_eq!(first.item("dated")["date_published"], "2023-11-17T08:00:00Z");
    assert!(first.item("linkless").get("external_url").is_none(), "{}", first.item("linkless"));
    // Polled again (the channel changed, the items did not): the same ids and the same dates.
    upstream.set(doc("<lastBuildDate>Sat, 18 Nov 2023 08:00:00 +0000</lastBuildDate>"), "application/rss+xml");
    let again = reader.poll().await;
    assert!(again.line().contains(": 200; 0 new, 0 updated"), "{}", again.poll);
    let ids = |r: &Read| r.items.iter().map(|i| (i["id"].clone(), i["date_published"].clone())).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&again));
}

/// `serve` polls too: what it could not keep, and what it had to repair, are in `/metrics`.
#[tokio::test(flavor = "multi_thread")]
async fn serve_counts_what_it_did_not_keep() {
    let doc = "<rss version=\"2.0\"><channel><title>t</title>\
               <item><guid>1</guid><title>one&nbsp;two</title></item><item></item><item></item></channel></rss>";
    let upstream = Upstream::start(doc, "application/rss+xml").await;
    let reader = Reader::new(&upstream);
    let site = reader.site;
    // The site's folder lives as long as the child reads it.
    let (child, _site) = tokio::task::spawn_blocking(move || {
        (common::child::Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]), site)
    })
    .await
    .unwrap();
    let metrics = child.url("/metrics");
    let mut text = String::new();
    let counted = "feedpub_upstream_items_not_kept_total{reason=\"empty\"} 2";
    common::server::wait_for("the poll to be counted", async || {
        text = common::server::client().get(&metrics).send().await.unwrap().text().await.unwrap();
        text.contains(counted)
    })
    .await;
    assert!(text.contains("feedpub_upstream_documents_recovered_total 1"), "{text}");
    let logs = child.logs.lock().unwrap().join("\n");
    assert!(logs.contains("2 not kept") && logs.contains("recovered: "), "{logs}");
}

/// A repeated id is settled by document order whether the items are read or left unread as
/// stored: an updated story prepended above its stale copy is the one kept.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_of_a_repeated_id_wins_read_or_not() {
    let doc = |items: &str| format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
    let old = "<item><guid>g</guid><title>old</title></item>";
    let upstream = Upstream::start(doc(old), "application/rss+xml").await;
    let reader = Reader::new(&upstream);
    assert_eq!(reader.poll().await.titles(), ["old"]);
    upstream.set(doc(&format!("<item><guid>g</guid><title>new</title></item>{old}")), "application/rss+xml");
    let again = reader.poll().await;
    assert!(
        again.line().contains(": 200; 0 new, 1 updated, 1 not kept (1 repeating an earlier item's id)"),
        "{}",
        again.poll
    );
    assert_eq!(again.titles(), ["new"]);
}
