//! `cargo +nightly fuzz run config`: see `feedpub::fuzzing::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedpub::fuzzing::config(data));
