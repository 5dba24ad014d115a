//! The one place that knows the order of the stages, for the commands that run them:
//! `poll` (fetch → parse → sanitise → store).

pub mod poll;

pub use poll::{Due, PollError, PollRequest, PollStatus, Poller, Progress, SourceOutcome};
