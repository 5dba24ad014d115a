//! What the first bytes of a document say about its encoding: the XML declaration, the
//! UTF-16 pattern of XML 1.0 Appendix F, whether it is JSON. Each looks at a bounded head of
//! the document, so none costs more than a few hundred bytes' scan whatever the size.

use std::ops::Range;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

/// How far into a document its XML declaration is looked for: junk or whitespace before it is
/// common enough in the wild (the repair pass deals with it), a declaration past this is not.
const HEAD: usize = 1024;

/// An XML declaration's `encoding` pseudo-attribute.
#[derive(Debug, PartialEq, Eq)]
pub struct Declared<'a> {
    /// The label as written, quotes removed.
    pub label: &'a [u8],
    /// The bytes to cut to take the pseudo-attribute out: the whitespace before `encoding`
    /// through the closing quote, so `version` and `standalone` stay as they were.
    pub span: Range<usize>,
}

/// The `encoding` of the XML declaration that opens `bytes` (only non-markup may precede it),
/// read in ASCII, as Appendix F reads it in any ASCII-compatible encoding.
pub fn declaration(bytes: &[u8]) -> Option<Declared<'_>> {
    let head = &bytes[..bytes.len().min(HEAD)];
    // The first `<` must open the declaration: one after an element or a comment is content.
    let start = head.iter().position(|&b| b == b'<')?;
    let rest = &head[start..];
    if !rest.starts_with(b"<?xml") || !rest.get(5).is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let end = start + find(&head[start..], b"?>")?;
    let decl = &head[..end];
    let mut at = start + 5;
    loop {
        let found = at + find(&decl[at..], b"encoding")?;
        at = found + b"encoding".len();
        // `encoding` must be a whole name: whitespace before it, `=` (after whitespace) next.
        if !decl[found - 1].is_ascii_whitespace() {
            continue;
        }
        let mut i = skip_space(decl, at);
        if decl.get(i) != Some(&b'=') {
            continue;
        }
        i = skip_space(decl, i + 1);
        let (value, after) = match decl.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let close = i + 1 + decl[i + 1..].iter().position(|&b| b == q)?;
                (i + 1..close, close + 1)
            }
            // Unquoted is not XML, but its meaning is plain: up to whitespace or the end.
            Some(_) => {
                let stop = decl[i..].iter().position(u8::is_ascii_whitespace).map_or(decl.len(), |n| i + n);
                (i..stop, stop)
            }
            None => return None,
        };
        let lead = decl[..found].iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |n| n + 1);
        return Some(Declared { label: &decl[value], span: lead..after });
    }
}

/// UTF-16 without a byte order mark, told by its first two characters being ASCII
/// (`<\0?\0`, `\0<\0?` in Appendix F; `{`, `[` or whitespace first for JSON and sloppy XML).
pub fn utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let opens = |b: u8| matches!(b, b'<' | b'{' | b'[' | b' ' | b'\t' | b'\r' | b'\n');
    let ascii = |b: u8| b != 0 && b.is_ascii();
    match *bytes {
        [a, 0, b, 0, ..] if opens(a) && ascii(b) => Some(UTF_16LE),
        [0, a, 0, b, ..] if opens(a) && ascii(b) => Some(UTF_16BE),
        _ => None,
    }
}

/// Whether the document is JSON: its first non-space byte opens an object or an array.
pub fn is_json(bytes: &[u8]) -> bool {
    matches!(bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}
