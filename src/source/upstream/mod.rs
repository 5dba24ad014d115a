//! Upstream feeds: fetched over HTTP (the SSRF guard on by default), to be parsed, sanitised
//! and stored beside the local articles.

pub mod fetch;
pub mod guard;

pub use fetch::{FetchError, FetchOptions, Fetched, Fetcher, Freshness, Validators};
