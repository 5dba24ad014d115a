//! PUBLISH: hand rendered bytes to readers.
//!
//! [`build`] writes them to disk for cron and static servers (atomically, and only what
//! changed); [`serve`] answers readers over HTTP from the same bytes, held in memory.

pub mod build;
pub mod compress;
pub mod serve;

pub use build::{BuildReport, PublishError, write_site};
