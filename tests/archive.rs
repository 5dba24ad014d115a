//! RFC 5005 archives served by the real binary: a reader walking a feed's history from its
//! subscription documents over HTTP sees every item once, newest first, in every format, with
//! the bytes `build` writes; closed pages are cached for good and keep their bytes when new
//! articles arrive; and the walk stays complete after adds and deletes while `serve` runs.

mod common;

use std::collections::BTreeMap;

use common::walk::{Format, walk, walk_to};
use common::{SEED, SLUG, Site};

const BASE: &str = "http://localhost:8080/";

/// An article published on `date` (`YYYY-MM-DD`).
fn article(n: usize, date: &str) -> String {
    format!("+++\ntitle = \"خبر {n}\"\ndate = {date}T10:00:00Z\n+++\nنص الخبر رقم {n}.\n")
}

/// The seed's feed with `limit = 2` and twelve articles over four months of 2024, three a month
/// (the seed is of November 2023).
fn site() -> (Site, Vec<String>) {
    let site = Site::new();
    // The walks fetch each subscription document again and again: no throttling of re-fetches.
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), config.replace("min_refetch_seconds = 60", "min_refetch_seconds = 0")).unwrap();
    let toml = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap().replace("limit = 50", "limit = 2");
    std::fs::write(site.feed_dir().join("feed.toml"), toml).unwrap();
    let mut dated = vec![("2023-11-16".to_owned(), SEED.to_owned())];
    for n in 0..12 {
        let date = format!("2024-{:02}-{:02}", 1 + n / 3, 1 + n * 2);
        site.write_feed_file(&format!("a{n:02}.md"), article(n, &date));
        dated.push((date, format!("a{n:02}")));
    }
    dated.sort();
    (site, dated.into_iter().rev().map(|(_, id)| page_of(&id)).collect())
}

fn page_of(id: &str) -> String {
    format!("{BASE}{SLUG}/{id}.html")
}

/// The response to a GET of `url` (an absolute URL under [`BASE`]) from `server`.
fn get(server: &common::child::Child, url: &str) -> Option<(String, BTreeMap<String, String>)> {
    let path = url.strip_prefix(BASE)?;
    let url = server.url(&format!("/{path}"));
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            let r = reqwest::get(&url).await.unwrap();
            if r.status() != 200 {
                return None;
            }
            let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned())).collect();
            Some((r.text().await.unwrap(), headers))
        })
    })
}

/// Walks every format over HTTP; checks the items and returns every document read with its
/// bytes and headers.
fn walk_all(
    server: &common::child::Child,
    expected: &[String],
) -> BTreeMap<String, (String, BTreeMap<String, String>)> {
    let mut read = BTreeMap::new();
    for format in Format::ALL {
        let (ids, urls) = walk(format, &format!("{BASE}{SLUG}/{}", format.file()), &|u| get(server, u).map(|r| r.0));
        assert_eq!(ids, expected, "{format:?}");
        for url in urls {
            read.insert(url.clone(), get(server, &url).unwrap());
        }
    }
    read
}

/// The archive pages of [`site`], newest first: pages of 2 (the feed's `limit`); April's third
/// article is the feed's newest and no page yet.
const PAGES: [&str; 8] = ["2024-04", "2024-03-2", "2024-03", "2024-02-2", "2024-02", "2024-01-2", "2024-01", "2023-11"];

fn archive_url(key: &str, format: Format) -> String {
    format!("{BASE}{SLUG}/archive/{key}/{}", format.file())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_walks_every_item_once_and_closed_pages_are_cached_for_good() {
    let (site, mut expected) = site();
    site.build();
    let server = common::child::Child::start(&site, &[]);
    let read = walk_all(&server, &expected);
    for format in Format::ALL {
        let (_, urls) = walk(format, &format!("{BASE}{SLUG}/{}", format.file()), &|u| get(&server, u).map(|r| r.0));
        let pages: Vec<String> = PAGES.iter().map(|k| archive_url(k, format)).collect();
        assert_eq!(urls[1..], pages, "{format:?}");
        for (i, url) in pages.iter().enumerate() {
            let (bytes, headers) = &read[url];
            let cache = &headers["cache-control"];
            if i == 0 {
                assert!(!cache.contains("immutable"), "{url}: {cache}");
            } else {
                assert_eq!(cache, "public, max-age=31536000, immutable", "{url}");
            }
            // `serve` answers with the bytes `build` wrote.
            let file = url.strip_prefix(BASE).unwrap();
            let file = if file.ends_with('/') { format!("{file}index.html") } else { file.to_owned() };
            assert_eq!(*bytes, site.read(&file), "{file}");
        }
        let (_, headers) = &read[&format!("{BASE}{SLUG}/{}", format.file())];
        assert!(!headers["cache-control"].contains("immutable"));
    }

    // A new article: April's newest part fills up and becomes a page; the pages read before
    // keep their items, and the closed ones their bytes. A reader that walked before reads the
    // feed and the new page, stops at the page it has (RFC 5005 section 4.2), and has it all.
    site.write_feed_file("new.md", article(99, "2024-04-30"));
    expected.insert(0, page_of("new"));
    common::server::wait_for("the new article in the feed", async || {
        get(&server, &format!("{BASE}{SLUG}/rss.xml")).is_some_and(|(b, _)| b.contains("new.html"))
    })
    .await;
    let after = walk_all(&server, &expected);
    for (url, (bytes, headers)) in &read {
        if headers["cache-control"].contains("immutable") {
            assert_eq!(after[url].0, *bytes, "{url} is closed, yet changed");
        }
    }
    for format in Format::ALL {
        let start = format!("{BASE}{SLUG}/{}", format.file());
        let get = |u: &str| get(&server, u).map(|r| r.0);
        let (before, read_before) = walk(format, &start, &|u| read.get(u).map(|r| r.0.clone()));
        let (caught_up, urls) = walk_to(format, &start, &get, &read_before[1..]);
        assert_eq!(urls[1..], [archive_url("2024-04-2", format)], "{format:?}");
        let mut known: Vec<String> = caught_up.into_iter().chain(before).collect();
        known.sort();
        known.dedup();
        let mut all = expected.clone();
        all.sort();
        assert_eq!(known, all, "{format:?}: the reader that caught up has every item");
    }

    // A deleted article leaves every walk.
    std::fs::remove_file(site.feed_dir().join("a04.md")).unwrap();
    expected.retain(|u| *u != page_of("a04"));
    common::server::wait_for("the deleted article gone", async || {
        get(&server, &archive_url("2024-02", Format::Rss)).is_some_and(|(b, _)| !b.contains("a04.html"))
    })
    .await;
    walk_all(&server, &expected);
}

#[test]
fn archive_paths_that_name_no_page_are_not_found() {
    let (site, _) = site();
    site.build();
    let out = site.out().join(SLUG).join("archive");
    let mut pages: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    pages.sort();
    let mut expected = PAGES.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(pages, expected);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = common::child::Child::start(&site, &[]);
    // 2024-04-2: April's unfinished part, in the feed, is no page yet.
    for path in [
        "archive/2024-04-2/rss.xml",
        "archive/2024-05/rss.xml",
        "archive/2024-4/rss.xml",
        "archive/2024-04-1/rss.xml",
        "archive/2024-04/x.xml",
    ] {
        let url = server.url(&format!("/{SLUG}/{path}"));
        let status = rt.block_on(async { reqwest::get(&url).await.unwrap().status() });
        assert_eq!(status, 404, "{path}");
    }
}
