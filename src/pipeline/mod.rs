//! The one place that knows the order of the stages: Source → Store → Render → Publish.
//!
//! `build`, `check`, `poll` and `serve` call it; so do tests and benches. Each stage is one
//! verb: [`sync()`] (source → store, reading only what moved), [`build()`] (plan what is dirty,
//! render only that, publish it in batches), [`check()`] (read and render, write nothing),
//! [`poll`] (fetch → parse → sanitise → store, for the sources that are due) and [`serve`]
//! (render, serve, watch, poll: tasks of one runtime).

mod build;
mod check;
pub mod history;
pub mod hot;
mod hub;
pub mod poll;
pub mod serve;
mod subscriber;
mod sync;
mod websub;

pub use build::{BuildOutcome, Scope, build, publish, sync_and_render};
pub use check::check;
pub use poll::{Due, PollError, PollRequest, PollStatus, Poller, Progress, SourceOutcome};
pub use serve::ServeError;
pub use sync::{Role, stored_definitions, sync, sync_store};

use crate::publish::PublishError;
use crate::render::RenderError;
use crate::source::SourceErrors;
use crate::store::StoreError;

/// Why a pipeline run stopped; nothing was published by a run that fails before publishing.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Bad input under `feeds/`: every problem found, each naming its file.
    #[error(transparent)]
    Source(#[from] SourceErrors),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A renderer failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Writing the output failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// A render panicked while holding the store; the service must be restarted.
    #[error("a render panicked while holding the store")]
    Poisoned,
}
