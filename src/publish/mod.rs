//! PUBLISH: hand rendered bytes to readers.
//!
//! [`build`] writes them to disk for cron and static servers (atomically, and only what
//! changed); [`serve`] answers readers over HTTP from the same bytes, held in memory.

mod atomic;
pub mod build;
pub mod compress;
pub mod hub;
mod manifest;
pub mod serve;
pub mod websub;

pub use atomic::write_atomic;
pub use build::{BuildReport, PublishError, write_site};
