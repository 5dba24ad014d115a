//! The pass itself: markup told from text at each `<`, the open elements kept on a stack, and
//! the document's parts (prolog, root, what follows) kept apart.

use std::collections::{HashMap, HashSet};

use super::Fixes;
use super::text::{copy_allowed, find, find_byte, fix_chars, fix_comment, is_ws, name_end, skip_ws, starts_name};

/// Where in the document the pass is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Before the root element: only a declaration, a DOCTYPE, comments, PIs, white space.
    Prolog,
    /// Inside the root element.
    Root,
    /// After it: only comments, PIs, white space.
    After,
}

/// The state of one repair.
pub(super) struct Scanner<'a> {
    /// The input.
    pub(super) b: &'a [u8],
    /// The repaired document.
    pub(super) out: Vec<u8>,
    /// What was changed.
    pub(super) fixes: Fixes,
    pub(super) phase: Phase,
    /// The open elements' names, innermost last.
    pub(super) stack: Vec<&'a [u8]>,
    /// How many times each name is on the stack: whether an end tag names an open element is
    /// answered without walking the stack, so a run of stray end tags stays linear.
    pub(super) open: HashMap<&'a [u8], usize>,
    /// Where the feed's root start tag (`rss`, `feed`, `RDF`) is, when there is one: a start tag
    /// before it is junk (a PHP warning's `<b>`), not the root.
    pub(super) root_at: Option<usize>,
    /// White space at the very start, held back: it goes when an XML declaration follows.
    pending_ws: Option<&'a [u8]>,
    /// Whether anything but the BOM and that white space was written: an XML declaration is
    /// kept only before that.
    prolog_started: bool,
    doctype_seen: bool,
    /// The current start tag's attribute names, and a set of them for a tag with many.
    pub(super) attrs: Vec<&'a [u8]>,
    pub(super) attr_set: Option<HashSet<&'a [u8]>>,
}

impl<'a> Scanner<'a> {
    /// Repairs `b`: the document and what was changed.
    pub(super) fn run(b: &'a [u8]) -> (Vec<u8>, Fixes) {
        let mut s = Scanner {
            b,
            out: Vec::with_capacity(b.len() + b.len() / 16),
            fixes: Fixes::default(),
            phase: Phase::Prolog,
            stack: Vec::new(),
            open: HashMap::new(),
            root_at: super::root::find_root(b),
            pending_ws: None,
            prolog_started: false,
            doctype_seen: false,
            attrs: Vec::new(),
            attr_set: None,
        };
        let bom = "\u{feff}".as_bytes();
        let mut at = if b.starts_with(bom) { bom.len() } else { 0 };
        s.out.extend_from_slice(&b[..at]);
        while at < b.len() {
            // Every step moves forward, and no construct is scanned twice: linear.
            at = if b[at] == b'<' {
                s.markup(at)
            } else {
                let end = find_byte(b, at, b'<');
                s.text(at, end);
                end
            };
        }
        s.finish();
        (s.out, s.fixes)
    }

    /// Text from `at` to `end` (no `<` in it).
    fn text(&mut self, at: usize, end: usize) {
        let t = &self.b[at..end];
        let blank = t.iter().all(|&c| is_ws(c));
        match self.phase {
            Phase::Root => fix_chars(t, None, &mut self.out, &mut self.fixes),
            Phase::Prolog if blank && !self.prolog_started => {
                if self.pending_ws.replace(t).is_some() {
                    self.fixes.junk_before += 1;
                }
            }
            Phase::Prolog if blank => self.out.extend_from_slice(t),
            Phase::After if blank => self.out.extend_from_slice(t),
            Phase::Prolog => self.fixes.junk_before += 1,
            Phase::After => self.fixes.junk_after += 1,
        }
    }

    /// Writes what the prolog held back, before the first thing the prolog keeps.
    pub(super) fn start_prolog(&mut self) {
        if let Some(ws) = self.pending_ws.take() {
            self.out.extend_from_slice(ws);
        }
        self.prolog_started = true;
    }

    /// Counts one piece of junk dropped where the pass is.
    pub(super) fn junk(&mut self) {
        match self.phase {
            Phase::Prolog => self.fixes.junk_before += 1,
            Phase::Root => {}
            Phase::After => self.fixes.junk_after += 1,
        }
    }

    /// The markup at `at` (a `<`); returns where it ends.
    fn markup(&mut self, at: usize) -> usize {
        let (b, rest) = (self.b, &self.b[at..]);
        if rest.starts_with(b"<!--") {
            self.comment(at)
        } else if rest.starts_with(b"<![CDATA[") {
            self.cdata(at)
        } else if rest.get(..9).is_some_and(|r| r.eq_ignore_ascii_case(b"<!DOCTYPE")) {
            self.doctype(at)
        } else if rest.starts_with(b"<?") && starts_name(rest, 2) {
            self.pi(at)
        } else if rest.starts_with(b"</") && starts_name(rest, 2) {
            self.end_tag(at)
        } else if starts_name(rest, 1) {
            self.start_tag(at)
        } else if [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE", b"</", b"<?"]
            .iter()
            .any(|m| m.len() > rest.len() && m[..rest.len()].eq_ignore_ascii_case(rest))
        {
            // The start of markup, cut off by the end of the input.
            self.fixes.truncated_tags += 1;
            b.len()
        } else {
            match self.phase {
                Phase::Root => {
                    self.fixes.stray_lts += 1;
                    self.out.extend_from_slice(b"&lt;");
                }
                _ => self.junk(),
            }
            at + 1
        }
    }

    fn comment(&mut self, at: usize) -> usize {
        if self.phase == Phase::Prolog {
            self.start_prolog();
        }
        let b = self.b;
        let (body_end, end) = find(b, at + 4, b"-->").map_or((b.len(), b.len()), |e| (e, e + 3));
        self.out.extend_from_slice(b"<!--");
        fix_comment(&b[at + 4..body_end], &mut self.out, &mut self.fixes);
        self.out.extend_from_slice(b"-->");
        if body_end == b.len() {
            self.fixes.comments_closed += 1;
        }
        end
    }

    fn cdata(&mut self, at: usize) -> usize {
        let b = self.b;
        let (end, closed) = find(b, at + 9, b"]]>").map_or((b.len(), false), |e| (e + 3, true));
        if self.phase != Phase::Root {
            self.junk();
            return end;
        }
        copy_allowed(&b[at..end], b"]]>", &mut self.out, &mut self.fixes);
        if !closed {
            self.out.extend_from_slice(b"]]>");
            self.fixes.cdata_closed += 1;
        }
        end
    }

    /// A processing instruction, or an XML declaration: kept at the start, dropped elsewhere.
    fn pi(&mut self, at: usize) -> usize {
        let b = self.b;
        let target = &b[at + 2..name_end(b, at + 2)];
        let Some(end) = find(b, at + 2, b"?>").map(|e| e + 2) else {
            self.fixes.truncated_tags += 1;
            return b.len();
        };
        if target.eq_ignore_ascii_case(b"xml") {
            if self.phase != Phase::Prolog || self.prolog_started {
                self.fixes.xml_decls_dropped += 1;
                return end;
            }
            if self.pending_ws.take().is_some() {
                self.fixes.junk_before += 1;
            }
            self.prolog_started = true;
        } else if self.phase == Phase::Prolog {
            self.start_prolog();
        }
        copy_allowed(&b[at..end], b"?>", &mut self.out, &mut self.fixes);
        end
    }

    /// A DOCTYPE: kept only in the prolog, once, and plain: with an internal subset (the entities
    /// it declares are never expanded, so it has nothing to give) or anything odd, it goes.
    fn doctype(&mut self, at: usize) -> usize {
        let b = self.b;
        let (mut j, mut in_subset) = (at + 9, false);
        let end = loop {
            let Some(&c) = b.get(j) else {
                self.fixes.truncated_tags += 1;
                return b.len();
            };
            j = match c {
                b'"' | b'\'' => find_byte(b, j + 1, c).saturating_add(1),
                b'<' if in_subset && b[j..].starts_with(b"<!--") => find(b, j + 4, b"-->").map_or(b.len(), |e| e + 3),
                b'[' if !in_subset => {
                    in_subset = true;
                    j + 1
                }
                b']' if in_subset => {
                    in_subset = false;
                    j + 1
                }
                b'>' if !in_subset => break j + 1,
                _ => j + 1,
            };
        };
        if self.phase != Phase::Prolog || self.doctype_seen || !plain_doctype(&b[at..end]) {
            self.fixes.doctypes_dropped += 1;
        } else {
            self.start_prolog();
            copy_allowed(&b[at..end], b"", &mut self.out, &mut self.fixes);
        }
        self.doctype_seen = true;
        end
    }

    /// The end of the input: what is open, closed.
    fn finish(&mut self) {
        if let Some(ws) = self.pending_ws.take() {
            self.out.extend_from_slice(ws);
        }
        while !self.stack.is_empty() {
            self.close_top();
            self.fixes.elements_closed += 1;
        }
    }
}

/// Whether the DOCTYPE `d` (from `<!DOCTYPE` to its `>`) is the plain kind every reader takes
/// alike: a name, maybe an external id (`SYSTEM "…"`, `PUBLIC "…" "…"`), no internal subset, and
/// no `<`, `>` or `[` in its literals.
fn plain_doctype(d: &[u8]) -> bool {
    // A literal after white space at `j`: where it ends.
    let literal = |j: usize| -> Option<usize> {
        let k = skip_ws(d, j);
        let q = *d.get(k).filter(|&&q| k > j && (q == b'"' || q == b'\''))?;
        let close = k + 1 + d[k + 1..].iter().position(|&c| c == q)?;
        (!d[k + 1..close].iter().any(|c| b"<>[".contains(c))).then_some(close + 1)
    };
    let plain = || -> Option<()> {
        let k = skip_ws(d, 9);
        let mut j = (k > 9 && starts_name(d, k)).then(|| name_end(d, k))?;
        let id = skip_ws(d, j);
        if d[id..].starts_with(b"SYSTEM") {
            j = literal(id + 6)?;
        } else if d[id..].starts_with(b"PUBLIC") {
            j = literal(literal(id + 6)?)?;
        }
        (skip_ws(d, j) + 1 == d.len()).then_some(())
    };
    plain().is_some()
}
