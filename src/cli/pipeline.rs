//! Moved: the stages are ordered in [`crate::pipeline`].

pub use crate::pipeline::{check, sync_and_render};
