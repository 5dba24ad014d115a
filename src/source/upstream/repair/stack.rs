//! The open elements: end tags matched against them, mismatches mended, nesting capped.

use super::MAX_DEPTH;
use super::scan::{Phase, Scanner};
use super::text::{name_end, skip_ws};

impl<'a> Scanner<'a> {
    /// The end tag at `at` (`</` and a name start); returns where it ends.
    pub(super) fn end_tag(&mut self, at: usize) -> usize {
        let b = self.b;
        let name = &b[at + 2..name_end(b, at + 2)];
        let j = skip_ws(b, at + 2 + name.len());
        let (end, clean) = match b.get(j) {
            Some(b'>') => (j + 1, true),
            // Junk before the `>`, or a `<` before any: the tag ends there.
            _ => match b[j..].iter().position(|&c| c == b'>' || c == b'<') {
                Some(p) if b[j + p] == b'>' => (j + p + 1, false),
                Some(p) => (j + p, false),
                None => {
                    self.fixes.truncated_tags += 1;
                    return b.len();
                }
            },
        };
        if self.phase != Phase::Root {
            self.junk();
            return end;
        }
        if self.open.get(name).is_none_or(|&n| n == 0) {
            self.fixes.end_tags_dropped += 1;
            return end;
        }
        if self.stack.last() != Some(&name) {
            self.fixes.end_tags_fixed += 1;
            while self.stack.last().is_some_and(|&top| top != name) {
                self.close_top();
            }
        }
        if clean {
            self.pop();
            self.out.extend_from_slice(&b[at..end]);
        } else {
            self.fixes.tags_fixed += 1;
            self.close_top();
        }
        if self.stack.is_empty() {
            self.phase = Phase::After;
        }
        end
    }

    /// Opens an element named `name`.
    pub(super) fn push(&mut self, name: &'a [u8]) {
        self.stack.push(name);
        *self.open.entry(name).or_default() += 1;
    }

    /// Closes the innermost element, without writing its end tag.
    pub(super) fn pop(&mut self) -> Option<&'a [u8]> {
        let name = self.stack.pop()?;
        if let Some(n) = self.open.get_mut(name) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(name);
            }
        }
        Some(name)
    }

    /// Closes the innermost element with an end tag of its own.
    pub(super) fn close_top(&mut self) {
        if let Some(name) = self.pop() {
            self.out.extend_from_slice(b"</");
            self.out.extend_from_slice(name);
            self.out.push(b'>');
        }
    }

    /// Whether one more element may open.
    pub(super) fn may_nest(&self) -> bool {
        self.stack.len() < MAX_DEPTH
    }
}
