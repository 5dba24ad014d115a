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
