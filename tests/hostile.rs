//! The hostile-upstream suite: `feedpub poll` (the real binary) against upstreams on loopback
//! that send bombs, garbage and injections. Each case is its own feed with one source, polled
//! on its own. Every case must end without a crash (exit 0 or 3), within a
//! memory bound, with a per-source line naming the URL; and afterwards the feed published before
//! the attacks is byte-for-byte what it was, every published file is well-formed and free of
//! script, and no byte of `/etc/passwd` is anywhere.

mod common;

use std::io::Write;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{SLUG, Site, snapshot};

/// Peak RSS any single hostile poll may reach, in KB. The body cap is 15 MiB; the largest
/// parse here (100,000 small items, 4.5 MB) peaked at 105 MB.
const RSS_BOUND_KB: u64 = 200 * 1024;

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>up</title>\
         <link>https://wire.example/</link><description>d</description>{items}</channel></rss>"
    )
}

fn item(guid: &str, title: &str, body: &str) -> String {
    format!(
        "<item><guid>{guid}</guid><title>{title}</title><link>https://wire.example/{guid}</link>\
         <pubDate>Fri, 17 Nov 2023 08:00:00 +0300</pubDate><description>{}</description></item>",
        html_escape::encode_text(body)
    )
}

/// The payload of each hostile case, as (status, content type, body).
fn payload(name: &str) -> (StatusCode, &'static str, Vec<u8>) {
    let xml = "application/rss+xml";
    let ok = |body: String| (StatusCode::OK, xml, body.into_bytes());
    match name {
        "billion-laughs" => {
            let mut dtd = String::from("<!DOCTYPE rss [<!ENTITY lol \"lol\">");
            for i in 1..10 {
                let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
                dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">", format!("&{prev};").repeat(10)));
            }
            dtd.push(']');
            dtd.push('>');
            let doc = rss("<item><guid>b</guid><title>&lol9;</title><description>&lol9;</description></item>");
            ok(doc.replacen("<rss", &format!("{dtd}<rss"), 1))
        }
        "xxe" => {
            let doc = rss("<item><guid>x</guid><title>&xxe;</title><description>&xxe;</description></item>");
            let dtd = "<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
            ok(doc.replacen("<rss", &format!("{dtd}<rss"), 1))
        }
        "invalid-utf8" => {
            let mut doc = rss(&item("u", "bad XX bytes", "<p>bad XX bytes</p>")).into_bytes();
            let at: Vec<usize> = doc.windows(2).enumerate().filter(|(_, w)| *w == b"XX").map(|(i, _)| i).collect();
            for i in at {
                doc[i..i + 2].copy_from_slice(&[0xff, 0xfe]);
            }
            (StatusCode::OK, xml, doc)
        }
        "control-chars" => {
            // XML cannot carry them, but JSON Feed can: they must not reach our XML.
            let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"ctl\u0001",
                "items":[{"id":"c1","url":"https://wire.example/c1","title":"bell\u0007 and \u001b[31m",
                "content_html":"<p>nul\u0000 vt\u000b ff\u000c del\u007f c1\u0085 ref&#x7f;&#1;</p>",
                "date_published":"2023-11-17T08:00:00Z"}]}"#;
            (StatusCode::OK, "application/feed+json", doc.as_bytes().to_vec())
        }
        "deep-xml" => {
            ok(rss(&format!("<item><guid>d</guid>{}{}</item>", "<x>".repeat(100_000), "</x>".repeat(100_000))))
        }
        "deep-html" => {
            ok(rss(&item("h", "deep", &format!("{}text{}", "<div>".repeat(100_000), "</div>".repeat(100_000)))))
        }
        // Small items, so that 100,000 of them fit under the body cap.
        "many-items" => ok(rss(&(0..100_000)
            .map(|i| format!("<item><guid>m{i}</guid><title>n{i}</title></item>"))
            .collect::<String>())),
        "duplicate-guids" => {
            ok(rss(&(0..3).map(|i| item("same", &format!("version {i}"), "<p>x</p>")).collect::<String>()))
        }
        "injection" => {
            let s = "<script>alert(1)</script>";
            let doc = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
                 <title>{t}feed</title><link>javascript:alert(1)</link><description>{t}</description>\
                 <item><guid>{t}</guid><title>{t}title &lt;b onmouseover=alert(1)&gt;</title>\
                 <link>javascript:alert(1)</link><dc:creator>{t}author</dc:creator><category>{t}</category>\
                 <description>{b}</description></item></channel></rss>",
                t = html_escape::encode_text(s),
                b = html_escape::encode_text(
                    "<p onclick=\"alert(1)\">text<img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">a</a>\
                     <iframe src=\"https://evil.example/\"></iframe><svg><script>alert(1)</script></svg>\
                     <style>body{}</style><form action=\"https://evil.example\"><input></form></p>"
                )
            );
            ok(doc)
        }
        // Every <b> inside the table is foster-parented, and html5ever warns once for each.
        "log-flood" => ok(rss(&item("f", "flood", &format!("<table>{}</table>", "<b>x</b>".repeat(20_000))))),
        "quadratic-markup" => {
            // Each body took html5ever or ammonia time quadratic in its size; a title escaped
            // twice, so that its text is markup.
            let bodies = [
                format!("{}x", "<div></span>".repeat(80_000)),
                format!("<b{}>x", (0..100_000).map(|i| format!(" a{i}")).collect::<String>()),
                "&amp;".repeat(150_000),
                format!("<table>{}</table>", "<b>x</b>".repeat(60_000)),
            ];
            let items: String = bodies
                .iter()
                .enumerate()
                .map(|(i, b)| item(&format!("q{i}"), "&amp;lt;svg onload=alert(1)&amp;gt; q", b))
                .collect();
            ok(rss(&items))
        }
        "decl-mid-document" => {
            ok(rss(&item("d", "t", "x")).replacen("<channel>", "<channel><?xml version='1.0' encoding='utf-16'?>", 1))
        }
        _ => (StatusCode::NOT_FOUND, "text/plain", b"no such case".to_vec()),
    }
}

async fn upstream() -> std::net::SocketAddr {
    // 256 MiB of zeros, about 256 KB gzipped: the cap counts what comes out. Made once, up front.
    let bomb = tokio::task::spawn_blocking(|| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            enc.write_all(&zeros).unwrap();
        }
        bytes::Bytes::from(enc.finish().unwrap())
    })
    .await
    .unwrap();
    let app = Router::new()
        .route(
            "/case/{name}",
            get(|Path(name): Path<String>| async move {
                let (status, ty, body) = payload(&name);
                (status, [(header::CONTENT_TYPE, ty)], body).into_response()
            }),
        )
        .route(
            "/bomb",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/rss+xml"), (header::CONTENT_ENCODING, "gzip")], bomb)
                    .into_response()
            }),
        )
        .route(
            "/endless",
            get(|| async {
                let chunk = bytes::Bytes::from(vec![b' '; 64 << 10]);
                let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/rss+xml")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        )
        .route(
            "/drip",
            get(|| async {
                let stream = futures_util::stream::unfold((), |()| async {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"<")), ()))
                });
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/rss+xml")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        )
        .route(
            "/big-item",
            get(|| async {
                // One 50 MB item, streamed: the test process itself stays small, so that the
                // children's peak memory it reads (getrusage) is theirs.
                let doc = rss(&item("big", "big", "BODY"));
                let (head, tail) = doc.split_once("BODY").unwrap();
                let chunk = bytes::Bytes::from("ا".repeat(1 << 19));
                let parts = std::iter::once(bytes::Bytes::from(head.to_owned()))
                    .chain(std::iter::repeat_n(chunk, 50))
                    .chain(std::iter::once(bytes::Bytes::from(tail.to_owned())))
                    .map(Ok::<_, std::io::Error>);
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/rss+xml")
                    .body(Body::from_stream(futures_util::stream::iter(parts)))
                    .unwrap()
            }),
        )
        .route("/loop/a", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop/b")]) }))
        .route("/loop/b", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop/a")]) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The largest peak RSS of any finished child of this process, in KB (getrusage). A child
/// spawned with vfork is charged the parent's peak up to its exec, so this process keeps its
/// own memory small (every payload is small or streamed).
fn children_peak_rss_kb() -> u64 {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    u64::try_from(usage.max_rss()).unwrap_or(0)
}

/// (case, path on the upstream, text the poll's output must contain: the error, or "new").
const CASES: &[(&str, &str, &str)] = &[
    ("billion-laughs", "/case/billion-laughs", ""),
    ("xxe", "/case/xxe", ""),
    ("gzip-bomb", "/bomb", "cap of 15 MiB"),
    ("endless-body", "/endless", "cap of 15 MiB"),
    ("slow-drip", "/drip", "timed out"),
    ("redirect-loop", "/loop/a", "redirect"),
    ("big-item", "/big-item", "cap of 15 MiB"),
    ("invalid-utf8", "/case/invalid-utf8", ""),
    ("control-chars", "/case/control-chars", "1 new"),
    ("deep-xml", "/case/deep-xml", ""),
    ("deep-html", "/case/deep-html", ""),
    ("many-items", "/case/many-items", "1000 new"),
    ("duplicate-guids", "/case/duplicate-guids", "1 new"),
    ("injection", "/case/injection", "1 new"),
    ("quadratic-markup", "/case/quadratic-markup", "4 new"),
    // Found by fuzzing: feed-rs panicked on this; since issue 15 repair drops the declaration.
    ("decl-mid-document", "/case/decl-mid-document", "1 new, 0 updated; recovered: dropped 1 extra XML declaration"),
    ("log-flood", "/case/log-flood", "1 new"),
];

/// Lines a poll of one source may print, whatever the upstream sends: its own line and the
/// summary of failures (GNU time's lines not counted).
const MAX_LINES: usize = 2;

#[tokio::test(flavor = "multi_thread")]
async fn hostile_upstreams_change_nothing_already_published() {
    let addr = upstream().await;
    let site = Site::new();
    let config = std::fs::read_to_string(site.config()).unwrap().replace("timeout_seconds = 60", "timeout_seconds = 3");
    std::fs::write(site.config(), config).unwrap();
    for (name, path, _) in CASES {
        let dir = site.root().join("feeds").join(format!("h-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        let def = format!(
            "title = \"{name}\"\ndescription = \"d\"\nlanguage = \"ar\"\n[[source]]\nurl = \"http://{addr}{path}\"\n"
        );
        std::fs::write(dir.join("feed.toml"), def).unwrap();
    }
    site.build();
    let seed_before = snapshot(&site.out().join(SLUG));

    // GNU time gives each case's own peak (CI installs it); getrusage below only the largest
    // so far.
    let gnu_time = std::path::Path::new("/usr/bin/time").exists();
    let mut report = Vec::new();
    for (name, path, expect) in CASES {
        let mut cmd =
            std::process::Command::new(if gnu_time { "/usr/bin/time" } else { env!("CARGO_BIN_EXE_feedpub") });
        if gnu_time {
            cmd.args(["-f", "peak-rss-kb=%M", env!("CARGO_BIN_EXE_feedpub")]);
        }
        cmd.args(["--config", site.config().to_str().unwrap(), "poll", "--feed", &format!("h-{name}")])
            .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")
            .env_remove("FEEDPUB_DATABASE_URL")
            .env_remove("RUST_LOG");
        let started = std::time::Instant::now();
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let code = out.status.code();
        assert!(matches!(code, Some(0) | Some(3)), "{name}: exit {:?} (a crash?)\n{text}", out.status);
        assert!(text.contains(&format!("http://{addr}{path}")), "{name}: the line names no URL\n{text}");
        assert!(text.contains(expect), "{name}: expected {expect:?}\n{text}");
        let own = text.lines().filter(|l| !l.starts_with("peak-rss-kb=") && !l.starts_with("Command exited"));
        assert!(own.count() <= MAX_LINES, "{name}: the log is not bounded\n{text}");
        // The largest peak of any child so far: the cases run one after another, so a case
        // past the bound fails here, at its own turn.
        let kb = children_peak_rss_kb();
        assert!(kb < RSS_BOUND_KB, "{name}: peak RSS {kb} KB");
        let secs = started.elapsed().as_secs_f64();
        let own = text.rsplit_once("peak-rss-kb=").and_then(|(_, v)| v.trim().parse::<u64>().ok());
        let own = own.map_or("?".into(), |kb| format!("{:.1}", kb as f64 / 1024.0));
        report.push(format!("{name}: exit {code:?}, peak RSS {own} MB (largest so far {} MB), {secs:.1} s", kb / 1024));
    }
    // Printed for the record (cargo test -- --nocapture).
    println!("{}", report.join("\n"));

    site.build();
    let seed_after = snapshot(&site.out().join(SLUG));
    assert!(seed_before == seed_after, "the feed published before the attacks changed");
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let needle = passwd.lines().next().unwrap_or("root:x:0:0").to_owned();
    let mut files = snapshot(&site.out());
    files.insert("store".into(), (std::fs::read(site.db()).unwrap(), std::time::SystemTime::now()));
    for (rel, (bytes, _)) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(&needle), "{rel}: holds /etc/passwd");
        if rel.ends_with(".gz") || rel.ends_with(".br") || rel == "store" || rel.starts_with('.') {
            continue;
        }
        let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{rel}: not UTF-8: {e}"));
        let lower = text.to_lowercase();
        // Our own pages carry a <style>; an upstream's never does.
        let markup =
            ["<script", "&lt;script", "javascript:", "onerror", "onclick", "onmouseover", "<iframe", "&lt;iframe"];
        for bad in markup.into_iter().chain(["<form", "&lt;form", "&lt;style", "&lt;input"]) {
            assert!(!lower.contains(bad), "{rel}: contains {bad}");
        }
        let bad_char = text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
        assert!(bad_char.is_none(), "{rel}: control character {bad_char:?}");
        if rel.ends_with(".xml") {
            feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{rel}: not a feed: {e}"));
        }
        if rel.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
    }
    // Titles stay text: markup in them, even escaped twice, parses as no element.
    let json = files.iter().find(|(k, _)| k.starts_with("h-quadratic-markup/") && k.ends_with(".json"));
    let json: serde_json::Value = serde_json::from_slice(&json.expect("a JSON Feed").1.0).unwrap();
    let titles: Vec<&str> = json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["< svg onload=alert(1)> q"; 4]);
    assert!(titles.iter().all(|t| !feedpub::source::upstream::sanitize::has_element(t)));
    let pages = |feed: &str| {
        let html = |k: &&String| k.starts_with(&format!("h-{feed}/")) && k.ends_with(".html");
        files.keys().filter(html).filter(|k| !k.contains("/archive/")).count()
    };
    // Item pages plus the feed's index page (archive pages apart).
    assert_eq!(pages("many-items"), 1_000 + 1, "a source brings at most its limit of items");
    assert_eq!(pages("duplicate-guids"), 1 + 1, "a repeated GUID is one item");
}
