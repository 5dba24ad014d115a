//! SPLIT: a document's items as raw text, found before anything is parsed: each is hashed
//! with what shapes its reading, so a re-poll parses, sanitises and stores only the items that
//! are new or changed ([`Split::without`] cuts the others out), and the XML scan that finds
//! them is also the strict well-formedness check that decides whether a document needs repair.

use std::ops::Range;

use rayon::prelude::*;

use crate::model::digest;

/// Bump when reading an item changes (parsing, sanitising, import), so that items stored by
/// an older feedpub are read again once instead of being skipped as unchanged. (Changing the
/// hash itself does that too: feedpub-reader-1's hashes were SHA-256, and no BLAKE3 matches one.)
/// 2: an RSS item with `content:encoded` and no link no longer links to its feed.
const READER_VERSION: &str = "feedpub-reader-2";

/// Items hashed on one core, at least: fewer are not worth a thread.
const HASHED_PER_CORE: usize = 128;

/// Deepest element nesting the scan follows: deeper is hostile or broken, and the repair pass
/// flattens it to the same bound.
use super::repair::MAX_DEPTH;

/// One item of a document, as raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    /// Its bytes in the (decoded) document.
    pub span: Range<usize>,
    /// BLAKE3 (128 bits, hex: [`digest::blake3_keyed_hex128`]) of the item's text, keyed with
    /// its context: the reader's version, the URL it was fetched from (relative links resolve
    /// against it), the start tags around it (namespaces, `xml:base`, `xml:lang`) and the
    /// channel's title, link, id, author and language.
    pub hash: String,
}

/// The items of a document, in document order.
#[derive(Debug, Default)]
pub struct Split {
    /// The items, up to the limit.
    pub items: Vec<RawItem>,
    /// Past the limit: from the first such item to the end of the last, and how many.
    rest: Option<(Range<usize>, usize)>,
    json: bool,
    /// The start tags every item is in (the root first), when all are in the same elements.
    ancestors: Option<Vec<Range<usize>>>,
}

/// Why a document is not well-formed XML, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct IllFormed {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl IllFormed {
    fn at(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        IllFormed { line, column, message: message.into() }
    }
}

/// Whether `text` is a JSON document (a JSON Feed) rather than XML.
pub fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Splits `text`, fetched from `context` (the URL: it is part of each hash), into its items:
/// the first `limit` one by one, the rest as one span to leave out. XML must be well-formed:
/// no undefined entity, every element closed, one root, nothing but markup and space outside
/// it. A JSON document that is not a JSON object yields no items (the parser reports what is
/// wrong with it).
pub fn split(text: &str, context: &str, limit: usize) -> Result<Split, IllFormed> {
    if is_json(text) {
        return Ok(split_json(text, context, limit));
    }
    let scan = scan::scan(text, limit)?;
    let ancestors = scan.items.first().map(|(_, a)| a.clone()).filter(|a| scan.items.iter().all(|(_, b)| a == b));
    // The context is hashed once (per set of ancestors: every item has the same in a feed), so
    // a megabyte of root attributes costs a megabyte, not a megabyte per item.
    let mut salt = format!("{READER_VERSION}\n{context}\n");
    for element in &scan.context {
        salt.push_str(&text[element.clone()]);
    }
    let mut cached: Option<(Vec<Range<usize>>, [u8; 32])> = None;
    let keyed: Vec<(Range<usize>, [u8; 32])> = scan
        .items
        .into_iter()
        .map(|(span, ancestors)| {
            if cached.as_ref().is_none_or(|(a, _)| *a != ancestors) {
                let tags: String = ancestors.iter().map(|a| &text[a.clone()]).collect();
                cached = Some((ancestors, digest::blake3_key(&[salt.as_bytes(), b"\n", tags.as_bytes()])));
            }
            (span, cached.as_ref().expect("just set").1)
        })
        .collect();
    // Each item's hash is its own: on every core (most of a re-poll that finds one item new).
    let items = keyed
        .into_par_iter()
        .with_min_len(HASHED_PER_CORE)
        .map(|(span, key)| RawItem { hash: digest::blake3_keyed_hex128(&key, text[span.clone()].as_bytes()), span })
        .collect();
    Ok(Split { items, rest: scan.rest, json: false, ancestors })
}

impl Split {
    /// Items past the limit: how many.
    pub fn past_limit(&self) -> usize {
        self.rest.as_ref().map_or(0, |(_, n)| *n)
    }

    /// The start tags (as spans of the text) every item is in, the root's first: `None` for
    /// JSON, or when the items are not all in the same elements.
    pub fn ancestors(&self) -> Option<&[Range<usize>]> {
        self.ancestors.as_deref()
    }

    /// How many bytes of `text` (this split's) lie in none of its items, read or past the
    /// limit: what [`Split::without`] keeps whatever it drops.
    pub fn around_items(&self, text: &str) -> usize {
        let items: usize = self.items.iter().map(|i| i.span.len()).sum();
        let rest = self.rest.as_ref().map_or(0, |(r, _)| r.len());
        text.len().saturating_sub(items + rest)
    }

    /// `text` without the items past the limit and those `drop` (given each item's index) says
    /// to leave out: the same document, with only the items to read. `None` when nothing is
    /// left out.
    pub fn without(&self, text: &str, drop: impl Fn(usize, &RawItem) -> bool) -> Option<String> {
        let rest = self.rest.as_ref().map(|(span, _)| span.clone());
        if rest.is_none() && !self.items.iter().enumerate().any(|(n, i)| drop(n, i)) {
            return None;
        }
        let first = self.items.first()?;
        let end = rest.as_ref().map_or_else(|| self.items.last().map_or(first.span.end, |l| l.span.end), |r| r.end);
        let mut out = String::with_capacity(text.len());
        if self.json {
            // Items are array elements: the commas between them go with them.
            out.push_str(&text[..first.span.start]);
            let kept: Vec<&str> = self
                .items
                .iter()
                .enumerate()
                .filter(|(n, i)| !drop(*n, i))
                .map(|(_, i)| &text[i.span.clone()])
                .collect();
            out.push_str(&kept.join(","));
            out.push_str(&text[end..]);
        } else {
            let mut at = 0;
            let cut = self.items.iter().enumerate().filter(|(n, i)| drop(*n, i)).map(|(_, i)| i.span.clone());
            for span in cut.chain(rest) {
                out.push_str(&text[at..span.start]);
                at = span.end;
            }
            out.push_str(&text[at..]);
        }
        Some(out)
    }
}

/// What the XML scan found: the first `limit` items' spans with their ancestors' start tags;
/// the span from the first item past the limit to the end of the last, and how many those are;
/// and the channel's own elements that shape how its items are read or stored (title, link,
/// id, author, language).
struct Scan {
    items: Vec<(Range<usize>, Vec<Range<usize>>)>,
    rest: Option<(Range<usize>, usize)>,
    context: Vec<Range<usize>>,
}

/// Whether an element named `local`, at `depth` (the root is at 0) inside an element named
/// `parent`, in a document whose root is `root`, is an item: RSS `<item>` in `<channel>` (0.9x,
/// 2.0) or in the root (RDF: 0.90, 1.0), Atom `<entry>` in the root.
fn is_item(local: &str, depth: usize, parent: Option<&str>, root: &str) -> bool {
    match (local, depth) {
        // An <item> in an Atom feed is no entry: counted, so the poll line says it was not read.
        ("item", 1) => matches!(root, "RDF" | "feed"),
        ("entry", 1) => root == "feed",
        ("item", 2) => parent == Some("channel") && matches!(root, "rss" | "RDF"),
        _ => false,
    }
}

/// Whether an element named `local`, a child of the channel (RSS, RDF) or of the feed (Atom),
/// is one whose text the items are read with: provenance, a fallback title, a language, an
/// inherited author.
fn is_context(local: &str, depth: usize, root: &str) -> bool {
    let channel_child = match root {
        "feed" => depth == 1,
        _ => depth == 2,
    };
    channel_child && matches!(local, "title" | "link" | "id" | "author" | "language")
}

/// The local name of a qualified name (`dc:language` → `language`).
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// A JSON Feed's items: the elements of its top-level `items` array.
fn split_json(text: &str, context: &str, limit: usize) -> Split {
    use serde_json::value::RawValue;
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow, default)]
        items: Vec<&'a RawValue>,
        // What items are read and stored with: their language, inherited authors, provenance.
        #[serde(borrow, default)]
        language: Option<&'a RawValue>,
        #[serde(borrow, default)]
        title: Option<&'a RawValue>,
        #[serde(borrow, default)]
        home_page_url: Option<&'a RawValue>,
        #[serde(borrow, default)]
        feed_url: Option<&'a RawValue>,
        #[serde(borrow, default)]
        author: Option<&'a RawValue>,
        #[serde(borrow, default)]
        authors: Option<&'a RawValue>,
    }
    let Ok(top) = serde_json::from_str::<Top<'_>>(text) else {
        return Split { items: Vec::new(), rest: None, json: true, ancestors: None };
    };
    let fields = [top.language, top.title, top.home_page_url, top.feed_url, top.author, top.authors];
    let fields: String = fields.iter().map(|f| f.map_or("-", |r| r.get())).collect::<Vec<_>>().join("\n");
    let key = digest::blake3_key(&[format!("{READER_VERSION}\n{context}\n{fields}\n").as_bytes()]);
    let base = text.as_ptr() as usize;
    let span = |raw: &RawValue| {
        let start = raw.get().as_ptr() as usize - base;
        start..start + raw.get().len()
    };
    let items = top
        .items
        .iter()
        .take(limit)
        .map(|raw| RawItem { hash: digest::blake3_keyed_hex128(&key, raw.get().as_bytes()), span: span(raw) })
        .collect();
    let rest = match (top.items.get(limit), top.items.last()) {
        (Some(first), Some(last)) => Some((span(first).start..span(last).end, top.items.len() - limit)),
        _ => None,
    };
    Split { items, rest, json: true, ancestors: None }
}

mod scan;
#[cfg(test)]
mod tests;
