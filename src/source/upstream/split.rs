//! SPLIT: a document's items as raw text, found before anything is parsed: each is hashed
//! with what shapes its reading, so a re-poll parses, sanitises and stores only the items that
//! are new or changed ([`Split::without`] cuts the others out), and the XML scan that finds
//! them is also the strict well-formedness check that decides whether a document needs repair.

use std::ops::Range;

use crate::model::digest;

/// Bump when reading an item changes (parsing, sanitising, import), so that items stored by
/// an older feedpub are read again once instead of being skipped as unchanged.
const READER_VERSION: &str = "feedpub-reader-1";

/// Deepest element nesting the scan follows: deeper is hostile or broken, and is the repair
/// pass's business (which caps it too).
const MAX_DEPTH: usize = 4_096;

/// One item of a document, as raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    /// Its bytes in the (decoded) document.
    pub span: Range<usize>,
    /// SHA-256 (128 bits, hex) of the item's text and its context: the reader's version, the
    /// URL it was fetched from (relative links resolve against it), the start tags around it
    /// (namespaces, `xml:base`, `xml:lang`) and the channel's language.
    pub hash: String,
}

/// The items of a document, in document order.
#[derive(Debug, Default)]
pub struct Split {
    /// The items.
    pub items: Vec<RawItem>,
    json: bool,
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

/// Splits `text`, fetched from `context` (the URL: it is part of each hash), into its items.
/// XML must be well-formed: no undefined entity, every element closed, one root, nothing but
/// markup and space outside it. A JSON document that is not a JSON object yields no items
/// (the parser reports what is wrong with it).
pub fn split(text: &str, context: &str) -> Result<Split, IllFormed> {
    if is_json(text) {
        return Ok(split_json(text, context));
    }
    let scan = scan::scan(text)?;
    let mut salt = format!("{READER_VERSION}\n{context}\n{}\n", scan.language);
    let items = scan
        .items
        .into_iter()
        .map(|(span, ancestors)| {
            salt.truncate(READER_VERSION.len() + context.len() + scan.language.len() + 3);
            for a in &ancestors {
                salt.push_str(&text[a.clone()]);
            }
            let hash = digest::sha256_hex128(format!("{salt}\n{}", &text[span.clone()]));
            RawItem { span, hash }
        })
        .collect();
    Ok(Split { items, json: false })
}

impl Split {
    /// `text` without the items `drop` (given each item's index) says to leave out: the same document, with only the
    /// items to read. `None` when nothing is left out.
    pub fn without(&self, text: &str, drop: impl Fn(usize, &RawItem) -> bool) -> Option<String> {
        if !self.items.iter().enumerate().any(|(n, i)| drop(n, i)) {
            return None;
        }
        let (first, last) = (self.items.first()?, self.items.last()?);
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
            out.push_str(&text[last.span.end..]);
        } else {
            let mut at = 0;
            for (_, item) in self.items.iter().enumerate().filter(|(n, i)| drop(*n, i)) {
                out.push_str(&text[at..item.span.start]);
                at = item.span.end;
            }
            out.push_str(&text[at..]);
        }
        Some(out)
    }
}

/// What the XML scan found: item spans with their ancestors' start tags, and the channel's
/// language (RSS `<language>`, `<dc:language>`), which items inherit.
struct Scan {
    items: Vec<(Range<usize>, Vec<Range<usize>>)>,
    language: String,
}

/// Whether an element named `local`, at `depth` (the root is at 0) inside an element named
/// `parent`, is an item: RSS `<item>` in `<channel>` (0.9x, 2.0) or in the root (RDF: 0.90,
/// 1.0), Atom `<entry>` in the root.
fn is_item(local: &str, depth: usize, parent: Option<&str>) -> bool {
    match (local, depth) {
        ("item", 1) | ("entry", 1) => true,
        ("item", 2) => parent == Some("channel"),
        _ => false,
    }
}

/// The local name of a qualified name (`dc:language` → `language`).
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// A JSON Feed's items: the elements of its top-level `items` array.
fn split_json(text: &str, context: &str) -> Split {
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow, default)]
        items: Vec<&'a serde_json::value::RawValue>,
        #[serde(default)]
        language: Option<String>,
    }
    let Ok(top) = serde_json::from_str::<Top<'_>>(text) else { return Split { items: Vec::new(), json: true } };
    let salt = format!("{READER_VERSION}\n{context}\n{}\n", top.language.unwrap_or_default());
    let base = text.as_ptr() as usize;
    let items = top
        .items
        .iter()
        .map(|raw| {
            let start = raw.get().as_ptr() as usize - base;
            let span = start..start + raw.get().len();
            RawItem { hash: digest::sha256_hex128(format!("{salt}{}", raw.get())), span }
        })
        .collect();
    Split { items, json: true }
}

mod scan;
#[cfg(test)]
mod tests;
