//! COSTS: what html5ever and ammonia spend beyond the tree builder's scans of its own stacks
//! (which [`super::budget`] measures by their depth), counted by [`super::tree::Tree`] while it
//! is built: each is linear in what it works on, and quadratic when that keeps growing.

use std::cell::Cell;

/// The counts, each saturating.
#[derive(Default)]
pub struct Costs {
    /// Elements, comments, processing instructions and doctypes created. Text nodes are not
    /// counted: adjacent text merges, so there are hardly more of them than of the rest.
    pub created: Cell<u64>,
    /// Steps of `RcDom`'s O(children) operations: finding a node among its siblings (foster
    /// parenting, the adoption agency), moving children.
    pub siblings: Cell<u64>,
    /// Attributes html5ever clones and sorts for Noah's Ark: each new formatting element is
    /// compared, attributes sorted, with every entry of its name in the list of active
    /// formatting elements.
    pub noah: Cell<u64>,
    /// Attributes `RcDom` hashes when a `<html>` tag adds its attributes to the root: all the
    /// root has, each time.
    pub merged: Cell<u64>,
    /// Bytes html5ever's serializer scans: after each `&` (and each U+0080–U+00BF) it looks for
    /// the next `<` or `>` (or `"`, in an attribute) from there, to the end of the text if there
    /// is none.
    pub escaped: Cell<u64>,
}

/// Adds `n` to `cell`.
pub fn add(cell: &Cell<u64>, n: impl TryInto<u64>) {
    cell.set(cell.get().saturating_add(n.try_into().unwrap_or(u64::MAX)));
}

/// What html5ever's serializer scans to write `text` (see [`Costs::escaped`]).
pub fn escape_cost(text: &str, attribute: bool) -> u64 {
    // Almost all text has neither: nothing to scan backwards for.
    if super::find_byte(text.as_bytes(), |b| b == b'&' || b == 0xc2).is_none() {
        return 0;
    }
    let mut stop = text.len();
    let mut cost = 0u64;
    for (i, &b) in text.as_bytes().iter().enumerate().rev() {
        match b {
            b'<' | b'>' => stop = i,
            b'"' if attribute => stop = i,
            b'&' | 0xc2 => cost += (stop - i) as u64,
            _ => {}
        }
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_scans_from_each_ampersand_to_the_next_angle_bracket() {
        assert_eq!(escape_cost("abc", false), 0);
        // From each `&` to the end: 4 + 2.
        assert_eq!(escape_cost("&a&b", false), 6);
        // A `>` stops the scans before it: 1 + 3.
        assert_eq!(escape_cost("&>&ab", false), 4);
        // `"` stops them in an attribute only; `«` (C2 AB) counts as `&` does.
        assert_eq!(escape_cost("&\"b", true), 1);
        assert_eq!(escape_cost("&\"b", false), 3);
        assert_eq!(escape_cost("«", false), 2);
    }
}
