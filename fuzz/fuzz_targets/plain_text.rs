//! `cargo +nightly fuzz run plain_text`: see `feedpub::fuzzing::plain_text`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedpub::fuzzing::plain_text(data));
