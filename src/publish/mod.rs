//! PUBLISH: hand rendered bytes to readers.
//!
//! `build` writes them to disk for cron and static servers (atomically, and only what changed);
//! the HTTP server (next) answers from the same bytes.

pub mod build;
pub mod compress;

pub use build::{BuildReport, PublishError, write_site};
