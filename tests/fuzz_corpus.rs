//! Replays every input kept in `fuzz/corpus/<target>/` through its fuzz target's entry point
//! (`feedpub::fuzzing`), on stable: the findings of past fuzzing runs stay fixed.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // A panic names the input, so it can be run again with `cargo fuzz run <target> <file>`.
        if let Err(e) = std::panic::catch_unwind(|| run(&data)) {
            let message =
                e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("{}: {}", path.display(), message.unwrap_or_default());
        }
        n += 1;
    }
    assert!(n > 0, "{target}: an empty corpus");
}

#[test]
fn article_corpus() {
    replay("article", feedpub::fuzzing::article);
}

#[test]
fn ingest_corpus() {
    replay("ingest", feedpub::fuzzing::ingest);
}

#[test]
fn config_corpus() {
    replay("config", feedpub::fuzzing::config);
}

#[test]
fn plain_text_corpus() {
    replay("plain_text", feedpub::fuzzing::plain_text);
}

#[test]
fn conditional_corpus() {
    replay("conditional", feedpub::fuzzing::conditional);
}

#[test]
fn schedule_corpus() {
    replay("schedule", feedpub::fuzzing::schedule);
}
