//! `cargo +nightly fuzz run conditional`: see `feedpub::fuzzing::conditional`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedpub::fuzzing::conditional(data));
