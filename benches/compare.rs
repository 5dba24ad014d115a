//! In-process figures for `benches/run`'s comparisons with Python peers, on the same inputs:
//!
//! - render: N items (the seed's Arabic paragraphs) → RSS + Atom + JSON Feed, against feedgen
//!   rendering the same items (RSS + Atom); the items go to `<out>/items-N.json` for it;
//! - ingest: an upstream RSS document of N items → read + sanitise + dedupe + store, as a poll
//!   does (`pipeline::poll::ingest`, a fresh SQLite store each repeat), against feedparser
//!   parsing the same bytes (`<out>/upstream-N.xml`);
//! - re-poll: the same document with one new item on top (and its oldest gone), into the store
//!   the first poll filled: only the new item is read and stored. Against feedparser parsing
//!   that document (`<out>/repoll-N.xml`).
//!
//! Prints one JSON object per case: median, min and max seconds over the repeats, and the bytes
//! (output for render, input for ingest). Run: `cargo bench --bench compare -- --out DIR`.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use feedpub::config::TtlBounds;
use feedpub::model::UpstreamSource;
use feedpub::model::{Content, FeedMeta, Item, ItemId, Language, Person, Slug};
use feedpub::pipeline::poll::ingest;
use feedpub::render::{FeedView, SiteMeta, render_feed_documents};
use feedpub::source::upstream::{Fetched, import, parse};
use feedpub::store::{self, SourceState};
use url::Url;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "target/compare".into()));
    let repeats: usize = arg("--repeats").map_or(5, |r| r.parse().expect("--repeats N"));
    let sizes: Vec<usize> =
        arg("--sizes").map_or(vec![100, 1_000, 10_000], |s| s.split(',').map(|n| n.parse().unwrap()).collect());
    std::fs::create_dir_all(&out).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seed = std::fs::read_to_string(root.join("feeds/russia-islamic-world/000_216685895bd1f649.txt")).unwrap();
    let paragraphs: Vec<&str> = seed.lines().filter(|l| !l.trim().is_empty()).take(5).collect();

    for &n in &sizes {
        let items = items(n, &paragraphs);
        write_items_json(&out.join(format!("items-{n}.json")), &items);
        let (meta, site) = (meta(n), site());
        let mut bytes = 0;
        let times = time(repeats, || {
            let docs = render_feed_documents(&site, FeedView { meta: &meta, items: &items }).unwrap();
            bytes = docs.iter().map(Vec::len).sum();
        });
        report("render", n, &times, bytes);
    }
    for &n in sizes.iter().filter(|n| **n <= 1_000) {
        let doc = upstream(n, &paragraphs);
        let path = out.join(format!("upstream-{n}.xml"));
        std::fs::write(&path, &doc).unwrap();
        let source = Url::parse("https://wire.example/rss").unwrap();
        let slug = Slug::new("bench").unwrap();
        // The poller writes into a store it keeps open, so opening one (a new file each repeat:
        // every item is new) is set-up, timed apart below with the close.
        let src = UpstreamSource {
            url: source.clone(),
            min_interval_minutes: 15,
            max_interval_minutes: 360,
            limit: None,
            keep: Some(10_000),
            backfill: false,
        };
        let fetched = |bytes: &[u8]| Fetched::Document {
            bytes: bytes.to_vec(),
            charset: None,
            url: source.clone(),
            validators: Default::default(),
            moved_to: None,
            freshness: Default::default(),
            links: Default::default(),
        };
        let times = time_with(repeats, open_store, |input| {
            let (_, s) = input.as_mut().unwrap();
            let polled = ingest(s.as_mut(), &slug, &src, fetched(&doc), Utc::now()).unwrap();
            assert_eq!(polled.report.added, n);
        });
        report("ingest", n, &times, doc.len());
        // The next poll: one new item on top, the oldest gone; the first poll is set-up.
        let next = repoll(&doc, n);
        std::fs::write(out.join(format!("repoll-{n}.xml")), &next).unwrap();
        let filled = || {
            let (dir, mut s) = open_store();
            ingest(s.as_mut(), &slug, &src, fetched(&doc), Utc::now()).unwrap();
            (dir, s)
        };
        let times = time_with(repeats, filled, |input| {
            let (_, s) = input.as_mut().unwrap();
            let polled = ingest(s.as_mut(), &slug, &src, fetched(&next), Utc::now()).unwrap();
            assert_eq!((polled.report.added, polled.report.updated, polled.report.unchanged), (1, 0, n - 1));
        });
        report("re-poll: 1 new among N", n, &times, next.len());
        // Where the time goes, stage by stage, for the write-up.
        let times = time(repeats, || {
            parse(&doc, None, &source).unwrap();
        });
        report("ingest: read (parse + sanitise)", n, &times, doc.len());
        let feed = parse(&doc, None, &source).unwrap();
        let times = time(repeats, || {
            import::import(&source, &source, &feed, None);
        });
        report("ingest: import (ids, summaries)", n, &times, doc.len());
        let articles = import::import(&source, &source, &feed, None);
        let times = time_with(repeats, open_store, |input| {
            let (_, s) = input.as_mut().unwrap();
            let now = Utc::now();
            s.record_poll(&slug, &source, &SourceState::new(&source, now), &articles, 1_000, now).unwrap();
        });
        report("ingest: store (one transaction, open store)", n, &times, doc.len());
        let times = time(repeats, || drop(open_store()));
        report("not in ingest: open + migrate a new store file, close", 0, &times, 0);
        let times = time_with(
            repeats,
            || {
                let (dir, mut s) = open_store();
                let now = Utc::now();
                s.record_poll(&slug, &source, &SourceState::new(&source, now), &articles, 1_000, now).unwrap();
                (dir, s)
            },
            |input| drop(input.take()),
        );
        report("not in ingest: close after the poll (WAL checkpoint, fsync)", n, &times, doc.len());
    }
}

fn time(repeats: usize, mut f: impl FnMut()) -> Vec<f64> {
    time_with(repeats, || (), |_| f())
}

/// Times `f` on what `setup` made; neither `setup` nor dropping its value (a store closing)
/// is timed, unless `f` takes the value out of the `Option` and drops it.
fn time_with<T>(repeats: usize, mut setup: impl FnMut() -> T, mut f: impl FnMut(&mut Option<T>)) -> Vec<f64> {
    f(&mut Some(setup())); // warm-up
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let mut input = Some(setup());
            let t = Instant::now();
            f(&mut input);
            let elapsed = t.elapsed().as_secs_f64();
            drop(input);
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

fn open_store() -> (tempfile::TempDir, Box<dyn store::Store>) {
    let dir = tempfile::tempdir().unwrap();
    let s = store::open(&feedpub::config::DatabaseUrl::Sqlite(dir.path().join("s.sqlite3"))).unwrap();
    (dir, s)
}

fn report(case: &str, n: usize, times: &[f64], bytes: usize) {
    let median = times[times.len() / 2];
    println!(
        "{}",
        serde_json::json!({"tool": "feedpub", "case": case, "n": n, "median_s": median, "min_s": times[0],
                           "max_s": times[times.len() - 1], "bytes": bytes, "repeats": times.len()})
    );
}

fn items(n: usize, paragraphs: &[&str]) -> Vec<Item> {
    let t0 = Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
            let mut content = Content::new(format!("خبر رقم {i}"), paragraphs[0], body);
            content.link = Some(Url::parse(&format!("https://wire.example/n/{i}")).unwrap());
            let published = t0 + Duration::minutes(i as i64);
            Item { id: ItemId::new(format!("item-{i}")).unwrap(), content, published, updated: published }
        })
        .rev()
        .collect()
}

fn write_items_json(path: &std::path::Path, items: &[Item]) {
    let list: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            serde_json::json!({"id": i.id.as_str(), "title": i.content.title, "summary": i.content.summary,
                "content": i.content.body_html, "link": i.content.link.as_ref().map(Url::as_str),
                "published": i.published.to_rfc3339()})
        })
        .collect();
    std::fs::write(path, serde_json::to_vec(&list).unwrap()).unwrap();
}

fn meta(n: usize) -> FeedMeta {
    let publisher = Person { name: "مجموعة الرؤية".into(), email: None, uri: None };
    FeedMeta {
        slug: Slug::new("bench").unwrap(),
        title: "Bench".into(),
        description: "d".into(),
        language: Language::parse("ar").unwrap(),
        link: None,
        publisher: publisher.clone(),
        author: publisher,
        rights: None,
        limit: n,
        id: None,
        ttl_minutes: None,
        sources: Vec::new(),
    }
}

fn site() -> SiteMeta {
    SiteMeta {
        base_url: Url::parse("https://example.org/").unwrap(),
        title: "feedpub".into(),
        language: Language::parse("en").unwrap(),
        ttl: TtlBounds { min_minutes: 15, max_minutes: 360 },
        hub: None,
    }
}

/// `doc` with a new item before its first and without its last (of `n`).
fn repoll(doc: &[u8], n: usize) -> Vec<u8> {
    let text = std::str::from_utf8(doc).unwrap();
    let first = text.find("<item>").unwrap();
    let last = text.rfind("<item>").unwrap();
    let new = text[first..text[first..].find("</item>").unwrap() + first + 7]
        .replace("<guid>g-0</guid>", &format!("<guid>g-{n}</guid>"))
        .replace("خبر رقم 0<", "خبر جديد<");
    format!("{}{new}{}{}", &text[..first], &text[first..last], &text[text.rfind("</item>").unwrap() + 7..]).into_bytes()
}

fn upstream(n: usize, paragraphs: &[&str]) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>w</title>\
         <link>https://wire.example/</link><description>d</description>",
    );
    for i in 0..n {
        let body =
            format!("<p dir=\"rtl\" lang=\"ar\">{}</p><p>{i} <script>x()</script></p>", paragraphs.join("</p><p>"));
        doc.push_str(&format!(
            "<item><guid>g-{i}</guid><title>خبر رقم {i}</title><link>https://wire.example/n/{i}</link>\
             <pubDate>Fri, 17 Nov 2023 08:{:02}:00 +0300</pubDate><description>{}</description></item>",
            i % 60,
            html_escape::encode_text(&body)
        ));
    }
    doc.push_str("</channel></rss>");
    doc.into_bytes()
}
