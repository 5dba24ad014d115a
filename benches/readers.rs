//! CPU time of `Readers::observe` — the reader report and re-fetch guard every feed request
//! passes through under one mutex — for a client it has not seen, with nobody tracked yet and
//! with [`MAX_CLIENTS`] clients tracked, all seen a moment ago (the case that used to scan the
//! whole map on every new client). Run: `cargo bench --bench readers`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use feedpub::publish::serve::readers::{MAX_CLIENTS, Poll, Readers};

const PATH: &str = "/russia-islamic-world/rss.xml";

/// The `n`th made-up client address, distinct for every `n`.
fn ip(n: u128) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | n))
}

fn poll(n: u128) -> Poll<'static> {
    Poll { ip: ip(n), user_agent: "bench/1", path: PATH, conditional: true }
}

fn observe_new_client(c: &mut Criterion) {
    let mut group = c.benchmark_group("observe new client");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    let now = Instant::now();
    // A fresh tracker per call, built outside the timing, that has seen one client (so the
    // User-Agent is known and the maps exist): the cost of a new client, not of first allocations.
    group.bench_function("empty map", |b| {
        b.iter_batched_ref(
            || {
                let r = Readers::new(Duration::from_secs(60));
                r.observe(&poll(0), 304, now).unwrap();
                r
            },
            |r| black_box(r.observe(&poll(1), 304, now)),
            BatchSize::SmallInput,
        )
    });
    let full = Readers::new(Duration::from_secs(60));
    for n in 0..MAX_CLIENTS as u128 {
        full.observe(&poll(n), 304, now).unwrap();
    }
    // Every call a client never seen before, so the map stays full of recent clients.
    let mut next = MAX_CLIENTS as u128;
    group.bench_function("full map (100,000 clients)", |b| {
        b.iter(|| {
            next += 1;
            black_box(full.observe(&poll(next), 304, now))
        })
    });
    group.finish();
}

criterion_group!(benches, observe_new_client);
criterion_main!(benches);
