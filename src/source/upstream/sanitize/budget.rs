//! BUDGET: what one item's markup may cost. html5ever's tree builder scans its stack of open
//! elements and its list of active formatting elements at almost every token, and ammonia's
//! DOM searches a node's siblings whenever a node goes before another: each linear, so a
//! document that keeps them long costs the square of its size (100,000 nested `<div>`s took
//! 287 s). [`parse`] builds the tree once with html5ever and [`Tree`], a handful of bytes at a
//! time, and stops as soon as it is over any bound below; over budget, an item keeps only its
//! text ([`raw_text`]).
//!
//! Being html5ever's own tree builder, it switches tokenizer states (`<style>`, `<svg>`,
//! CDATA) and closes elements exactly as ammonia's parse of the same text will.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use html5ever::interface::Tracer;
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{LocalName, ParseOpts, QualName, local_name, ns, parse_fragment};

use super::costs::Costs;
use super::tree::{Handle, Tree, is_formatting, is_hidden_name};

/// Deepest nesting kept: open elements, plus formatting elements html5ever would reopen.
/// Browsers stop nesting at 512 too (Chromium's parser limit).
pub const MAX_DEPTH: usize = 512;

/// Most elements (with comments) one item may create, reopened formatting elements included:
/// ten times a long article's markup.
pub const MAX_NODES: usize = 50_000;

/// Bytes times the depth of html5ever's stack and list when they are read: each token may scan
/// both, and a token can be one byte. 2²⁹ lets 15 MiB through at an average depth of 32, and
/// 1 MiB at the deepest; at about 2 ns a step for both parses, it is a second.
const MAX_SCAN: u64 = 1 << 29;

/// Steps of ammonia's DOM searching among siblings ([`Costs::siblings`], about 1 ns each): a
/// table whose foster-parented content precedes it 16,000 times over is 2²⁷.
const MAX_SIBLINGS: u64 = 1 << 27;

/// Attributes cloned and sorted for Noah's Ark ([`Costs::noah`], about 20 ns each): a tenth
/// of a second.
const MAX_NOAH: u64 = 1 << 22;

/// Attributes hashed merging `<html>` tags ([`Costs::merged`], about 50 ns each).
const MAX_MERGED: u64 = 1 << 22;

/// Bytes the serializer scans for the next `<` or `>` ([`Costs::escaped`], about 200 a ns
/// with memchr optimised, 300 times slower in a debug build): 2³² is 20 ms; a 100 KB paragraph
/// with a thousand `&`s is 10⁸.
const MAX_ESCAPED: u64 = 1 << 32;

/// Bytes handed to html5ever between two readings: it can go this far (a few hundred tags)
/// past a bound before the parse stops.
const CHUNK: usize = 512;

/// The handles html5ever always holds: the document, the root `<html>`, the context element.
const ALWAYS_HELD: usize = 3;

/// The elements html5ever creates for every fragment: the root `<html>`, the context element.
const ALWAYS_CREATED: usize = 2;

/// Which bound an item's markup is over.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OverBudget {
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("elements nest deeper than {MAX_DEPTH}")]
    Depth,
    /// More than [`MAX_NODES`] elements.
    #[error("more than {MAX_NODES} elements")]
    Nodes,
    /// Parsing or writing it out would take too many steps of one kind.
    #[error("too many {0}")]
    Work(&'static str),
}

/// Counts what html5ever holds: open elements and formatting entries (by name).
#[derive(Default)]
struct Census {
    held: Cell<usize>,
    formatting: RefCell<HashMap<LocalName, usize>>,
}

impl Tracer for Census {
    type Handle = Handle;
    fn trace_handle(&self, node: &Handle) {
        self.held.set(self.held.get() + 1);
        let name = node.name();
        if is_formatting(name) {
            *self.formatting.borrow_mut().entry(name.local.clone()).or_default() += 1;
        }
    }
}

/// Names of the elements [`surely_within`] leaves to [`parse`]: the formatting elements (the
/// only ones html5ever reopens, clones in its adoption agency and compares in Noah's Ark; `a`
/// and `nobr` run the adoption agency too), `table` (foster parenting: nodes inserted before a
/// sibling), and those that merge attributes into an element or remove one (`html`, `body`,
/// `frameset`).
const NOT_SURE: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u", "table", "html",
    "body", "frameset",
];

/// Whether `html` is within every bound whatever html5ever makes of it, known from its bytes
/// without parsing: most items' markup (paragraphs, line breaks, images, headings) is.
///
/// Every tag starts at a `<`; with `t` of them, none naming an element of [`NOT_SURE`]:
/// - html5ever creates at most 3 elements per tag (its own, and `tbody` and `tr` implied
///   before a `td`; a `</p>` or `</br>` creates one) and a comment per `<!--`, besides the
///   root and the context element (`insert_phantom` and `create_element` in its tree builder);
///   it reopens and clones only formatting elements, and no other path creates any. So at most
///   `3t + 2` nodes.
/// - It holds the document, the root, the context element, the open elements, the form
///   element, and formatting entries (none here): held beyond [`ALWAYS_HELD`] at most
///   `3t + 2`; the tree nests no deeper than its `3t` elements. And each byte is scanned at
///   most `3t + 3` times.
/// - Without a table nothing is foster-parented, and only the adoption agency (formatting
///   elements) and `<frameset>` remove or move nodes: no searches among siblings. Noah's Ark
///   compares formatting elements only, and only `<html>` and `<body>` merge attributes.
/// - The serializer's scans start at a `&`, or a U+0080–U+00BF: in text or attribute values
///   they come from a `&` (a reference decodes to at most 2 characters) or a 0xC2 byte, and
///   each scan is at most as long as the decoded text, at most 3 bytes per byte read (U+0000
///   becomes U+FFFD).
pub fn surely_within(html: &str) -> bool {
    let b = html.as_bytes();
    let longest = NOT_SURE.iter().map(|n| n.len()).max().unwrap_or(0);
    let (mut tags, mut at) = (0u64, 0);
    while let Some(skip) = super::find_byte(&b[at..], |c| c == b'<') {
        tags += 1;
        at += skip + 1;
        // The name as the tokenizer reads it (to a space, `/` or `>`), after an end tag's `/`;
        // only as far as the longest name to look for, so that this stays linear.
        let start = at + usize::from(b.get(at) == Some(&b'/'));
        let name = &b[start..b.len().min(start + longest + 1)];
        let name = &name
            [..name.iter().position(|&c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>')).unwrap_or(name.len())];
        if NOT_SURE.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name)) {
            return false;
        }
    }
    let len = html.len() as u64;
    // Scans from every byte (26 KB) are within the bound: no need to count where they start.
    let escaped = || {
        let starts = b.iter().filter(|&&c| c == b'&' || c == 0xc2).count() as u64;
        (2 * starts).saturating_mul(3 * len) <= MAX_ESCAPED
    };
    3 * tags + 2 <= MAX_DEPTH as u64
        && 3 * tags <= MAX_NODES as u64
        && len.saturating_mul(3 * tags + 3) <= MAX_SCAN
        && (len.saturating_mul(6 * len) <= MAX_ESCAPED || escaped())
}

/// `html` parsed as ammonia parses it (a fragment in a `<div>`), if within every bound.
pub fn parse(html: &str) -> Result<Tree, OverBudget> {
    let context = QualName::new(None, ns!(html), local_name!("div"));
    let mut parser = parse_fragment(Tree::default(), ParseOpts::default(), context, Vec::new(), false);
    let mut scanned = 0u64;
    let mut rest = html;
    while !rest.is_empty() {
        let mut end = CHUNK.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        parser.process(StrTendril::from_slice(chunk));
        let builder = &parser.tokenizer.sink;
        let census = Census::default();
        builder.trace_handles(&census);
        let held = census.held.get().saturating_sub(ALWAYS_HELD);
        if held > MAX_DEPTH {
            return Err(OverBudget::Depth);
        }
        builder.sink.recount(census.formatting.take());
        scanned += chunk.len() as u64 * (held as u64 + 1);
        if scanned > MAX_SCAN {
            return Err(OverBudget::Work("scans of open elements"));
        }
        check(&builder.sink.costs)?;
    }
    let tree = parser.finish();
    check(&tree.costs)?;
    // The stack is read between chunks; the tree keeps every nesting, also one that opened
    // and closed within a chunk.
    if tree.depth() > MAX_DEPTH {
        return Err(OverBudget::Depth);
    }
    Ok(tree)
}

fn check(costs: &Costs) -> Result<(), OverBudget> {
    if costs.created.get() > (MAX_NODES + ALWAYS_CREATED) as u64 {
        return Err(OverBudget::Nodes);
    }
    for (spent, bound, what) in [
        (&costs.siblings, MAX_SIBLINGS, "searches among siblings"),
        (&costs.noah, MAX_NOAH, "comparisons of formatting elements"),
        (&costs.merged, MAX_MERGED, "attributes merged into <html>"),
        (&costs.escaped, MAX_ESCAPED, "bytes scanned while escaping"),
    ] {
        if spent.get() > bound {
            return Err(OverBudget::Work(what));
        }
    }
    Ok(())
}

/// The text of `html` without building a tree: html5ever's tokenizer alone, which is linear
/// (given [`super::attributes::cap`]). What the tree leaves out ([`is_hidden_name`]) is not text.
pub fn raw_text(html: &str) -> String {
    use html5ever::tokenizer::states::RawKind;
    use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};

    #[derive(Default)]
    struct Text {
        text: RefCell<String>,
        hidden: Cell<bool>,
    }
    impl TokenSink for Text {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            match token {
                // The same elements the tree's text leaves out; their content is raw text to the
                // tree builder (scripting on, as html5ever parses by default), so here too.
                Token::TagToken(tag) if is_hidden_name(&tag.name) => {
                    self.hidden.set(tag.kind == TagKind::StartTag);
                    if tag.kind == TagKind::StartTag {
                        let raw = if &*tag.name == "script" { RawKind::ScriptData } else { RawKind::Rawtext };
                        return TokenSinkResult::RawData(raw);
                    }
                }
                Token::CharacterTokens(t) if !self.hidden.get() => self.text.borrow_mut().push_str(&t),
                _ => {}
            }
            TokenSinkResult::Continue
        }
    }
    let tokenizer = Tokenizer::new(Text::default(), Default::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink.text.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_surely_within_is_within_the_bounds_its_proof_gives() {
        let item =
            format!("<p dir=\"rtl\" lang=\"ar\">{}</p><p>1 <script>x()</script></p><img src=a>", "نص ".repeat(999));
        assert!(surely_within(&item) && surely_within("a &amp; b") && surely_within(""));
        for not_sure in ["<b>x", "</I>", "<a href=x>", "<table>", "<html a>", "<BODY>", "<strong\n>"] {
            assert!(!surely_within(not_sure), "{not_sure}");
        }
        let tags = |n| "<p>".repeat(n);
        assert!(surely_within(&tags(170)) && !surely_within(&tags(171)), "3t + 2 ≤ {MAX_DEPTH}");
        // What the proof says, against what html5ever does, on the tags that imply others, close
        // nothing, switch modes or make comments (split at `|`).
        const PIECES: &str = "x|<p>|</p>|</br>|<td>|<tr>|<col>|<caption>|<template>|</template>|<div>|</div>|<li>|\
            <svg>|<math>|<select>|<option>|<hr>|<image>|<frameset>|<!--c-->|<?pi>|</ x>|<pre>|<button>|<form>|</form>|\
            <plaintext>|<textarea>|<xmp>|<noscript>|<input type=hidden>|<dd>|<h1>|&amp;|\u{a0}";
        let pieces: Vec<&str> = PIECES.split('|').collect();
        let mut rng = crate::source::upstream::xorshift::Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..5_000 {
            let mut below = |n: usize| rng.below(n);
            let n = 1 + below(60);
            let input: String = (0..n).map(|_| pieces[below(pieces.len())]).collect();
            if !surely_within(&input) {
                continue;
            }
            let t = input.matches('<').count() as u64;
            let tree = parse(&input).unwrap_or_else(|e| panic!("{e}: {input}"));
            assert!(tree.costs.created.get() <= 3 * t + 2 && tree.depth() as u64 <= 3 * t, "{input}");
            assert_eq!(tree.costs.siblings.get() + tree.costs.noah.get() + tree.costs.merged.get(), 0, "{input}");
        }
    }
}
