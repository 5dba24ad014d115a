//! The fast readers against the readers they stand in for, on the public parser suites: every
//! file of feedparser's tests/, feed-rs's fixtures and gofeed's testdata goes through the
//! `ingest` fuzz target's checks (the RSS 2.0 reader answers as feed-rs does, the one-pass
//! cleaner as ammonia does, the body read as HTML too), once with no charset and once with
//! `utf-8`. The suites are not in the repository: `benches/suites.sh` fetches them into
//! `/tmp/suites` (or `SUITES_DIR`). Run: `cargo test --release --features fuzzing --test
//! suites_agree -- --ignored`.

use std::path::PathBuf;

#[test]
#[ignore = "needs the public suites in SUITES_DIR (/tmp/suites): benches/suites.sh fetches them"]
fn every_suite_file_is_read_as_feed_rs_and_ammonia_read_it() {
    let root = PathBuf::from(std::env::var("SUITES_DIR").unwrap_or_else(|_| "/tmp/suites".into()));
    let mut stack = vec![root.clone()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for charset in [0u8, 1] {
                let data = [&[charset][..], &bytes].concat();
                if let Err(e) = std::panic::catch_unwind(|| feedpub::fuzzing::ingest(&data)) {
                    let message = e.downcast_ref::<String>().cloned().unwrap_or_default();
                    panic!("{}: {message:.3000}", path.display());
                }
            }
            files += 1;
        }
    }
    assert!(files > 1_000, "{files} files under {}: are the suites there?", root.display());
}
