//! Upstream feeds: fetched over HTTP (the SSRF guard on by default), parsed from raw bytes,
//! sanitised, and stored beside the local articles. One verb per module: fetch, parse,
//! sanitize, schedule.

pub mod decode;
pub mod discover;
mod entry;
pub mod fetch;
pub mod guard;
pub mod import;
pub mod legacy;
pub mod media;
pub mod mend;
pub mod parse;
pub mod read;
pub mod repair;
mod rss2;
pub mod sanitize;
pub mod schedule;
pub mod split;
pub mod subscribe;
#[cfg(test)]
pub(crate) mod xorshift;

pub use fetch::{FetchError, FetchOptions, Fetched, Fetcher, Freshness, Validators};
pub use parse::{ParseError, UpstreamFeed, UpstreamItem, parse};
pub use read::{Read, ReadOptions, Reading, read};
