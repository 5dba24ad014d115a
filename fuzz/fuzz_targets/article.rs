//! `cargo +nightly fuzz run article`: see `feedpub::fuzzing::article`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedpub::fuzzing::article(data));
