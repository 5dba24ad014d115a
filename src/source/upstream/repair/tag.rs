//! Start tags: attributes quoted, given values, spaced and made unique; the root told from junk
//! before it; nesting capped.

use std::collections::HashSet;

use super::scan::{Phase, Scanner};
use super::text::{find_byte, fix_chars, forbidden_at, is_ws, name_end, skip_ws, starts_name};

/// Past this many attributes, duplicates are looked up in a set instead of the list.
const LINEAR_ATTRS: usize = 16;

impl<'a> Scanner<'a> {
    /// The start tag at `at` (a `<` and a name start); returns where it ends.
    pub(super) fn start_tag(&mut self, at: usize) -> usize {
        let b = self.b;
        // Before the feed's root start tag, a start tag is junk; else the first one is the root.
        let junk = match self.phase {
            Phase::Prolog => self.root_at.is_some_and(|r| at < r),
            Phase::Root => false,
            Phase::After => true,
        };
        if self.phase == Phase::Prolog && !junk {
            self.start_prolog();
        }
        // Written as it is read; taken back (with what it counted) if it is not kept.
        let (mark, saved) = (self.out.len(), self.fixes.clone());
        let name = &b[at + 1..name_end(b, at + 1)];
        self.out.push(b'<');
        self.out.extend_from_slice(name);
        self.attrs.clear();
        self.attr_set = None;
        let mut j = at + 1 + name.len();
        let (end, empty) = loop {
            let ws = j;
            j = skip_ws(b, j);
            let Some(&c) = b.get(j) else {
                self.out.truncate(mark);
                self.fixes = saved;
                self.fixes.truncated_tags += 1;
                return b.len();
            };
            match c {
                b'>' => {
                    self.out.extend_from_slice(&b[ws..=j]);
                    break (j + 1, false);
                }
                b'/' if b.get(j + 1) == Some(&b'>') => {
                    self.out.extend_from_slice(&b[ws..j + 2]);
                    break (j + 2, true);
                }
                b'<' => {
                    // Cut short by the next tag: ends here.
                    self.fixes.tags_fixed += 1;
                    self.out.push(b'>');
                    break (j, false);
                }
                _ if starts_name(b, j) => {
                    let attr_mark = self.out.len();
                    if j > ws {
                        self.out.extend_from_slice(&b[ws..j]);
                    } else {
                        self.fixes.tags_fixed += 1;
                        self.out.push(b' ');
                    }
                    let attr = &b[j..name_end(b, j)];
                    self.out.extend_from_slice(attr);
                    let Some(next) = self.attr_value(j + attr.len(), attr) else {
                        self.out.truncate(mark);
                        self.fixes = saved;
                        self.fixes.truncated_tags += 1;
                        return b.len();
                    };
                    if self.is_duplicate(attr) {
                        self.out.truncate(attr_mark);
                        self.fixes.attributes_dropped += 1;
                    }
                    j = next;
                }
                _ => {
                    // Junk (a stray quote, `=`, a control character): skipped, whole.
                    self.fixes.tags_fixed += 1;
                    j += forbidden_at(b, j).max(1);
                }
            }
        };
        let too_deep = !empty && !self.may_nest();
        if junk || too_deep {
            self.out.truncate(mark);
            self.fixes = saved;
            if junk {
                self.junk();
            } else {
                self.fixes.too_deep += 1;
            }
            return end;
        }
        if !empty {
            self.push(name);
        }
        if self.phase == Phase::Prolog {
            self.phase = if empty { Phase::After } else { Phase::Root };
        }
        end
    }

    /// The value of the attribute `name` whose name ends at `at`, written as `="…"`: returns
    /// where it ends, None when the input ends first.
    fn attr_value(&mut self, at: usize, name: &[u8]) -> Option<usize> {
        let b = self.b;
        let eq = skip_ws(b, at);
        if b.get(eq) != Some(&b'=') {
            // `<input disabled>`: the HTML meaning, as XML.
            self.fixes.tags_fixed += 1;
            self.out.extend_from_slice(b"=\"");
            self.out.extend_from_slice(name);
            self.out.push(b'"');
            return Some(at);
        }
        let v = skip_ws(b, eq + 1);
        self.out.extend_from_slice(&b[at..v]);
        match *b.get(v)? {
            q @ (b'"' | b'\'') => {
                let close = find_byte(b, v + 1, q);
                if close >= b.len() {
                    return None;
                }
                self.out.push(q);
                fix_chars(&b[v + 1..close], Some(q), &mut self.out, &mut self.fixes);
                self.out.push(q);
                Some(close + 1)
            }
            _ => {
                // Unquoted: up to white space or the end of the tag (a `/` before `>` closes it).
                let mut e = v;
                while b.get(e).is_some_and(|&c| !is_ws(c) && c != b'>' && c != b'<') {
                    e += 1;
                }
                if e >= b.len() {
                    return None;
                }
                if b[e] == b'>' && e > v && b[e - 1] == b'/' {
                    e -= 1;
                }
                self.fixes.tags_fixed += 1;
                self.out.push(b'"');
                fix_chars(&b[v..e], Some(b'"'), &mut self.out, &mut self.fixes);
                self.out.push(b'"');
                Some(e)
            }
        }
    }

    /// Whether the current tag already has an attribute `name` (and notes it if not).
    fn is_duplicate(&mut self, name: &'a [u8]) -> bool {
        if let Some(set) = &mut self.attr_set {
            return !set.insert(name);
        }
        if self.attrs.contains(&name) {
            return true;
        }
        self.attrs.push(name);
        if self.attrs.len() > LINEAR_ATTRS {
            self.attr_set = Some(self.attrs.iter().copied().collect::<HashSet<_>>());
        }
        false
    }
}
