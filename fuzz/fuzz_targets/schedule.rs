//! `cargo +nightly fuzz run schedule`: see `feedpub::fuzzing::schedule`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedpub::fuzzing::schedule(data));
