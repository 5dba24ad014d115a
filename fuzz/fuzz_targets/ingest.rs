//! `cargo +nightly fuzz run ingest`: see `feedpub::fuzzing::ingest`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedpub::fuzzing::ingest(data));
