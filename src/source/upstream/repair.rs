//! REPAIR: ill-formed XML made well-formed, as feedparser's loose parser reads it.
//!
//! Called only after a strict parse failed. One hand-written pass over the bytes (quick-xml
//! stops at the first error, so it cannot walk past what needs mending), which:
//!
//! - closes what a truncated download left open: a CDATA section, a comment, the elements; a tag
//!   cut off at the end is dropped;
//! - makes every `&` a reference XML knows: an HTML named entity (`&nbsp;`, `&eacute;`, the whole
//!   HTML set) becomes its character, any other unknown name becomes literal text (`&amp;name;`), a
//!   bare `&` becomes `&amp;`. Entities are never expanded from a DOCTYPE: a DOCTYPE with an
//!   internal subset is dropped, so `&lol9;` stays the text `&lol9;`;
//! - escapes a `<` that cannot start markup, and the `>` of a `]]>` in text;
//! - mends end tags: one naming an element open further up closes those in between, one naming no
//!   open element is dropped;
//! - drops junk before the root (text, PHP warnings, blank lines before `<?xml`) and after it, an XML
//!   declaration anywhere but the start, and the characters XML 1.0 forbids;
//! - quotes unquoted attribute values, gives valueless ones a value, drops duplicates.
//!
//! Hostile input: time and memory are linear in the input (no backtracking; a construct whose end
//! never comes runs to the end of the input once), the output is at most 5 times the input (a bare
//! `&` becoming `&amp;`), there is no recursion, and nesting deeper than [`MAX_DEPTH`] is flattened
//! (the deeper start and end tags are dropped, their content kept). A well-formed document comes out
//! byte for byte as it came in.

use std::fmt;

mod root;
mod scan;
mod stack;
mod tag;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_docs;
mod text;

/// How deep elements may nest in a repaired document: deeper start tags are dropped.
pub const MAX_DEPTH: usize = 4096;

/// What a repair changed, by kind: each count is how many times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixes {
    /// CDATA sections left open at the end, closed.
    pub cdata_closed: usize,
    /// Comments left open at the end, closed.
    pub comments_closed: usize,
    /// Elements left open at the end, closed.
    pub elements_closed: usize,
    /// HTML named entities (`&nbsp;`) replaced by their character (and `&#X41;` by `&#x41;`).
    pub html_entities: usize,
    /// Unknown entities (`&name;`) made literal text (`&amp;name;`).
    pub unknown_entities: usize,
    /// Bare `&`, escaped as `&amp;`.
    pub bare_amps: usize,
    /// A `<` that starts no markup (or the `>` of a `]]>` in text), escaped.
    pub stray_lts: usize,
    /// End tags naming an element open further up: the elements in between were closed.
    pub end_tags_fixed: usize,
    /// End tags naming no open element, dropped.
    pub end_tags_dropped: usize,
    /// Tags mended: unquoted or missing attribute values, junk or a missing space between
    /// attributes, junk in an end tag, a tag cut short by the next `<`.
    pub tags_fixed: usize,
    /// Duplicate attributes, dropped (the first one stays).
    pub attributes_dropped: usize,
    /// Pieces of junk (text, tags, blank lines before `<?xml`) dropped before the root element.
    pub junk_before: usize,
    /// Pieces of junk (text, elements) dropped after the root element.
    pub junk_after: usize,
    /// XML declarations anywhere but the start, dropped.
    pub xml_decls_dropped: usize,
    /// DOCTYPEs dropped: one with an internal subset (never expanded), a second one, one inside
    /// the root.
    pub doctypes_dropped: usize,
    /// Characters XML 1.0 forbids (C0 controls but tab, CR and LF; U+FFFE, U+FFFF; a reference
    /// to one of them), dropped.
    pub forbidden_chars: usize,
    /// Start tags nested deeper than [`MAX_DEPTH`], dropped (their content kept).
    pub too_deep: usize,
    /// A tag, declaration or processing instruction cut off by the end of the input, dropped.
    pub truncated_tags: usize,
}

impl Fixes {
    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        *self == Fixes::default()
    }
}

/// `count` and its noun, singular or plural.
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// "a", "a and b", "a, b and c".
fn listed(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl fmt::Display for Fixes {
    /// Only the kinds that happened, e.g. "closed 1 CDATA section and 2 elements, replaced 3 HTML
    /// entities, escaped 4 bare &, fixed 1 mismatched end tag, dropped junk before the root".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let closed: Vec<String> = [
            (self.cdata_closed, "CDATA section", "CDATA sections"),
            (self.comments_closed, "comment", "comments"),
            (self.elements_closed, "element", "elements"),
        ]
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| counted(n, one, many))
        .collect();
        let mut parts = Vec::new();
        if !closed.is_empty() {
            parts.push(format!("closed {}", listed(&closed)));
        }
        let counts = [
            (self.html_entities, "replaced", "HTML entity", "HTML entities"),
            (self.unknown_entities, "escaped", "unknown entity", "unknown entities"),
            (self.bare_amps, "escaped", "bare &", "bare &"),
            (self.stray_lts, "escaped", "stray <", "stray <"),
            (self.end_tags_fixed, "fixed", "mismatched end tag", "mismatched end tags"),
            (self.end_tags_dropped, "dropped", "stray end tag", "stray end tags"),
            (self.tags_fixed, "fixed", "malformed tag", "malformed tags"),
            (self.attributes_dropped, "dropped", "duplicate attribute", "duplicate attributes"),
        ];
        parts.extend(
            counts
                .into_iter()
                .filter(|c| c.0 > 0)
                .map(|(n, verb, one, many)| format!("{verb} {}", counted(n, one, many))),
        );
        if self.junk_before > 0 {
            parts.push("dropped junk before the root".into());
        }
        if self.junk_after > 0 {
            parts.push("dropped junk after the root".into());
        }
        let dropped = [
            (self.xml_decls_dropped, "extra XML declaration", "extra XML declarations"),
            (self.doctypes_dropped, "DOCTYPE", "DOCTYPEs"),
            (self.forbidden_chars, "forbidden character", "forbidden characters"),
            (self.too_deep, "element nested too deep", "elements nested too deep"),
            (self.truncated_tags, "truncated tag", "truncated tags"),
        ];
        parts.extend(
            dropped.into_iter().filter(|c| c.0 > 0).map(|(n, one, many)| format!("dropped {}", counted(n, one, many))),
        );
        f.write_str(&parts.join(", "))
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

/// `text` made well-formed; `text` itself (and no fixes) when it already was.
pub fn repair(text: &str) -> Repaired {
    let (bytes, fixes) = scan::Scanner::run(text.as_bytes());
    // Every slice copied starts and ends at an ASCII byte or at the end of a whole character, so
    // this is UTF-8; were it not (a bug), a lossy copy beats a panic on hostile input.
    let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Repaired { text, fixes }
}
