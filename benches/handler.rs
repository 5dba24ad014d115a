//! CPU time of answering one request for the seed's feed in process — no socket, no kernel —
//! so changes to the hot path can be compared without wrk's noise. Run: `cargo bench --bench
//! handler`. The reference in the same run is the cheapest possible answer, a 404.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use feedpub::config::Config;
use feedpub::publish::serve::{App, Site};

fn app() -> (std::sync::Arc<App>, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(&root.join("config/feedpub.toml")).unwrap();
    config.database = feedpub::config::DatabaseUrl::Sqlite(dir.path().join("store.sqlite3"));
    let mut store = feedpub::store::open(&config.database).unwrap();
    let (_, outputs) = feedpub::pipeline::sync_and_render(&config, store.as_mut()).unwrap();
    let site = Site::new(outputs, config.compress, None);
    let etag = site.get("/russia-islamic-world/rss.xml").unwrap().unwrap().variants[0]
        .etag_header
        .to_str()
        .unwrap()
        .to_owned();
    let app = App::new(site, 0.0, Duration::ZERO, Vec::new(), Box::new(|| Ok(())), Default::default());
    (app, etag)
}

fn request(path: &str, headers: &[(&str, &str)]) -> hyper::Request<()> {
    let mut r = hyper::Request::get(path).header("user-agent", "bench/1");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(()).unwrap()
}

fn answer(c: &mut Criterion) {
    let (app, etag) = app();
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let feed = "/russia-islamic-world/rss.xml";
    let cases = [
        ("404 (reference)", request("/nope", &[])),
        ("200 identity", request(feed, &[])),
        ("200 gzip", request(feed, &[("accept-encoding", "gzip, deflate, br;q=0")])),
        ("304 If-None-Match", request(feed, &[("if-none-match", &etag)])),
        ("304 If-Modified-Since", request(feed, &[("if-modified-since", "Fri, 17 Nov 2023 00:00:00 GMT")])),
    ];
    let mut group = c.benchmark_group("answer");
    for (name, req) in &cases {
        group.bench_function(*name, |b| b.iter(|| black_box(app.answer(peer, black_box(req)))));
    }
    group.finish();
}

criterion_group!(benches, answer);
criterion_main!(benches);
