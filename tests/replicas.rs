//! Many replicas on one PostgreSQL store, as real processes on 127.0.0.1: the host that holds
//! `feeds/` syncs it into the store (`feedpub sync`); replicas without `feeds/` serve, poll and
//! re-render from the store alone. Each test gets a scratch database; the test that stops the
//! database has a server of its own.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use common::child::Child;
use common::server::{client, wait_for};
use common::{SLUG, Site};

/// A form-encoded request body, its pairs in order.
type Form = Vec<(String, String)>;

/// The tests start several servers each and one asserts a latency: one test at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A loopback upstream serving `/s/{n}`: an RSS feed with one item, `item-{n}`, and more once
/// [`Upstream::publish`] adds them. Counts requests per source; `/s/{n}` can be made to hang.
#[derive(Clone, Default)]
struct Upstream {
    requests: Arc<Mutex<BTreeMap<u32, usize>>>,
    /// Extra items source 0 serves (the newest first).
    extra: Arc<Mutex<Vec<String>>>,
    /// Sources whose first request never gets an answer (a replica killed mid-poll).
    hang_first: Arc<Mutex<Vec<u32>>>,
    total: Arc<AtomicUsize>,
    /// When set, every source names this server's `/hub` in its `Link` header (WebSub).
    hub: Arc<Mutex<Option<String>>>,
    /// Subscription requests `/hub` received, each form in order.
    hub_requests: Arc<Mutex<Vec<Form>>>,
}

impl Upstream {
    async fn start(&self) -> std::net::SocketAddr {
        let app =
            Router::new().route("/s/{n}", get(feed)).route("/hub", axum::routing::post(hub)).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    fn requests(&self) -> BTreeMap<u32, usize> {
        self.requests.lock().unwrap().clone()
    }

    fn publish(&self, id: &str) {
        self.extra.lock().unwrap().insert(0, id.to_owned());
    }
}

async fn hub(State(up): State<Upstream>, body: String) -> axum::http::StatusCode {
    up.hub_requests.lock().unwrap().push(url::form_urlencoded::parse(body.as_bytes()).into_owned().collect());
    axum::http::StatusCode::ACCEPTED
}

async fn feed(State(up): State<Upstream>, Path(n): Path<u32>) -> impl IntoResponse {
    let seen = {
        let mut requests = up.requests.lock().unwrap();
        let seen = requests.entry(n).or_default();
        *seen += 1;
        *seen
    };
    up.total.fetch_add(1, Ordering::SeqCst);
    if seen == 1 && up.hang_first.lock().unwrap().contains(&n) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let item = |id: &str, day: u32| {
        format!(
            "<item><guid isPermaLink=\"false\">{id}</guid><title>خبر {id}</title>\
             <link>https://wire.example/{id}</link><pubDate>{day:02} Nov 2023 08:00:00 GMT</pubDate>\
             <description>نص {id}</description></item>"
        )
    };
    // Extra items come from source 0 only: one item, one source.
    let extra = if n == 0 { up.extra.lock().unwrap().clone() } else { Vec::new() };
    let mut items: String = extra.iter().map(|id| item(id, 20)).collect();
    items.push_str(&item(&format!("item-{n}"), 10));
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>wire {n}</title>\
         <link>https://wire.example/</link>{items}</channel></rss>"
    );
    let link = up.hub.lock().unwrap().as_ref().map(|hub| format!("<{hub}>; rel=\"hub\""));
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, "application/rss+xml".parse().unwrap());
    if let Some(link) = link {
        headers.insert(header::LINK, link.parse().unwrap());
    }
    (headers, body)
}

/// The shipped config, made for tests: polls every second, short timeouts and leases, no 429
/// guard (the tests fetch the same feed many times).
fn tune(site: &Site, timeout: u64, lease: u64) {
    let config = std::fs::read_to_string(site.config()).unwrap();
    let config = config
        .replace("timeout_seconds = 60", &format!("timeout_seconds = {timeout}"))
        .replace("# lease_seconds = 120", &format!("lease_seconds = {lease}"))
        .replace("tick_seconds = 60", "tick_seconds = 1")
        .replace("min_refetch_seconds = 60", "min_refetch_seconds = 0");
    std::fs::write(site.config(), config).unwrap();
}

/// The host holding `feeds/`: the shipped feed, with `sources` upstream sources added.
fn writer(db: &str, upstream: std::net::SocketAddr, sources: std::ops::Range<u32>) -> Site {
    let site = Site::new();
    tune(&site, 5, 10);
    let def_path = site.feed_dir().join("feed.toml");
    let mut def = std::fs::read_to_string(&def_path).unwrap();
    for n in sources {
        def.push_str(&format!("\n[[source]]\nurl = \"http://{upstream}/s/{n}\"\n"));
    }
    std::fs::write(def_path, def).unwrap();
    sync(&site, db);
    site
}

/// `feedpub sync` on the writer.
fn sync(site: &Site, db: &str) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
    cmd.args(["--config", site.config().to_str().unwrap(), "sync"]).env("FEEDPUB_DATABASE_URL", db);
    common::assert_success(&blocking(|| cmd.output().unwrap()));
}

/// A replica: the same config, no `feeds/`.
fn replica_site(timeout: u64, lease: u64) -> Site {
    let site = Site::new();
    tune(&site, timeout, lease);
    std::fs::remove_dir_all(site.root().join("feeds")).unwrap();
    site
}

fn start(site: &Site, db: &str) -> Child {
    Child::start(site, &[("FEEDPUB_DATABASE_URL", db), ("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")])
}

async fn get_text(url: &str) -> (u16, String) {
    let r = client().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// How many times `id` appears as an item of the RSS feed a replica serves.
async fn items_named(replica: &Child, id: &str) -> usize {
    let (_, rss) = get_text(&replica.url(&format!("/{SLUG}/rss.xml"))).await;
    rss.matches(&format!("خبر {id}<")).count()
}

/// Runs blocking work (the PostgreSQL client, a cluster's `pg_ctl`) from a test's runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Rows for the item `id` in the store, by any feed: the store's own count, not the feed's.
fn rows(db: &str, id: &str) -> i64 {
    blocking(|| {
        let mut c = postgres::Client::connect(db, postgres::NoTls).unwrap();
        c.query_one("SELECT COUNT(*) FROM items WHERE content LIKE $1", &[&format!("%خبر {id}\"%")]).unwrap().get(0)
    })
}

/// 1: three replicas polling 20 sources every second and three cron-style `poll`s started at the
/// same moment: every source is fetched once in its interval (a minute at least), never twice,
/// whoever claims it; the replicas' logs and the polls' output add up to one fetch per source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_source_is_polled_by_exactly_one_replica() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = blocking(|| common::pg::shared().scratch_db());
    let up = Upstream::default();
    let addr = up.start().await;
    let writer = writer(&db, addr, 0..20);
    // Three replicas and three cron polls, all at once: six claimants for every source.
    let polls: Vec<_> = (0..3)
        .map(|_| {
            let config = writer.config();
            let db = db.clone();
            std::thread::spawn(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"))
                    .args(["--config", config.to_str().unwrap(), "poll"])
                    .env("FEEDPUB_DATABASE_URL", db)
                    .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")
                    .output()
                    .unwrap()
            })
        })
        .collect();
    let replicas: Vec<(Site, Child)> = (0..3)
        .map(|_| {
            let site = replica_site(5, 10);
            let child = start(&site, &db);
            (site, child)
        })
        .collect();
    let mut cron_polled = 0;
    for p in polls {
        let out = blocking(|| p.join().unwrap());
        common::assert_success(&out);
        cron_polled += String::from_utf8_lossy(&out.stdout).matches(": 200;").count();
    }
    wait_for("every source polled", async || up.requests().len() == 20).await;
    for (_, r) in &replicas {
        wait_for("every item served", async || {
            items_named(r, "item-19").await == 1 && items_named(r, "item-0").await == 1
        })
        .await;
    }
    // Several more ticks of every replica.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let requests = up.requests();
    assert_eq!(requests.len(), 20);
    assert!(requests.values().all(|&n| n == 1), "a source was fetched twice: {requests:?}");
    // Each item once, in the store and in every replica's feed.
    for n in [0, 7, 19] {
        assert_eq!(rows(&db, &format!("item-{n}")), 1);
    }
    for (_, r) in &replicas {
        let polled = r
            .logs
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("\"polled\"") && l.contains("\"status\":\"200\""))
            .count();
        eprintln!("replica {} polled {polled} sources", r.addr);
    }
    let polled: usize = replicas
        .iter()
        .map(|(_, r)| {
            r.logs
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.contains("\"polled\"") && l.contains("\"status\":\"200\""))
                .count()
        })
        .sum();
    eprintln!("cron polls fetched {cron_polled} sources");
    assert_eq!(polled + cron_polled, 20, "the logs and the cron output count one fetch per source");
}

/// 2: a replica killed (SIGKILL) in the middle of a fetch holds that source's lease until it
/// runs out; another replica then polls it, within the lease and a tick. Nothing the killed
/// one stored is lost, and no item is stored twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replica_loses_nothing_and_its_leases_run_out() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = blocking(|| common::pg::shared().scratch_db());
    let up = Upstream::default();
    up.hang_first.lock().unwrap().push(3);
    let addr = up.start().await;
    let _writer = writer(&db, addr, 0..5);
    // A fetch timeout long enough that A is killed inside it (A would otherwise record the
    // hanging fetch as failed and put the source off).
    let (lease, timeout) = (9, 8);
    let a_site = replica_site(timeout, lease);
    let mut a = start(&a_site, &db);
    wait_for("the other sources polled by A", async || {
        up.requests().len() == 5 && [0, 1, 2, 4].iter().all(|n| rows(&db, &format!("item-{n}")) == 1)
    })
    .await;
    // A is inside the fetch of source 3 (it never answers): kill it there.
    let claimed = Instant::now();
    a.process.kill().unwrap();
    a.process.wait().unwrap();
    let b_site = replica_site(timeout, lease);
    let b = start(&b_site, &db);
    wait_for("source 3 polled again", async || up.requests()[&3] == 2).await;
    let waited = claimed.elapsed();
    assert!(waited <= Duration::from_secs(lease + 1 + 5), "source 3 was polled again after {waited:?}");
    wait_for("item 3 stored", async || rows(&db, "item-3") == 1).await;
    for n in 0..5 {
        assert_eq!(rows(&db, &format!("item-{n}")), 1, "item-{n}");
        wait_for("B serves it", async || items_named(&b, &format!("item-{n}")).await == 1).await;
    }
    let requests = up.requests();
    assert!([0, 1, 2, 4].iter().all(|n| requests[n] == 1), "{requests:?}");
}

/// 3 and 4: a change made anywhere (an article synced by the writer, an item stored by a poll
/// on another host) is live on every replica within a second; a replica whose connection was
/// cut catches up when it reconnects; and every replica serves the same bytes and ETags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_anywhere_is_live_everywhere_and_the_bytes_agree() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = blocking(|| common::pg::shared().scratch_db());
    let up = Upstream::default();
    let addr = up.start().await;
    let writer = writer(&db, addr, 0..2);
    let sites: Vec<Site> = (0..2).map(|_| replica_site(5, 10)).collect();
    let replicas: Vec<Child> = sites.iter().map(|s| start(s, &db)).collect();
    for r in &replicas {
        wait_for("the upstream items", async || items_named(r, "item-1").await == 1).await;
    }
    let live_within = async |what: &str, id: &str, since: Instant| {
        for r in &replicas {
            wait_for(what, async || items_named(r, id).await == 1).await;
        }
        let took = since.elapsed();
        eprintln!("{what}: live on every replica after {took:?}");
        assert!(took <= Duration::from_secs(1), "{what}: {took:?}");
    };
    // An article synced by the writer.
    writer.write_feed_file("900_new.md", "+++\ndate = 2023-11-18\ntitle = \"خبر local-900\"\n+++\nنص جديد");
    sync(&writer, &db);
    live_within("a synced article", "local-900", Instant::now()).await;
    // An item stored by a poll elsewhere (here a cron poll on the writer's host).
    up.publish("wire-new");
    let mut poll = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
    poll.args(["--config", writer.config().to_str().unwrap(), "poll", "--force"])
        .env("FEEDPUB_DATABASE_URL", &db)
        .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true");
    common::assert_success(&blocking(|| poll.output().unwrap()));
    live_within("a polled item", "wire-new", Instant::now()).await;
    // Cut every replica's connections, then change the store at once: they reconnect and
    // find the change by the sequence, notification or not.
    blocking(|| {
        let mut admin = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        let cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()";
        admin.execute(cut, &[]).unwrap();
    });
    writer.write_feed_file("901_new.md", "+++\ndate = 2023-11-19\ntitle = \"خبر local-901\"\n+++\nنص آخر");
    sync(&writer, &db);
    for r in &replicas {
        wait_for("the change after a cut", async || items_named(r, "local-901").await == 1).await;
    }
    // 4: the same bytes and validators everywhere.
    let item_page = {
        // The seed article's page, as the feed links it.
        let (_, rss) = get_text(&replicas[0].url(&format!("/{SLUG}/rss.xml"))).await;
        let end = rss.find(".html<").unwrap() + ".html".len();
        let start = rss[..end].rfind(&format!("/{SLUG}/")).unwrap();
        rss[start..end].to_owned()
    };
    for path in [
        "/".to_owned(),
        format!("/{SLUG}/rss.xml"),
        format!("/{SLUG}/atom.xml"),
        format!("/{SLUG}/feed.json"),
        format!("/{SLUG}/"),
        item_page,
    ] {
        let mut seen = Vec::new();
        for r in &replicas {
            let resp = client().get(r.url(&path)).send().await.unwrap();
            let logs = r.logs.lock().unwrap().iter().rev().take(5).cloned().collect::<Vec<_>>();
            assert_eq!(resp.status(), 200, "{path}: {logs:#?}");
            let etag = resp.headers().get(header::ETAG).map(|v| v.to_str().unwrap().to_owned());
            let modified = resp.headers().get(header::LAST_MODIFIED).map(|v| v.to_str().unwrap().to_owned());
            seen.push((etag, modified, resp.bytes().await.unwrap()));
        }
        assert!(seen[0].0.is_some(), "{path} has an ETag");
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{path} differs between replicas");
    }
}

/// 5: the database goes away: replicas keep serving the last good site, `/readyz` says not
/// ready, polls back off (the pause doubles); it comes back: ready again, and changes flow,
/// without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_goes_away_and_comes_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut cluster = blocking(common::pg::private);
    let db = blocking(|| cluster.scratch_db());
    let up = Upstream::default();
    let addr = up.start().await;
    let writer = writer(&db, addr, 0..1);
    let site = replica_site(5, 10);
    let r = start(&site, &db);
    wait_for("the upstream item", async || items_named(&r, "item-0").await == 1).await;
    let rss_url = r.url(&format!("/{SLUG}/rss.xml"));
    let (_, before) = get_text(&rss_url).await;
    assert_eq!(get_text(&r.url("/readyz")).await.0, 200);

    blocking(|| cluster.stop());
    wait_for("not ready", async || get_text(&r.url("/readyz")).await.0 == 503).await;
    assert_eq!(get_text(&rss_url).await, (200, before.clone()), "the last good site is served");
    assert_eq!(get_text(&r.url("/")).await.0, 200);
    // A page never opened cannot be made now: 503 with a Retry-After, not a 404.
    let page = {
        let end = before.find(".html<").unwrap() + ".html".len();
        let start = before[..end].rfind(&format!("/{SLUG}/")).unwrap();
        r.url(&before[start..end])
    };
    let refused = client().get(&page).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    let failed = |logs: &[String]| -> Vec<u64> {
        logs.iter()
            .filter(|l| l.contains("poll failed"))
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["fields"]["retry_in_seconds"].as_u64())
            .collect()
    };
    wait_for("polls backing off", async || failed(&r.logs.lock().unwrap()).len() >= 2).await;
    let pauses = failed(&r.logs.lock().unwrap());
    assert!(pauses.windows(2).all(|w| w[1] >= w[0]) && pauses[1] > pauses[0], "{pauses:?}");

    blocking(|| cluster.start());
    wait_for("ready again", async || get_text(&r.url("/readyz")).await.0 == 200).await;
    assert_eq!(get_text(&page).await.0, 200, "the page is made once the store is back");
    writer.write_feed_file("902_new.md", "+++\ndate = 2023-11-20\ntitle = \"خبر local-902\"\n+++\nنص");
    sync(&writer, &db);
    wait_for("a change after the outage", async || items_named(&r, "local-902").await == 1).await;
    assert!(r.logs.lock().unwrap().iter().any(|l| l.contains("the store answers again")));
}

/// The database password in `FEEDPUB_DATABASE_URL` reaches no output of any command, at the
/// most verbose log level, whether the database answers or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_password_reaches_no_output() {
    let _one = ONE_AT_A_TIME.lock().await;
    const PASSWORD: &str = "pw-Zq8xK3";
    let db = blocking(|| common::pg::shared().scratch_db()).replace("postgres@", &format!("postgres:{PASSWORD}@"));
    let site = Site::new();
    let run = |args: &[&str], url: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"));
        cmd.args(["--config", site.config().to_str().unwrap()]).args(args);
        cmd.env("FEEDPUB_DATABASE_URL", url).env("RUST_LOG", "trace");
        blocking(|| cmd.output().unwrap())
    };
    for args in [&["sync"][..], &["build"], &["poll", "--force"], &["check"]] {
        let out = run(args, &db);
        common::assert_success(&out);
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains(PASSWORD), "{args:?} showed the password: {all}");
    }
    // Nobody listens on port 1: the error names the server, not the password.
    let refused = db.replace(&format!(":{}/", common::pg::shared().port()), ":1/");
    let out = run(&["sync"], &refused);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("127.0.0.1:1") && !all.contains(PASSWORD), "{all}");
    // A replica serving from it, its log at trace level and its probes.
    std::fs::remove_dir_all(site.root().join("feeds")).unwrap();
    let replica = Child::start(&site, &[("FEEDPUB_DATABASE_URL", db.as_str()), ("RUST_LOG", "trace")]);
    for path in ["/readyz", "/metrics", "/", &format!("/{SLUG}/rss.xml")] {
        let (status, body) = get_text(&replica.url(path)).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains(PASSWORD), "{path}");
    }
    let logs = replica.logs.lock().unwrap().join("\n");
    assert!(logs.contains("serving") && !logs.contains(PASSWORD), "the log showed the password");
}

/// A WebSub subscriber on loopback: confirms every verification, counts distributions.
async fn subscriber() -> (String, Arc<AtomicUsize>) {
    use axum::extract::Query;
    let pushes = Arc::new(AtomicUsize::new(0));
    let counted = pushes.clone();
    let app = Router::new().route(
        "/cb",
        get(|Query(q): Query<Vec<(String, String)>>| async move {
            q.into_iter().find(|(k, _)| k == "hub.challenge").map(|(_, v)| v).unwrap_or_default()
        })
        .post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, pushes)
}

/// The sum of a counter's samples on `/metrics` whose line contains `labels`.
async fn counter(replica: &Child, name: &str, labels: &str) -> u64 {
    let (_, text) = get_text(&replica.url("/metrics")).await;
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// WebSub (issue 17): replicas share the built-in hub's state. A subscription made at one
/// replica is served by all, and each new version of a feed is distributed once, by the one
/// replica that claims it, though every replica renders it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builtin_hub_distributes_each_change_once_across_replicas() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = blocking(|| common::pg::shared().scratch_db());
    let up = Upstream::default();
    let writer = writer(&db, up.start().await, 0..0);
    let sites: Vec<Site> = (0..3).map(|_| replica_site(5, 10)).collect();
    for s in &sites {
        let config = std::fs::read_to_string(s.config()).unwrap();
        std::fs::write(s.config(), format!("{config}\n[websub]\nhub = \"builtin\"\n")).unwrap();
    }
    let replicas: Vec<Child> = sites.iter().map(|s| start(s, &db)).collect();
    let (callback, pushes) = subscriber().await;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &format!("http://localhost:8080/{SLUG}/rss.xml"))
        .append_pair("hub.callback", &callback)
        .finish();
    let answer = client()
        .post(replicas[0].url("/websub"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    wait_for("the verification", async || {
        counter(&replicas[0], "feedpub_websub_verifications_total", "verified").await == 1
    })
    .await;
    // Every replica has claimed (or seen claimed) the first versions before the change.
    for r in &replicas {
        wait_for("the first versions", async || counter(r, "feedpub_websub_topic_versions_total", "").await >= 3).await;
    }

    let newer_and_taken = async || {
        let mut n = 0;
        for r in &replicas {
            n += counter(r, "feedpub_websub_topic_versions_total", "newer").await;
            n += counter(r, "feedpub_websub_topic_versions_total", "taken").await;
        }
        n
    };
    // At start one replica recorded each topic first, and the two others found it recorded.
    let before = newer_and_taken().await;
    assert!(before >= 6, "{before}");
    writer.write_feed_file("901_pushed.md", "+++\ndate = 2023-11-19\ntitle = \"خبر pushed-901\"\n+++\nنص");
    sync(&writer, &db);
    // Three documents changed on each of three replicas: nine new versions rendered, three
    // claimed, one of them the subscribed topic.
    wait_for("every replica's claims", async || newer_and_taken().await >= before + 9).await;
    let mut newer = 0;
    for r in &replicas {
        newer += counter(r, "feedpub_websub_topic_versions_total", "newer").await;
    }
    assert_eq!(newer, 3, "each new version claimed once");
    let sent = async || {
        let mut sent = 0;
        for r in &replicas {
            sent += counter(r, "feedpub_websub_distributions_total", "sent").await;
        }
        sent
    };
    wait_for("the distribution", async || sent().await >= 1).await;
    assert_eq!((pushes.load(Ordering::SeqCst), sent().await), (1, 1), "one distribution for one change");
}

/// WebSub subscriber (issue 17) with replicas: a source that advertises a hub is subscribed
/// once, by the replica that polled it; the hub's verification and its push may reach any
/// replica (they share the subscription in the store), and what one replica stores from a push
/// every replica serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_any_replica_is_stored_once_and_served_by_all() {
    use hmac::{KeyInit, Mac};
    let _one = ONE_AT_A_TIME.lock().await;
    let db = blocking(|| common::pg::shared().scratch_db());
    let up = Upstream::default();
    let addr = up.start().await;
    *up.hub.lock().unwrap() = Some(format!("http://{addr}/hub"));
    let _writer = writer(&db, addr, 0..1);
    let sites: Vec<Site> = (0..2).map(|_| replica_site(5, 10)).collect();
    let replicas: Vec<Child> = sites.iter().map(|s| start(s, &db)).collect();
    wait_for("the subscription request", async || !up.hub_requests.lock().unwrap().is_empty()).await;
    let form = up.hub_requests.lock().unwrap()[0].clone();
    let param = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    let path = param("hub.callback").strip_prefix("http://localhost:8080").unwrap().to_owned();
    // Verified at one replica, pushed to the other.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &param("hub.topic"))
        .append_pair("hub.challenge", "both")
        .append_pair("hub.lease_seconds", "86400")
        .finish();
    assert_eq!(get_text(&replicas[0].url(&format!("{path}?{query}"))).await, (200, "both".to_owned()));
    let body = String::from(
        "<rss version=\"2.0\"><channel><title>wire 0</title><link>https://wire.example/</link>\
         <item><guid>pushed-1</guid><title>خبر pushed-1</title><link>https://wire.example/pushed-1</link>\
         <pubDate>21 Nov 2023 08:00:00 GMT</pubDate><description>نص</description></item></channel></rss>",
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(param("hub.secret").as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let answer = client()
        .post(replicas[1].url(&path))
        .header("content-type", "application/rss+xml")
        .header("x-hub-signature", format!("sha256={signature}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    for r in &replicas {
        wait_for("the pushed item on every replica", async || items_named(r, "pushed-1").await == 1).await;
    }
    assert_eq!(rows(&db, "pushed-1"), 1, "stored once");
    assert_eq!(up.hub_requests.lock().unwrap().len(), 1, "subscribed once, by one replica");
}
