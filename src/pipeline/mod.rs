//! The one place that knows the order of the stages, for the commands that run them:
//! `poll` (fetch → parse → sanitise → store) and `serve` (render, serve, watch, poll).

pub mod poll;
pub mod serve;

pub use poll::{Due, PollError, PollRequest, PollStatus, Poller, Progress, SourceOutcome};
pub use serve::ServeError;
