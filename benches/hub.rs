//! The built-in WebSub hub's push latency and throughput: `feedpub serve` (the release binary,
//! `[websub] hub = "builtin"`) with N loopback subscribers (default 1,000), each subscribed to
//! the RSS feed with its own secret. Each round adds an article and measures, from the
//! re-render (the server's log line) to each distribution received: the first, the median, the
//! last, and distributions per second (N over the time to the last). The reference, measured in the same run: the bench's
//! own client POSTing the same document to the same N callbacks, 64 at a time (the hub's
//! concurrency), i.e. the loopback ceiling with this subscriber server.
//!
//! Run: `cargo bench --bench hub` (ROUNDS=5 SUBSCRIBERS=1000). With `PIN=1` the server runs on
//! core 0 (`taskset`) and this process, subscribers and reference client, on core 1.

use std::io::BufRead as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use hmac::{KeyInit, Mac};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// When each callback received its last push, and whether every signature checked out.
#[derive(Clone, Default)]
struct Received {
    at: Arc<Mutex<Vec<Option<SystemTime>>>>,
    count: Arc<AtomicUsize>,
    bad_signatures: Arc<AtomicUsize>,
}

async fn verify(Query(q): Query<Vec<(String, String)>>) -> String {
    q.into_iter().find(|(k, _)| k == "hub.challenge").map(|(_, v)| v).unwrap_or_default()
}

async fn push(
    State(r): State<Received>,
    Path(i): Path<usize>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret(i).as_bytes()).unwrap();
    mac.update(&body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let sent = headers.get("x-hub-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if sent != format!("sha256={expected}") {
        r.bad_signatures.fetch_add(1, Ordering::Relaxed);
    }
    r.at.lock().unwrap()[i] = Some(SystemTime::now());
    r.count.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

fn secret(i: usize) -> String {
    format!("secret-of-subscriber-{i}")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let (n, rounds, pin) = (env("SUBSCRIBERS", 1000), env("ROUNDS", 5), env("PIN", 0) == 1);
    if pin {
        let _ = std::process::Command::new("taskset").args(["-cp", "1", &std::process::id().to_string()]).output();
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let feeds = dir.path().join("feeds/russia-islamic-world");
    std::fs::create_dir_all(&feeds).unwrap();
    for e in std::fs::read_dir(repo.join("feeds/russia-islamic-world")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), feeds.join(e.file_name())).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let shipped = std::fs::read_to_string(repo.join("config/feedpub.toml")).unwrap();
    let config = dir.path().join("config/feedpub.toml");
    std::fs::write(&config, format!("{shipped}\n[websub]\nhub = \"builtin\"\n")).unwrap();

    let received = Received { at: Arc::new(Mutex::new(vec![None; n])), ..Received::default() };
    let app = Router::new().route("/cb/{i}", get(verify).post(push)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let subs = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let bin = env!("CARGO_BIN_EXE_feedpub");
    let mut cmd = if pin {
        let mut c = std::process::Command::new("taskset");
        c.args(["-c", "0", bin]);
        c
    } else {
        std::process::Command::new(bin)
    };
    let mut server = cmd
        .args(["--config", config.to_str().unwrap(), "--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")
        .env_remove("FEEDPUB_DATABASE_URL")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The log: the address, then each re-render's time.
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    let stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let next = |message: &str| loop {
        let v = rx.recv_timeout(Duration::from_secs(120)).expect("the server logs");
        if v["fields"]["message"] == message {
            return v;
        }
    };
    let addr = next("serving")["fields"]["address"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let topic = "http://localhost:8080/russia-islamic-world/rss.xml";
    let started = Instant::now();
    let mut asks = tokio::task::JoinSet::new();
    let at_once = Arc::new(tokio::sync::Semaphore::new(64));
    for i in 0..n {
        let (client, addr, at_once) = (client.clone(), addr.clone(), at_once.clone());
        asks.spawn(async move {
            let _p = at_once.acquire().await;
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("hub.mode", "subscribe")
                .append_pair("hub.topic", topic)
                .append_pair("hub.callback", &format!("http://{subs}/cb/{i}"))
                .append_pair("hub.secret", &secret(i))
                .finish();
            // 503: the hub's verification queue is full; it asks again shortly.
            loop {
                let r = client
                    .post(format!("http://{addr}/websub"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.clone())
                    .send()
                    .await
                    .unwrap();
                match r.status().as_u16() {
                    202 => break,
                    503 => tokio::time::sleep(Duration::from_millis(100)).await,
                    other => panic!("subscription answered {other}"),
                }
            }
        });
    }
    asks.join_all().await;
    // Every verification recorded.
    loop {
        let m = client.get(format!("http://{addr}/metrics")).send().await.unwrap().text().await.unwrap();
        let live: usize = m
            .lines()
            .filter(|l| l.starts_with("feedpub_websub_subscribers{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<usize>().ok())
            .sum();
        if live == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("{n} subscribers verified in {:.2} s", started.elapsed().as_secs_f64());

    let (mut firsts, mut medians, mut lasts, mut rates, mut refs) = (vec![], vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        received.at.lock().unwrap().iter_mut().for_each(|t| *t = None);
        received.count.store(0, Ordering::SeqCst);
        std::fs::write(
            feeds.join(format!("9{round:02}_bench.txt")),
            format!("مقال رقم {round} للقياس، يوم 20 نوفمبر 2023."),
        )
        .unwrap();
        let rendered = next("re-rendered");
        let rendered: SystemTime =
            chrono::DateTime::parse_from_rfc3339(rendered["timestamp"].as_str().unwrap()).unwrap().to_utc().into();
        while received.count.load(Ordering::SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut after: Vec<f64> = received
            .at
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.unwrap().duration_since(rendered).unwrap_or_default().as_secs_f64() * 1000.0)
            .collect();
        after.sort_by(f64::total_cmp);
        let (first, last) = (after[0], after[n - 1]);
        firsts.push(first);
        medians.push(after[n / 2]);
        lasts.push(last);
        // From the re-render to the last push: the whole of the hub's work for this change.
        rates.push(n as f64 / (last.max(0.001) / 1000.0));

        // The reference: the same document, POSTed by this process to the same callbacks.
        let body = client.get(format!("http://{addr}/russia-islamic-world/rss.xml")).send().await.unwrap();
        let body = body.bytes().await.unwrap();
        received.count.store(0, Ordering::SeqCst);
        let t = Instant::now();
        let mut posts = tokio::task::JoinSet::new();
        for i in 0..n {
            let (client, body, at_once) = (client.clone(), body.clone(), at_once.clone());
            posts.spawn(async move {
                let _p = at_once.acquire().await;
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret(i).as_bytes()).unwrap();
                mac.update(&body);
                let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
                client
                    .post(format!("http://{subs}/cb/{i}"))
                    .header("x-hub-signature", format!("sha256={sig}"))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
            });
        }
        posts.join_all().await;
        refs.push(n as f64 / t.elapsed().as_secs_f64());
        eprintln!(
            "round {round}: first {first:.1} ms, last {last:.1} ms after the re-render; {:.0}/s (reference {:.0}/s)",
            rates[round], refs[round]
        );
    }
    let bad = received.bad_signatures.load(Ordering::SeqCst);
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "| subscribers | rounds | first push (ms) | median push (ms) | last push (ms) | hub distributions/s | reference POSTs/s | hub/reference | bad signatures |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let (rate, reference) = (median(rates), median(refs));
    println!(
        "| {n} | {rounds} | {:.1} | {:.1} | {:.1} | {rate:.0} | {reference:.0} | {:.2} | {bad} |",
        median(firsts),
        median(medians),
        median(lasts),
        rate / reference
    );
    assert_eq!(bad, 0, "every distribution was signed with its subscriber's secret");
}
