//! REPAIR: ill-formed XML made well-formed, as feedparser's loose parser reads it.
//!
//! STUB (issue 15, being written): repairs nothing yet.

use std::fmt;

/// What a repair changed, by kind: each count is how many times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixes {
    /// Placeholder until the repair pass lands.
    pub changes: usize,
}

impl Fixes {
    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.changes == 0
    }
}

impl fmt::Display for Fixes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} changes", self.changes)
    }
}

/// A repaired document.
#[derive(Debug)]
pub struct Repaired {
    /// Well-formed XML (as far as repair could make it).
    pub text: String,
    /// What was changed.
    pub fixes: Fixes,
}

/// `text` made well-formed.
pub fn repair(text: &str) -> Repaired {
    Repaired { text: text.to_owned(), fixes: Fixes::default() }
}
