//! The PostgreSQL test harness itself: scratch databases are separate, and a private cluster
//! really goes down on `stop()` and comes back, with its data, on `start()`.

mod common;

use std::time::{Duration, Instant};

use common::pg;

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = url.parse().unwrap();
    config.connect_timeout(Duration::from_secs(2));
    config.connect(postgres::NoTls)
}

#[test]
fn scratch_databases_are_distinct_and_writable() {
    let started = Instant::now();
    let cluster = pg::shared();
    eprintln!("shared cluster on port {} ready in {:?}", cluster.port(), started.elapsed());
    let (a, b) = (cluster.scratch_db(), cluster.scratch_db());
    assert_ne!(a, b);
    for (url, value) in [(&a, "in a"), (&b, "in b")] {
        assert!(url.contains(&format!("@127.0.0.1:{}/", cluster.port())), "{url}");
        let mut db = connect(url).unwrap();
        // Had the two been one database, the second CREATE TABLE would fail.
        db.batch_execute("CREATE TABLE t (v text)").unwrap();
        db.execute("INSERT INTO t VALUES ($1)", &[&value]).unwrap();
        let rows: Vec<String> = db.query("SELECT v FROM t", &[]).unwrap().iter().map(|r| r.get(0)).collect();
        assert_eq!(rows, [value]);
    }
}

#[test]
fn private_cluster_stops_and_starts_again() {
    let started = Instant::now();
    let mut cluster = pg::private();
    eprintln!("private cluster on port {} ready in {:?}", cluster.port(), started.elapsed());
    let url = cluster.scratch_db();
    connect(&url).unwrap().batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (7)").unwrap();

    cluster.stop();
    assert!(connect(&url).is_err(), "a stopped cluster accepted a connection");

    let restarted = Instant::now();
    cluster.start();
    eprintln!("restarted in {:?}", restarted.elapsed());
    // An immediate stop is a crash: what was committed before it must still be there.
    let v: i32 = connect(&url).unwrap().query_one("SELECT v FROM t", &[]).unwrap().get(0);
    assert_eq!(v, 7);
}
