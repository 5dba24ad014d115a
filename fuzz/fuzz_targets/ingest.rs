//! `cargo +nightly fuzz run ingest`: see `feedpub::fuzzing::ingest`.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        // libfuzzer-sys aborts at the first panic, before it can unwind; `parse` catches
        // feed-rs's panics on purpose and turns them into the document's error. With the
        // default hook back, a panic that escapes into the target still aborts the run (the
        // harness does that when the unwind reaches it), so real findings are still found.
        drop(std::panic::take_hook());
    },
    |data: &[u8]| feedpub::fuzzing::ingest(data)
);
