//! LEGACY: RSS 0.90 and Atom 0.3, which feed-rs does not read, rewritten as the RSS 1.0 and
//! Atom 1.0 they became.
//!
//! STUB (issue 15, being written): recognises nothing yet.

/// An old format a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    /// RSS 0.90 (Netscape's RDF namespace).
    Rss090,
    /// Atom 0.3.
    Atom03,
}

/// `text` rewritten in the format its version became, when it is in one of the [`Legacy`]
/// formats; `None` otherwise.
pub fn modernize(_text: &str) -> Option<(String, Legacy)> {
    None
}
