//! feedpub turns stored articles into valid RSS 2.0, Atom 1.0, JSON Feed 1.1 and HTML.
//!
//! One pipeline, one direction — each module talks only to the one below it:
//!
//! - [`config`]: the site configuration, strict (`deny_unknown_fields`).
//! - [`model`]: the typed item model every stage shares; no I/O.
//! - [`source`]: SOURCE — local articles under `feeds/<slug>/` → articles.
//! - [`store`]: STORE — SQLite now (PostgreSQL later, behind the same trait).
//! - [`render`]: RENDER — pure functions from items to bytes.
//! - [`publish`]: PUBLISH — `build` writes files atomically; `serve` answers over HTTP.
//! - [`shutdown`]: the one stop signal every long-running task selects on.
//! - [`pipeline`]: the only place that knows the order of the stages; every command calls it.
//! - [`cli`]: the commands: parses arguments, calls [`pipeline`], prints.
//! - `fuzzing`: the fuzz targets' entry points, only with the `fuzzing` feature (not part of the
//!   pipeline, nor of the API).

pub mod cli;
pub mod config;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod model;
pub mod pipeline;
pub mod publish;
pub mod render;
pub mod shutdown;
pub mod source;
pub mod store;
