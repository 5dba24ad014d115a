//! The store through the library API, with a controlled clock. Every behaviour runs on both
//! backends (the `sqlite` and `postgres` modules at the end, made by `on_both!`): SQLite in a
//! temporary file, PostgreSQL in a scratch database of a private server on 127.0.0.1. What
//! only one backend has (SQLite's file migrations and WAL, PostgreSQL's reconnects and
//! concurrent migrations) is tested on that one.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use feedpub::config::DatabaseUrl;
use feedpub::model::{Article, Content, ItemId, Slug, UpstreamSource};
use feedpub::store::{self, Backfill, Claim, Polled, SourceState, Store, SyncReport, UpstreamArticle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// An empty store of `backend`: its URL, and what keeps it alive.
struct Fresh {
    url: DatabaseUrl,
    _dir: tempfile::TempDir,
}

fn fresh(backend: Backend) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => DatabaseUrl::Sqlite(dir.path().join("nested/db.sqlite3")),
        Backend::Postgres => DatabaseUrl::parse(&common::pg::shared().scratch_db()).unwrap(),
    };
    Fresh { url, _dir: dir }
}

/// Each named test, once per backend.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(super::Backend::Postgres) })*
        }
    };
}

on_both!(
    sync_adds_changes_removes_and_is_idempotent,
    metadata_updated_wins_and_limit_applies,
    a_vanished_feed_takes_its_items_along,
    a_newer_schema_is_refused,
    polls_store_items_and_state_beside_local_articles,
    an_upstream_cannot_grow_pin_or_outlive_its_source,
    leases_let_one_replica_poll_a_source,
    concurrent_claims_take_each_source_once,
    definitions_and_the_change_sequence_are_shared,
    order_is_by_byte_whatever_the_locale,
    raw_hashes_let_a_poll_skip_what_it_has,
    a_page_of_history_ranks_below_what_the_source_lists,
    owed_deliveries_have_one_sender_and_a_newer_version_ends_them,
    concurrent_claims_distribute_a_version_once,
    a_host_is_counted_whatever_its_scheme_and_port,
);

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, day, 12, 0, 0).unwrap()
}

fn article(id: &str, body: &str, day: u32) -> Article {
    Article {
        id: ItemId::new(id).unwrap(),
        content: Content::new(format!("title {id}"), "s", body),
        published: at(day),
        updated: None,
    }
}

fn report(added: usize, changed: usize, removed: usize, unchanged: usize) -> SyncReport {
    SyncReport { added, changed, removed, unchanged, unlisted: 0 }
}

fn sync_adds_changes_removes_and_is_idempotent(backend: Backend) {
    let db = fresh(backend);
    let url = db.url.clone();
    let feed = Slug::new("f").unwrap();
    let mut s = store::open(&url).unwrap();
    let v1 = [article("a", "<p>1</p>", 1), article("b", "<p>2</p>", 2)];
    assert_eq!(s.sync_local(&[(&feed, &v1)], at(10)).unwrap(), report(2, 0, 0, 0));
    assert_eq!(s.sync_local(&[(&feed, &v1)], at(11)).unwrap(), report(0, 0, 0, 2));

    let items = s.items(&feed, Some(10)).unwrap();
    assert_eq!(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["b", "a"], "newest first");
    // Original content: updated is the publication time, not the sync time.
    assert_eq!(items[1].updated, at(1));

    let v2 = [article("a", "<p>1 fixed</p>", 1)];
    assert_eq!(s.sync_local(&[(&feed, &v2)], at(12)).unwrap(), report(0, 1, 1, 0));
    let items = s.items(&feed, Some(10)).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].content.body_html, "<p>1 fixed</p>");
    assert_eq!(items[0].updated, at(12), "updated = when the store first saw this content");

    // Later syncs keep that time: the bytes stay stable.
    drop(s);
    let mut s = store::open(&url).unwrap();
    assert_eq!(s.sync_local(&[(&feed, &v2)], at(20)).unwrap(), report(0, 0, 0, 1));
    assert_eq!(s.items(&feed, Some(10)).unwrap()[0].updated, at(12));
}

fn metadata_updated_wins_and_limit_applies(backend: Backend) {
    let db = fresh(backend);
    let mut s = store::open(&db.url).unwrap();
    let feed = Slug::new("f").unwrap();
    let mut a = article("a", "<p>x</p>", 1);
    a.updated = Some(at(5));
    let many: Vec<Article> = (1..=9).map(|d| article(&format!("n{d}"), "<p/>", d)).chain([a]).collect();
    s.sync_local(&[(&feed, &many)], at(28)).unwrap();
    let items = s.items(&feed, Some(3)).unwrap();
    assert_eq!(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["n9", "n8", "n7"]);
    let all = s.items(&feed, Some(100)).unwrap();
    let a = all.iter().find(|i| i.id.as_str() == "a").unwrap();
    assert_eq!(a.updated, at(5));
    // Same publication time: ties are broken by id, so the order never wobbles.
    assert_eq!(all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>()[8..], ["a", "n1"]);
}

fn a_vanished_feed_takes_its_items_along(backend: Backend) {
    let db = fresh(backend);
    let mut s = store::open(&db.url).unwrap();
    let (f, g) = (Slug::new("f").unwrap(), Slug::new("g").unwrap());
    let arts = [article("a", "<p/>", 1)];
    s.sync_local(&[(&f, &arts), (&g, &arts)], at(2)).unwrap();
    assert_eq!(s.sync_local(&[(&f, &arts)], at(3)).unwrap(), report(0, 0, 1, 1));
    assert!(s.items(&g, Some(10)).unwrap().is_empty());
}

/// The number of migrations each backend has.
fn migrations(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 11,
        Backend::Postgres => 6,
    }
}

fn a_newer_schema_is_refused(backend: Backend) {
    let db = fresh(backend);
    let s = store::open_sql(&db.url).unwrap();
    assert_eq!(s.schema_version().unwrap(), migrations(backend));
    drop(s);
    // Reopening does not re-run migrations.
    assert_eq!(store::open_sql(&db.url).unwrap().schema_version().unwrap(), migrations(backend));
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            rusqlite::Connection::open(path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = ::postgres::Client::connect(url.expose(), ::postgres::NoTls).unwrap();
            c.batch_execute("UPDATE feedpub_schema SET version = 99").unwrap();
        }
    }
    let e = store::open(&db.url).err().unwrap().to_string();
    assert!(e.contains("schema version 99") && e.contains("upgrade feedpub"), "{e}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let text = "this is not sqlite, and it is long enough to have a header page......";
    std::fs::write(&path, text).unwrap();
    let e = store::open(&DatabaseUrl::Sqlite(path.clone())).err().unwrap().to_string();
    assert!(e.contains("notes.txt"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "the file was modified");
}

fn upstream(id: &str, body: &str, published: Option<DateTime<Utc>>) -> UpstreamArticle {
    UpstreamArticle {
        id: ItemId::new(id).unwrap(),
        content: Content::new(format!("up {id}"), "s", body),
        published,
        updated: None,
        raw_hash: None,
    }
}

fn polls_store_items_and_state_beside_local_articles(backend: Backend) {
    let db = fresh(backend);
    let mut s = store::open(&db.url).unwrap();
    let feed = Slug::new("f").unwrap();
    let source = url::Url::parse("https://wire.example/rss").unwrap();
    assert_eq!(s.source_state(&feed, &source).unwrap(), None);
    s.sync_local(&[(&feed, &[article("local", "<p>l</p>", 1)])], at(2)).unwrap();

    let mut state = SourceState::new(&source, at(3));
    state.etag = Some("\"e1\"".into());
    state.last_status = Some("200".into());
    let batch = [upstream("u1", "<p>one</p>", Some(at(2))), upstream("u2", "<p>undated</p>", None)];
    let r = s.record_poll(&feed, &source, &state, &batch, 1_000, at(3)).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (2, 0, 0));
    assert_eq!(s.source_state(&feed, &source).unwrap(), Some(state.clone()));
    let states = s.source_states(&feed).unwrap();
    assert_eq!((states.len(), states.get(&source)), (1, Some(&state)));
    assert!(s.source_states(&Slug::new("other").unwrap()).unwrap().is_empty());
    // Polling again brings nothing new, and the undated item keeps its first-seen time.
    let r = s.record_poll(&feed, &source, &state, &batch, 1_000, at(9)).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (0, 0, 2));
    let items = s.items(&feed, None).unwrap();
    let undated = items.iter().find(|i| i.id.as_str() == "u2").unwrap();
    assert_eq!(undated.published, at(3));
    // New content under a known id updates the item.
    let changed = [upstream("u1", "<p>one, corrected</p>", Some(at(2)))];
    let r = s.record_poll(&feed, &source, &state, &changed, 1_000, at(10)).unwrap();
    assert_eq!((r.added, r.updated), (0, 1));
    // A local sync leaves upstream items alone.
    let sync = s.sync_local(&[(&feed, &[article("local", "<p>l</p>", 1)])], at(11)).unwrap();
    assert_eq!((sync.removed, sync.unchanged), (0, 1));
    let ids: Vec<String> = s.items(&feed, None).unwrap().iter().map(|i| i.id.to_string()).collect();
    assert_eq!(ids, ["u2", "u1", "local"]);
    // A vanished feed takes its sources' items and state along.
    s.sync_local(&[], at(12)).unwrap();
    assert!(s.items(&feed, None).unwrap().is_empty());
    assert_eq!(s.source_state(&feed, &source).unwrap(), None);
}

/// A page of a source's history (`backfill`) is stored behind what its polls brought: first seen
/// before all of it, so `keep` drops the page's items first, the undated one (dated a second
/// before the earliest date known) before all; the walk is done once the source is full, and
/// where it stands is kept in the source's state.
fn a_page_of_history_ranks_below_what_the_source_lists(backend: Backend) {
    let db = fresh(backend);
    let mut s = store::open(&db.url).unwrap();
    let feed = Slug::new("f").unwrap();
    let source = url::Url::parse("https://wire.example/rss").unwrap();
    let state = SourceState::new(&source, at(10));
    let polled: Vec<_> = (5..=7).map(|d| upstream(&format!("p{d}"), "<p>p</p>", Some(at(d)))).collect();
    s.record_poll(&feed, &source, &state, &polled, 5, at(10)).unwrap();
    let page2 = Backfill::At { page: url::Url::parse("https://wire.example/archive/2").unwrap(), read: 1 };

    // A page with one item, and an older version of one the poll brought: room for the new one,
    // the poll's version stays, and the walk goes on from the next page.
    let page = [upstream("h4", "<p>h</p>", Some(at(4))), upstream("p7", "<p>older text</p>", Some(at(7)))];
    let none = Polled { items: &page, unchanged: &[] };
    let (r, next) = s.record_backfill(&feed, &source, none, 5, &page2, at(11)).unwrap();
    assert_eq!((r.added, r.updated, r.removed, &next), (1, 0, 0, &page2));
    assert_eq!(s.source_state(&feed, &source).unwrap().unwrap().backfill, page2);
    let p7 = s.items(&feed, None).unwrap().into_iter().find(|i| i.id.as_str() == "p7").unwrap();
    assert_eq!(p7.content.body_html, "<p>p</p>", "history never rewrites what the document brought");

    // The next page brings two; one fits, and the undated one goes first.
    let page = [upstream("h2", "<p>h</p>", Some(at(2))), upstream("h0", "<p>undated</p>", None)];
    let polled_page = Polled { items: &page, unchanged: &[] };
    let (r, next) = s.record_backfill(&feed, &source, polled_page, 5, &page2, at(11)).unwrap();
    assert_eq!((r.added, r.removed, &next), (2, 1, &Backfill::Done), "keep reached: done");
    let ids: Vec<String> = s.items(&feed, None).unwrap().iter().map(|i| i.id.to_string()).collect();
    assert_eq!(ids, ["p7", "p6", "p5", "h4", "h2"], "the undated h0 ranked last and went");
    let state = s.source_state(&feed, &source).unwrap().unwrap();
    assert_eq!(state.backfill, Backfill::Done);
    // A walk another process finished stays finished, and a poll's own state write leaves the
    // walk where it is.
    let none = Polled { items: &[], unchanged: &[] };
    s.record_backfill(&feed, &source, none, 50, &page2, at(12)).unwrap();
    assert_eq!(s.source_state(&feed, &source).unwrap().unwrap().backfill, Backfill::Done);
    s.record_poll(&feed, &source, &SourceState { backfill: Backfill::NotBegun, ..state }, &polled, 5, at(12)).unwrap();
    assert_eq!(s.source_state(&feed, &source).unwrap().unwrap().backfill, Backfill::Done);
}

#[test]
fn a_version_1_store_migrates_and_keeps_its_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../src/store/migrations/sqlite/0001_items.sql")).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    let content = serde_json::to_string(&Content::new("t", "s", "<p>kept</p>")).unwrap();
    conn.execute("INSERT INTO items VALUES ('f', 'a', '2024-01-01T12:00:00Z', NULL, NULL, 'h', ?1)", [content])
        .unwrap();
    drop(conn);
    let s = store::open_sql(&DatabaseUrl::Sqlite(path.clone())).unwrap();
    assert_eq!(s.schema_version().unwrap(), migrations(Backend::Sqlite));
    let items = s.items(&Slug::new("f").unwrap(), None).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].content.body_html, "<p>kept</p>");
}

#[test]
fn a_checkpoint_puts_a_large_poll_into_the_main_file() {
    // A 1,000-item poll stays in the WAL (the commit no longer checkpoints on its own), and
    // `checkpoint` folds it into the database file: a copy of that file alone, without its
    // -wal, holds every item.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let mut s = store::open(&DatabaseUrl::Sqlite(path.clone())).unwrap();
    let feed = Slug::new("f").unwrap();
    let source = url::Url::parse("https://wire.example/rss").unwrap();
    let body = "<p>".to_owned() + &"نص ".repeat(600) + "</p>";
    let batch: Vec<_> = (0..1_000).map(|i| upstream(&format!("u{i}"), &body, Some(at(2)))).collect();
    s.record_poll(&feed, &source, &SourceState::new(&source, at(3)), &batch, 1_000, at(3)).unwrap();
    let items_in_copy = |name: &str| {
        let copy = dir.path().join(name);
        std::fs::copy(&path, &copy).unwrap();
        let c = rusqlite::Connection::open(&copy).unwrap();
        c.query_row("SELECT COUNT(*) FROM items", [], |r| r.get::<_, i64>(0)).unwrap_or(-1)
    };
    assert!(items_in_copy("before.sqlite3") < 1_000, "the commit already checkpointed");
    s.checkpoint().unwrap();
    assert_eq!(items_in_copy("after.sqlite3"), 1_000);
    assert_eq!(s.items(&feed, None).unwrap().len(), 1_000);
}

/// Issue 12, class 4: a source keeps its newest `keep` items by first-seen order (whatever
/// dates they claim); a date more than a day ahead of the clock is kept only as data, the item
/// published when first seen, and that holds at every later poll that repeats it; a source that
/// `feed.toml` no longer lists takes its items and state along.
fn an_upstream_cannot_grow_pin_or_outlive_its_source(backend: Backend) {
    let db = fresh(backend);
    let mut s = store::open(&db.url).unwrap();
    let feed = Slug::new("f").unwrap();
    let source = url::Url::parse("https://wire.example/rss").unwrap();
    let state = SourceState::new(&source, at(3));
    // Day 3: three items, one claiming the year 2099.
    let far = Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap();
    let first = [
        upstream("a", "<p>a</p>", Some(at(1))),
        upstream("pin", "<p>p</p>", Some(far)),
        upstream("b", "<p>b</p>", None),
    ];
    let r = s.record_poll(&feed, &source, &state, &first, 3, at(3)).unwrap();
    assert_eq!((r.added, r.removed), (3, 0));
    let published = |s: &dyn Store, id: &str| {
        s.items(&feed, None).unwrap().into_iter().find(|i| i.id.as_str() == id).map(|i| i.published)
    };
    assert_eq!(published(s.as_ref(), "pin"), Some(at(3)), "published when first seen, not in 2099");
    // Within a day of first seen is believed.
    let soon = at(3) + chrono::TimeDelta::hours(20);
    s.record_poll(&feed, &source, &state, &[upstream("soon", "<p>s</p>", Some(soon))], 4, at(3)).unwrap();
    assert_eq!(published(s.as_ref(), "soon"), Some(soon));
    // Day 20, the same claim again: still first seen, unchanged (no jump as 2099 comes closer).
    let r = s.record_poll(&feed, &source, &state, &first[1..2], 4, at(20)).unwrap();
    assert_eq!((r.unchanged, r.removed), (1, 0));
    assert_eq!(published(s.as_ref(), "pin"), Some(at(3)));
    // Day 21: two new items; keep 4 drops two of those first seen on day 3 (a tie there goes by
    // date, newest kept, then by id), never a new one, however old its date.
    let r = s
        .record_poll(
            &feed,
            &source,
            &state,
            &[upstream("c", "<p>c</p>", Some(at(1))), upstream("d", "<p>d</p>", None)],
            4,
            at(21),
        )
        .unwrap();
    assert_eq!((r.added, r.removed), (2, 2));
    let mut ids: Vec<String> = s.items(&feed, None).unwrap().iter().map(|i| i.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["b", "c", "d", "soon"], "c, dated day 1, stays: it was seen last");
    // The source leaves feed.toml: its items and its state go; another source's stay.
    let other = url::Url::parse("https://other.example/rss").unwrap();
    s.record_poll(&feed, &other, &SourceState::new(&other, at(21)), &[upstream("o", "<p>o</p>", None)], 10, at(21))
        .unwrap();
    let listed = [UpstreamSource {
        url: other.clone(),
        min_interval_minutes: 15,
        max_interval_minutes: 360,
        limit: None,
        keep: None,
        backfill: false,
    }];
    assert_eq!(s.drop_unlisted_sources(&[(&feed, &listed)]).unwrap(), 4);
    assert_eq!(s.items(&feed, None).unwrap().len(), 1);
    assert_eq!(s.source_state(&feed, &source).unwrap(), None);
    assert!(s.source_state(&feed, &other).unwrap().is_some());
    assert_eq!(s.drop_unlisted_sources(&[(&feed, &listed)]).unwrap(), 0, "nothing more to remove");
}

/// A version-2 store (before `first_seen`) migrates: its upstream items get a first-seen time
/// no later than now, and one that claimed a far-future date is published at it instead.
#[test]
fn a_version_2_store_migrates_its_upstream_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../src/store/migrations/sqlite/0001_items.sql")).unwrap();
    conn.execute_batch(include_str!("../src/store/migrations/sqlite/0002_sources.sql")).unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    let content = serde_json::to_string(&Content::new("t", "s", "<p>x</p>")).unwrap();
    for (id, published) in [("old", "2024-01-01T12:00:00Z"), ("pin", "2099-01-01T00:00:00Z")] {
        conn.execute(
            "INSERT INTO items VALUES ('f', ?1, ?2, NULL, NULL, 'h', ?3, 'https://wire.example/rss')",
            [id, published, &content],
        )
        .unwrap();
    }
    drop(conn);
    let s = store::open_sql(&DatabaseUrl::Sqlite(path.clone())).unwrap();
    assert_eq!(s.schema_version().unwrap(), migrations(Backend::Sqlite));
    let items = s.items(&Slug::new("f").unwrap(), None).unwrap();
    let pin = items.iter().find(|i| i.id.as_str() == "pin").unwrap();
    assert!(pin.published <= Utc::now(), "{}", pin.published);
    assert_eq!(items.iter().find(|i| i.id.as_str() == "old").unwrap().published, at(1));
}

fn source(n: u32) -> url::Url {
    url::Url::parse(&format!("https://wire.example/{n}.rss")).unwrap()
}

/// Two stores on one database are two replicas: a due source is claimed by one of them only;
/// the poll's record releases it with the new schedule, so the other finds it not due; a
/// lease its holder never released (a killed replica) runs out.
fn leases_let_one_replica_poll_a_source(backend: Backend) {
    let db = fresh(backend);
    let (mut a, mut b) = (store::open(&db.url).unwrap(), store::open(&db.url).unwrap());
    let feed = Slug::new("f").unwrap();
    let (src, until) = (source(1), at(3) + chrono::TimeDelta::minutes(2));
    let Claim::Taken(state) = a.claim(&feed, &src, at(3), until, false).unwrap() else { panic!("a should take it") };
    assert_eq!(state, SourceState::new(&src, at(3)), "never polled: due now");
    assert_eq!(b.claim(&feed, &src, at(3), until, false).unwrap(), Claim::Elsewhere);
    assert_eq!(b.claim(&feed, &src, at(3), until, true).unwrap(), Claim::Elsewhere, "forced or not");
    // A claims again (its own lease), then records the poll: due in an hour, lease released.
    assert!(matches!(a.claim(&feed, &src, at(3), until, false).unwrap(), Claim::Taken(_)));
    let mut polled = state.clone();
    polled.next_poll = at(3) + chrono::TimeDelta::hours(1);
    a.record_poll(&feed, &src, &polled, &[upstream("x", "<p>x</p>", None)], 10, at(3)).unwrap();
    assert_eq!(b.claim(&feed, &src, at(3), until, false).unwrap(), Claim::NotDue(polled.clone()));
    let Claim::Taken(_) = b.claim(&feed, &src, at(3), until, true).unwrap() else { panic!("force takes a free lease") };
    // B dies holding it: until the lease runs out nobody polls; after, A does.
    let later = at(4);
    assert_eq!(a.claim(&feed, &src, until - chrono::TimeDelta::seconds(1), later, true).unwrap(), Claim::Elsewhere);
    assert!(matches!(a.claim(&feed, &src, until, later, true).unwrap(), Claim::Taken(_)));
    // B's late record (its lease ran out, A holds the source now) writes nothing: neither its
    // stale state nor its items, and A's lease stays.
    let mut stale = polled.clone();
    stale.etag = Some("\"stale\"".into());
    let r = b.record_poll(&feed, &src, &stale, &[upstream("late", "<p>l</p>", None)], 10, at(3)).unwrap();
    assert!(r.lease_lost && r.added == 0, "{r:?}");
    assert_eq!(a.source_state(&feed, &src).unwrap(), Some(polled.clone()));
    assert!(a.items(&feed, None).unwrap().iter().all(|i| i.id.as_str() != "late"));
    assert_eq!(b.claim(&feed, &src, until, later, true).unwrap(), Claim::Elsewhere);
    // A retired source is never claimed.
    let (gone, mut retired) = (source(2), SourceState::new(&source(2), at(3)));
    retired.retired = true;
    a.record_poll(&feed, &gone, &retired, &[], 10, at(3)).unwrap();
    assert_eq!(b.claim(&feed, &gone, at(5), at(6), true).unwrap(), Claim::Retired(retired));
}

/// Six stores claim the same 30 sources at the same moment, from six threads: each source is
/// taken by exactly one of them (PostgreSQL: row locks skipped, not waited for; SQLite: one
/// writer at a time).
fn concurrent_claims_take_each_source_once(backend: Backend) {
    let db = fresh(backend);
    let feed = Slug::new("f").unwrap();
    store::open(&db.url).unwrap();
    let start = std::sync::Arc::new(std::sync::Barrier::new(6));
    let claimers: Vec<_> = (0..6)
        .map(|_| {
            let (url, feed, start) = (db.url.clone(), feed.clone(), start.clone());
            std::thread::spawn(move || {
                let mut s = store::open(&url).unwrap();
                start.wait();
                (0..30)
                    .filter(|&n| {
                        let claim = s.claim(&feed, &source(n), at(3), at(4), false).unwrap();
                        matches!(claim, Claim::Taken(_))
                    })
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut taken: Vec<u32> = claimers.into_iter().flat_map(|t| t.join().unwrap()).collect();
    taken.sort_unstable();
    assert_eq!(taken, (0..30).collect::<Vec<_>>(), "each source taken once");
}

/// What a replica without `feeds/` needs: the definitions as synced, and the change sequence
/// (the head moves with every change, and names the feed that changed).
fn definitions_and_the_change_sequence_are_shared(backend: Backend) {
    let db = fresh(backend);
    let (mut writer, reader) = (store::open(&db.url).unwrap(), store::open(&db.url).unwrap());
    let feed = Slug::new("f").unwrap();
    let start = reader.head().unwrap();
    let definition = "title = \"F\"\nlanguage = \"ar\"\n";
    let mut sync = writer.begin_local_sync(at(2)).unwrap();
    let files = [(
        "a.txt".to_owned(),
        store::FileRecord { stamp: "1".into(), hash: "h".into(), id: ItemId::new("a").unwrap() },
    )];
    let delta = store::LocalDelta {
        feed: &feed,
        def_hash: "d1",
        definition,
        files: &files,
        articles: &[article("a", "<p>a</p>", 1)],
        gone: &[],
        unchanged: 0,
    };
    sync.apply(delta).unwrap();
    // Not committed yet: the other connection sees nothing.
    assert_eq!(reader.head().unwrap(), start);
    assert!(reader.definitions().unwrap().is_empty());
    sync.commit(&[&feed]).unwrap();
    let head = reader.head().unwrap();
    assert_eq!(head.store_id, start.store_id);
    assert!(head.seq > start.seq, "{head:?} after {start:?}");
    assert_eq!(reader.definitions().unwrap(), [(feed.clone(), definition.to_owned())]);
    assert_eq!(reader.feed_changes().unwrap()[&feed].changed, head.seq);
    assert_eq!(reader.item_ids(&feed, Some(start.seq)).unwrap(), [ItemId::new("a").unwrap()]);
    assert!(reader.item_ids(&feed, Some(head.seq)).unwrap().is_empty());
    // A poll that brings nothing new moves nothing.
    let src = source(1);
    writer.record_poll(&feed, &src, &SourceState::new(&src, at(3)), &[], 10, at(3)).unwrap();
    assert_eq!(reader.head().unwrap(), head);
}

/// Items published at the same time are ordered by id, byte by byte, in both backends (a
/// PostgreSQL server's locale would otherwise put `a` before `B`): the same store state gives
/// the same bytes on every replica.
fn order_is_by_byte_whatever_the_locale(backend: Backend) {
    let db = fresh(backend);
    let url = match backend {
        Backend::Sqlite => db.url.clone(),
        // A database whose default collation is English (ICU): `ORDER BY` on plain text
        // would put `a` before `B` here.
        Backend::Postgres => {
            let cluster = common::pg::shared();
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let name = format!("feedpub_icu_{secs}_{}", std::process::id());
            let mut admin = ::postgres::Client::connect(&cluster.url("postgres"), ::postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!(
                    "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
                ))
                .unwrap();
            let mut check = ::postgres::Client::connect(&cluster.url(&name), ::postgres::NoTls).unwrap();
            let plain: Vec<String> = check
                .query("SELECT x FROM (VALUES ('a'), ('B')) v(x) ORDER BY x", &[])
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(plain, ["a", "B"], "the database's own collation is not byte order");
            DatabaseUrl::parse(&cluster.url(&name)).unwrap()
        }
    };
    let mut s = store::open(&url).unwrap();
    let feed = Slug::new("f").unwrap();
    let ids = ["b", "B", "a", "0x", "A-1", "a_1", "Z"];
    let arts: Vec<Article> = ids.iter().map(|id| article(id, "<p/>", 1)).collect();
    s.sync_local(&[(&feed, &arts)], at(2)).unwrap();
    let got: Vec<String> = s.items(&feed, None).unwrap().iter().map(|i| i.id.to_string()).collect();
    let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
}

/// Replicas that start together migrate a new database once: the others wait on the advisory
/// lock and find it done.
#[test]
fn postgres_migrates_once_when_replicas_start_together() {
    let url = DatabaseUrl::parse(&common::pg::shared().scratch_db()).unwrap();
    let opened: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || store::open_sql(&url).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    for t in opened {
        assert_eq!(t.join().unwrap().unwrap(), migrations(Backend::Postgres));
    }
    assert_eq!(store::open(&url).unwrap().head().unwrap().seq, 1);
}

/// `sslmode=require` against a server without TLS is refused (never a silent plaintext
/// connection), and the message names the server without the password.
#[test]
fn postgres_sslmode_require_is_honoured_and_the_password_never_shown() {
    let cluster = common::pg::shared();
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{}/postgres?sslmode=require", cluster.port());
    let e = store::open(&DatabaseUrl::parse(&url).unwrap()).err().unwrap();
    let text = format!("{e} {e:?}");
    assert!(text.contains("TLS") || text.contains("tls"), "{text}");
    assert!(text.contains("127.0.0.1") && !text.contains("hunter2"), "{text}");
    // Without it (sslmode=prefer), the same server is used in plain text.
    let plain = url.replace("sslmode=require", "sslmode=prefer");
    store::open(&DatabaseUrl::parse(&plain).unwrap()).unwrap();
}

/// The database goes away and comes back: the store reports it unreachable meanwhile and
/// answers again afterwards on the same object, without being opened anew; nothing committed
/// before is lost.
#[test]
fn postgres_reconnects_after_the_database_comes_back() {
    let mut cluster = common::pg::private();
    let url = DatabaseUrl::parse(&cluster.scratch_db()).unwrap();
    let mut s = store::open(&url).unwrap();
    let feed = Slug::new("f").unwrap();
    s.sync_local(&[(&feed, &[article("a", "<p>a</p>", 1)])], at(2)).unwrap();
    cluster.stop();
    let e = s.ping().expect_err("the database is down");
    assert!(e.is_unavailable(), "{e}");
    assert!(s.sync_local(&[(&feed, &[article("b", "<p>b</p>", 1)])], at(3)).is_err());
    cluster.start();
    s.ping().unwrap();
    let ids: Vec<String> = s.items(&feed, None).unwrap().iter().map(|i| i.id.to_string()).collect();
    assert_eq!(ids, ["a"]);
    s.sync_local(&[(&feed, &[article("b", "<p>b</p>", 1)])], at(3)).unwrap();
    assert_eq!(s.items(&feed, None).unwrap().len(), 1, "b replaced a: the sync lists every article");
}

/// TLS to the database, against a server with a self-signed certificate (as a stock Debian
/// server has): `prefer` (the default) connects encrypted, as libpq does; `require` refuses a
/// certificate no root the system trusts vouches for; `disable` connects in plain text.
#[test]
fn postgres_tls_prefer_encrypts_and_require_verifies() {
    let cluster = common::pg::private();
    let url = cluster.scratch_db();
    let certs = tempfile::Builder::new().prefix("feedpub-tls-").tempdir_in("/tmp").unwrap();
    let (crt, key) = (certs.path().join("server.crt"), certs.path().join("server.key"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("openssl (the certificate of the test server)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    // The server (run as `postgres` when the tests run as root) reads them: its own key, 0600.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(certs.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        let chown = std::process::Command::new("chown").arg("postgres:").arg(&key).arg(&crt).status().unwrap();
        assert!(chown.success());
    }
    let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    // One statement at a time: ALTER SYSTEM refuses to run in the implicit transaction of a
    // batch.
    for setting in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", crt.display()),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", key.display()),
        "ALTER SYSTEM SET ssl = on".to_owned(),
        "SELECT pg_reload_conf()".to_owned(),
    ] {
        admin.batch_execute(&setting).unwrap();
    }
    let encrypted = |admin: &mut ::postgres::Client| -> i64 {
        admin
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
                 WHERE application_name = 'feedpub' AND ssl",
                &[],
            )
            .unwrap()
            .get(0)
    };
    // The reload is asynchronous: wait until a new session is offered TLS.
    let started = std::time::Instant::now();
    let prefer = loop {
        let s = store::open(&DatabaseUrl::parse(&url).unwrap()).unwrap();
        if encrypted(&mut admin) > 0 {
            break s;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the server never offered TLS");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    prefer.ping().unwrap();
    drop(prefer);
    let require = format!("{url}?sslmode=require");
    let e = store::open(&DatabaseUrl::parse(&require).unwrap()).err().expect("an untrusted certificate");
    let text = e.to_string();
    assert!(e.is_unavailable() && text.to_lowercase().contains("certificate"), "{text}");
    let disable = format!("{url}?sslmode=disable");
    let plain = store::open(&DatabaseUrl::parse(&disable).unwrap()).unwrap();
    plain.ping().unwrap();
    assert_eq!(encrypted(&mut admin), 0, "sslmode=disable is plain text");
}

/// A poll stores each item's raw hash; the next poll reads them in one query, leaves those items
/// unread, and they still count as its own for `keep`. An item whose content is unchanged but
/// whose raw text changed gets its new hash without touching the site.
fn raw_hashes_let_a_poll_skip_what_it_has(backend: Backend) {
    let db = fresh(backend);
    let mut s = store::open(&db.url).unwrap();
    let (feed, source) = (Slug::new("f").unwrap(), url::Url::parse("https://wire.example/rss").unwrap());
    let state = SourceState::new(&source, at(3));
    let hashed =
        |id: &str, hash: &str| UpstreamArticle { raw_hash: Some(hash.into()), ..upstream(id, "<p>x</p>", None) };
    let first = [hashed("a", "ha"), hashed("b", "hb"), upstream("c", "<p>c</p>", None)];
    let r = s.record(&feed, &source, &state, Polled { items: &first, unchanged: &[] }, 3, at(3)).unwrap();
    assert_eq!(r.added, 3);
    let known = s.raw_hashes(&feed, &source).unwrap();
    let mut ids: Vec<(&str, &str)> = known.iter().map(|(h, k)| (h.as_str(), k.id.as_str())).collect();
    ids.sort();
    assert_eq!(ids, [("ha", "a"), ("hb", "b")], "an item without a raw hash is read every time");
    assert_eq!(known["ha"].published, None, "undated: its first-seen time says nothing of the cadence");
    let head = s.head().unwrap();
    // Next poll: a and b unread, c the same content under new raw text, d new; keep 3 — but
    // all four are this poll's, unread or not, so none goes (as if all had been read).
    let next = [UpstreamArticle { raw_hash: Some("hc".into()), ..upstream("c", "<p>c</p>", None) }, hashed("d", "hd")];
    let unchanged = [ItemId::new("a").unwrap(), ItemId::new("b").unwrap()];
    let r = s.record(&feed, &source, &state, Polled { items: &next, unchanged: &unchanged }, 3, at(4)).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged, r.removed), (1, 0, 3, 0));
    assert_eq!(s.items(&feed, None).unwrap().len(), 4);
    assert_eq!(s.raw_hashes(&feed, &source).unwrap().len(), 4);
    assert!(s.raw_hashes(&feed, &source).unwrap().contains_key("hc"), "the new raw text is remembered");
    assert_ne!(s.head().unwrap(), head, "d was added");
    // Without a and b in the next poll, keep 3 removes the oldest first seen.
    let r = s.record(&feed, &source, &state, Polled { items: &[], unchanged: &unchanged[..1] }, 3, at(5)).unwrap();
    assert_eq!((r.unchanged, r.removed), (1, 1));
}

/// The built-in hub's ledger: a claim makes every live subscriber owed the version, sent by the
/// claimer; only the sender holds or settles it; once its hold runs out another takes it over,
/// and the first can then neither hold nor settle it; a newer version ends the older delivery.
fn owed_deliveries_have_one_sender_and_a_newer_version_ends_them(backend: Backend) {
    use feedpub::store::{DistributionClaim, Owed};
    use std::time::Duration;
    let db = fresh(backend);
    let mut s = store::open_sql(&db.url).unwrap();
    let callback = url::Url::parse("https://sub.example/cb/1").unwrap();
    let day = Duration::from_secs(86_400);
    s.subscribe("/f/rss.xml", &callback, None, day, 100).unwrap();
    assert_eq!(s.claim_distribution("/f/rss.xml", "\"v1\"", 1, "a", Duration::ZERO).unwrap(), DistributionClaim::First);
    assert_eq!(s.claim_distribution("/f/rss.xml", "\"v2\"", 2, "a", Duration::ZERO).unwrap(), DistributionClaim::Newer);
    assert_eq!(s.claim_distribution("/f/rss.xml", "\"v2\"", 2, "b", Duration::ZERO).unwrap(), DistributionClaim::Taken);
    let v2 = Owed { topic: "/f/rss.xml".into(), callback: callback.clone(), etag: "\"v2\"".into(), seq: 2 };
    // Held for no time: overdue at once.
    let overdue = s.overdue().unwrap();
    assert_eq!(overdue.iter().map(|(_, o)| o.clone()).collect::<Vec<_>>(), std::slice::from_ref(&v2));
    assert!(s.hold_owed(&v2, "b", day).unwrap().is_none(), "not b's to send");
    assert!(s.take_overdue(&v2, "b", day).unwrap(), "b takes it over");
    assert!(!s.take_overdue(&v2, "c", day).unwrap(), "held by b now");
    assert!(s.overdue().unwrap().is_empty());
    assert!(s.hold_owed(&v2, "a", day).unwrap().is_none(), "a lost it to b");
    assert_eq!(s.hold_owed(&v2, "b", day).unwrap().map(|sub| sub.callback), Some(callback.clone()));
    s.settle_owed(std::slice::from_ref(&v2), "a").unwrap();
    assert!(s.hold_owed(&v2, "b", day).unwrap().is_some(), "a's settlement changed nothing");
    // A newer version (v3) ends v2's delivery for everyone.
    assert_eq!(s.claim_distribution("/f/rss.xml", "\"v3\"", 3, "a", day).unwrap(), DistributionClaim::Newer);
    assert!(s.hold_owed(&v2, "b", day).unwrap().is_none(), "superseded");
    let v3 = Owed { etag: "\"v3\"".into(), seq: 3, ..v2.clone() };
    s.settle_owed(&[v2, v3.clone()], "a").unwrap();
    assert!(s.hold_owed(&v3, "a", day).unwrap().is_none(), "settled");
    // A revert to v2's bytes is another claim: a late settlement of the first v2 leaves it.
    assert_eq!(s.claim_distribution("/f/rss.xml", "\"v2\"", 4, "a", day).unwrap(), DistributionClaim::Newer);
    let again = Owed { etag: "\"v2\"".into(), seq: 4, ..v3 };
    s.settle_owed(&[Owed { seq: 2, ..again.clone() }], "a").unwrap();
    assert!(s.hold_owed(&again, "a", day).unwrap().is_some(), "the revert is still owed");
}

/// Replicas rendering the same change race to claim it: exactly one distributes it.
fn concurrent_claims_distribute_a_version_once(backend: Backend) {
    use feedpub::store::DistributionClaim;
    let db = fresh(backend);
    let mut first = store::open_sql(&db.url).unwrap();
    first.claim_distribution("/f/rss.xml", "\"v1\"", 1, "x", std::time::Duration::ZERO).unwrap();
    let start = std::sync::Arc::new(std::sync::Barrier::new(6));
    let claimers: Vec<_> = (0..6)
        .map(|n| {
            let (url, start) = (db.url.clone(), start.clone());
            std::thread::spawn(move || {
                let mut s = store::open_sql(&url).unwrap();
                start.wait();
                (2..22)
                    .filter(|&seq| {
                        let etag = format!("\"v{seq}\"");
                        let claim =
                            s.claim_distribution("/f/rss.xml", &etag, seq, &n.to_string(), std::time::Duration::ZERO);
                        claim.unwrap() == DistributionClaim::Newer
                    })
                    .collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut newer: Vec<i64> = claimers.into_iter().flat_map(|t| t.join().unwrap()).collect();
    newer.sort_unstable();
    let claimed = newer.len();
    newer.dedup();
    // No version went to two replicas (some may go to none, when a later one was claimed first).
    assert_eq!(newer.len(), claimed, "a version claimed twice: {newer:?}");
    assert!(!newer.is_empty());
}

/// The built-in hub's per-host cap counts a host's live callbacks for a topic whatever their
/// scheme and port, and nothing else: not another host whose name starts the same, not
/// another topic, not an ended lease, not the callback itself; at the cap a new callback is
/// not recorded, and a known one is renewed.
fn a_host_is_counted_whatever_its_scheme_and_port(backend: Backend) {
    use std::time::Duration;
    let db = fresh(backend);
    let mut s = store::open_sql(&db.url).unwrap();
    let url = |u: &str| url::Url::parse(u).unwrap();
    let day = Duration::from_secs(86_400);
    for cb in ["http://h.example/a", "https://h.example/b?x=1", "http://h.example:8080/c", "https://h.example:8443/"] {
        assert!(s.subscribe("/f/rss.xml", &url(cb), None, day, 100).unwrap().is_some());
    }
    for cb in ["http://h.example.org/", "http://hh.example/", "http://[::1]/", "http://h.exampl/"] {
        s.subscribe("/f/rss.xml", &url(cb), None, day, 100).unwrap();
    }
    s.subscribe("/f/atom.xml", &url("http://h.example/other-topic"), None, day, 100).unwrap();
    s.subscribe("/f/rss.xml", &url("http://h.example/ended"), None, Duration::ZERO, 100).unwrap();
    assert_eq!(s.others_at_host("/f/rss.xml", &url("http://h.example/new")).unwrap(), 4);
    assert_eq!(s.others_at_host("/f/rss.xml", &url("http://h.example/a")).unwrap(), 3, "not itself");
    assert_eq!(s.others_at_host("/f/rss.xml", &url("http://[::1]:9/")).unwrap(), 1);
    // At the cap (4 here): a new callback is refused, a known one renewed.
    assert_eq!(s.subscribe("/f/rss.xml", &url("http://h.example/new"), None, day, 4).unwrap(), None);
    assert!(s.subscribe("/f/rss.xml", &url("http://h.example/a"), None, day, 4).unwrap().is_some());
    assert!(s.subscribe("/f/rss.xml", &url("http://other.example/"), None, day, 4).unwrap().is_some());
}
