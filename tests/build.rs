//! `feedpub build` and `feedpub check` through the real binary, on the shipped feed.

mod common;

use common::*;

const FORMATS: [&str; 3] = ["rss.xml", "atom.xml", "feed.json"];

/// Golden files: a byte change in any of the seed's feeds must be deliberate.
/// Regenerate with `UPDATE_GOLDEN=1 cargo test --test build` and review the diff.
#[test]
fn seed_outputs_match_the_golden_files() {
    let site = Site::new();
    site.build();
    let golden = repo().join("tests/fixtures/golden").join(SLUG);
    for name in FORMATS {
        let got = site.read(&format!("{SLUG}/{name}"));
        let path = golden.join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap();
        assert!(got == want, "{name} differs from {}; diff them, then UPDATE_GOLDEN=1 if deliberate", path.display());
    }
}

#[test]
fn build_writes_every_file_with_precompressed_siblings() {
    let site = Site::new();
    let stdout = site.build();
    assert!(stdout.contains("1 added"), "{stdout}");
    let files = snapshot(&site.out());
    let pages = ["index.html".to_string(), format!("{SLUG}/index.html"), format!("{SLUG}/{SEED}.html")];
    for name in FORMATS.iter().map(|f| format!("{SLUG}/{f}")).chain(pages) {
        for suffix in ["", ".gz", ".br"] {
            assert!(files.contains_key(&format!("{name}{suffix}")), "missing {name}{suffix}: {:?}", files.keys());
        }
    }
    // The gzip sibling is the same document.
    let gz = &files[&format!("{SLUG}/rss.xml.gz")].0;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    assert_eq!(text, site.read(&format!("{SLUG}/rss.xml")));
    // The store was created where the config says.
    assert!(site.db().is_file());
}

#[test]
fn rebuild_is_byte_identical_and_leaves_every_mtime_alone() {
    let site = Site::new();
    site.build();
    let before = snapshot(&site.out());
    // Coarse-mtime filesystems would hide a rewrite inside the same tick.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let stdout = site.build();
    assert!(stdout.contains("0 written (0 bytes)"), "{stdout}");
    assert!(stdout.contains("1 unchanged"), "{stdout}");
    assert_eq!(before, snapshot(&site.out()));
}

#[test]
fn a_fresh_store_gives_the_same_bytes() {
    let a = Site::new();
    let b = Site::new();
    a.build();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    b.build();
    let strip = |s: std::collections::BTreeMap<String, (Vec<u8>, std::time::SystemTime)>| {
        // The state file names the store the folder was built from: another store, another id.
        s.into_iter().filter(|(k, _)| k != ".feedpub-state").map(|(k, (bytes, _))| (k, bytes)).collect::<Vec<_>>()
    };
    assert_eq!(strip(snapshot(&a.out())), strip(snapshot(&b.out())));
}

#[test]
fn pages_are_rtl_and_every_item_link_resolves() {
    let site = Site::new();
    site.build();
    let item = site.read(&format!("{SLUG}/{SEED}.html"));
    assert!(item.contains(r#"<html lang="ar" dir="rtl">"#), "{item}");
    for p in seed_paragraphs() {
        assert!(item.contains(&html_escape::encode_text(&p).into_owned()), "paragraph missing from page: {p}");
    }
    for page in ["index.html".to_string(), format!("{SLUG}/index.html"), format!("{SLUG}/{SEED}.html")] {
        let html = site.read(&page);
        for (ty, file) in [
            ("application/rss+xml", "rss.xml"),
            ("application/atom+xml", "atom.xml"),
            ("application/feed+json", "feed.json"),
        ] {
            let want = format!(r#"type="{ty}""#);
            assert!(
                html.contains(&want) && html.contains(&format!("{SLUG}/{file}\"")),
                "{page}: no {ty} autodiscovery"
            );
        }
    }
    // Every <link> in the RSS that points under base_url names a file that exists.
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    let base = "http://localhost:8080/";
    for link in rss.split("<link>").skip(1).map(|s| s.split("</link>").next().unwrap()) {
        let rel = link.strip_prefix(base).unwrap_or_else(|| panic!("{link} not under base_url"));
        let rel = if rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() };
        assert!(site.out().join(&rel).is_file(), "{link} does not resolve");
    }
}

#[test]
fn base_url_decides_every_absolute_url() {
    let site = Site::new();
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), config.replace("http://localhost:8080/", "https://news.example.org/ar")).unwrap();
    site.build();
    let atom = site.read(&format!("{SLUG}/atom.xml"));
    assert!(atom.contains(r#"href="https://news.example.org/ar/russia-islamic-world/atom.xml" rel="self""#), "{atom}");
    assert!(!atom.contains("localhost"));
}

#[test]
fn check_validates_and_writes_nothing() {
    let site = Site::new();
    let out = site.run(&["check"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 feeds, 1 articles"));
    assert!(!site.out().exists(), "check wrote output");
    assert!(!site.db().exists(), "check created the store");
}

#[test]
fn out_flag_and_config_from_the_environment() {
    let site = Site::new();
    let elsewhere = site.root().join("elsewhere");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"))
        .args(["build", "--out", elsewhere.to_str().unwrap()])
        .env("FEEDPUB_CONFIG", site.config())
        .env("FEEDPUB_DATABASE_URL", format!("sqlite:{}", site.root().join("other.db").display()))
        .current_dir(site.root().join("feeds"))
        .output()
        .unwrap();
    assert_success(&out);
    assert!(elsewhere.join(SLUG).join("rss.xml").is_file());
    assert!(site.root().join("other.db").is_file());
    assert!(!site.out().exists() && !site.db().exists());
}

#[test]
fn editing_an_article_updates_the_item_in_place() {
    let site = Site::new();
    site.build();
    let atom_before = site.read(&format!("{SLUG}/atom.xml"));
    let fixed = seed_text().replace("إحاطه صحفية", "إحاطة صحفية");
    site.write_feed_file(&format!("{SEED}.txt"), &fixed);
    let stdout = site.build();
    assert!(stdout.contains("1 changed"), "{stdout}");
    let atom = site.read(&format!("{SLUG}/atom.xml"));
    assert!(atom.contains("إحاطة صحفية"));
    // Same id, same published; `updated` moved to when the change was seen, and stays there.
    let id = |s: &str| {
        s.split("<entry>").nth(1).unwrap().split("<id>").nth(1).unwrap().split("</id>").next().unwrap().to_string()
    };
    assert_eq!(id(&atom), id(&atom_before));
    assert!(atom.contains("<published>2023-11-16T00:00:00+00:00</published>"));
    assert!(!atom.contains("<updated>2023-11-16T00:00:00+00:00</updated>"), "{atom}");
    let before = snapshot(&site.out());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    site.build();
    assert_eq!(before, snapshot(&site.out()), "a rebuild after an edit must be stable too");
}

#[test]
fn removing_an_article_removes_its_page() {
    let site = Site::new();
    site.write_feed_file("002_second.txt", "ثاني مقال عن الطقس، وذلك يوم 20 نوفمبر 2023.");
    site.build();
    assert!(site.out().join(SLUG).join("002_second.html").is_file());
    std::fs::remove_file(site.feed_dir().join("002_second.txt")).unwrap();
    let stdout = site.build();
    assert!(stdout.contains("1 removed, 1 unchanged"), "{stdout}");
    assert!(!site.out().join(SLUG).join("002_second.html").exists());
    assert!(!site.read(&format!("{SLUG}/rss.xml")).contains("002_second"));
}

#[test]
fn markdown_with_front_matter_and_a_sidecar() {
    let site = Site::new();
    site.write_feed_file(
        "003_md.md",
        "+++\ntitle = \"عنوان من الواجهة\"\ndate = 2024-02-03T10:00:00+03:00\ntags = [\"سياسة\"]\n+++\nنص **المقال**.\n",
    );
    site.write_feed_file("003_md.toml", "title = \"عنوان من الملف الجانبي\"\nid = \"third\"\n");
    site.build();
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    assert!(rss.contains("<title>عنوان من الملف الجانبي</title>"), "{rss}");
    assert!(rss.contains("<category>سياسة</category>"), "{rss}");
    assert!(rss.contains("<pubDate>Sat, 3 Feb 2024 07:00:00 +0000</pubDate>"), "{rss}");
    assert!(rss.contains("<strong>المقال</strong>"), "{rss}");
    assert!(site.out().join(SLUG).join("third.html").is_file());
    // Newest first: the 2024 article precedes the 2023 seed.
    assert!(rss.find("third.html").unwrap() < rss.find(SEED).unwrap());
}

#[test]
fn an_item_past_the_limit_leaves_the_feeds_but_keeps_its_page() {
    let site = Site::new();
    let def = site.feed_dir().join("feed.toml");
    let text = std::fs::read_to_string(&def).unwrap();
    std::fs::write(&def, text.replace("limit = 50", "limit = 1")).unwrap();
    site.write_feed_file("004_newer.txt", "خبر أحدث، وذلك يوم 1 ديسمبر 2023.");
    site.build();
    for name in FORMATS {
        let doc = site.read(&format!("{SLUG}/{name}"));
        assert!(doc.contains("004_newer") && !doc.contains(SEED), "{name} should carry only the newest item");
    }
    assert!(site.out().join(SLUG).join(format!("{SEED}.html")).is_file(), "the older page must stay");
    // The feed page lists the feed's items and links its archive page (November 2023), which
    // lists the rest.
    let page = site.read(&format!("{SLUG}/index.html"));
    assert!(!page.contains(SEED) && page.contains("archive/2023-11/"), "{page}");
    assert!(site.read(&format!("{SLUG}/archive/2023-11/index.html")).contains(SEED));
    assert!(site.read(&format!("{SLUG}/archive/2023-11/rss.xml")).contains(SEED));
}
