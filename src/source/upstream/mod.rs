//! Upstream feeds: fetched over HTTP (the SSRF guard on by default), parsed from raw bytes,
//! sanitised, to be stored beside the local articles. One verb per module: fetch, parse,
//! sanitize.

pub mod fetch;
pub mod guard;
pub mod parse;
pub mod sanitize;

pub use fetch::{FetchError, FetchOptions, Fetched, Fetcher, Freshness, Validators};
pub use parse::{ParseError, UpstreamFeed, UpstreamItem, parse};
