//! DECODE: an upstream document's raw bytes → UTF-8 text, whatever it was written in.
//!
//! The order is RFC 7303 §8.5's and XML 1.0 Appendix F's: a byte order mark, then the HTTP
//! `charset`, then the XML declaration, then UTF-16 told by its first bytes, then UTF-8 when the
//! bytes are UTF-8, then a guess by chardetng. JSON is UTF-8 (RFC 8259) whatever is declared.
//!
//! What is declared is checked against what the bytes are, because a feed that declares one
//! encoding and is in another is read as what it is: valid UTF-8 with multi-byte characters is
//! UTF-8 whatever it says; mostly-UTF-8 with a few stray bytes keeps its UTF-8; bytes the declared
//! decoder finds malformed, or that it reads as text no language writes, are detected instead.
//!
//! The common case (UTF-8, declared or not) is one validation pass and borrows the bytes.

mod evidence;
mod sniff;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::source::prose::utf8;

/// How much of a document chardetng reads, from its first non-ASCII byte: its guess has
/// settled long before (a few kilobytes of text), and it reads about 6 MB/s, so this bounds a
/// detection at a few milliseconds whatever the size.
const DETECT_BYTES: usize = 16 * 1024;

/// A reading whose implausibility ([`evidence::implausibility`]) is this or more is doubted.
const IMPLAUSIBLE: f32 = 0.5;

/// What decided the encoding a document was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// A byte order mark.
    Bom,
    /// The `charset` of the HTTP `Content-Type` (RFC 7303: it wins over the declaration).
    Http,
    /// The XML declaration's `encoding`.
    Declaration,
    /// Nothing was declared and the bytes are UTF-8 (or ASCII): the default.
    Default,
    /// Nothing was declared and the bytes are not UTF-8: chardetng guessed (or, for UTF-16
    /// without a byte order mark, its first bytes told).
    Detected,
    /// Something was declared, but the bytes are not in it: read as what they are.
    Mismatch {
        /// What the document (or its HTTP header, or its byte order mark) said.
        declared: &'static Encoding,
    },
    /// UTF-8 with some stray bytes that are not, read one by one in a single-byte encoding.
    Mixed {
        /// How many bytes were not UTF-8.
        stray: usize,
        /// What they were read as.
        fallback: &'static Encoding,
    },
}

impl Basis {
    /// Whether a reader of the poll line would want to know: anything but an encoding the
    /// document (or its server) named and the bytes bore out, or plain UTF-8.
    pub fn surprising(&self) -> bool {
        matches!(self, Basis::Detected | Basis::Mismatch { .. } | Basis::Mixed { .. })
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Basis::Bom => f.write_str("byte order mark"),
            Basis::Http => f.write_str("HTTP charset"),
            Basis::Declaration => f.write_str("XML declaration"),
            Basis::Default => f.write_str("default"),
            Basis::Detected => f.write_str("detected"),
            Basis::Mismatch { declared } => write!(f, "declared {}, but it is not", declared.name()),
            Basis::Mixed { stray, fallback } => {
                let s = if *stray == 1 { "" } else { "s" };
                write!(f, "{stray} stray byte{s} read as {}", fallback.name())
            }
        }
    }
}

/// A document as UTF-8 text: no byte order mark, and an XML declaration that names no
/// encoding any more (the text is UTF-8 whatever it said), so a parser reads it as it is.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// What it was read as.
    pub encoding: &'static Encoding,
    /// Why.
    pub basis: Basis,
}

/// Reads `bytes`, fetched with `charset` in its `Content-Type` (if any), as text.
pub fn decode<'a>(bytes: &'a [u8], charset: Option<&str>) -> Decoded<'a> {
    if let Some((bom, len)) = Encoding::for_bom(bytes) {
        let body = &bytes[len..];
        if bom != UTF_8 {
            return finish(bom.decode_without_bom_handling(body).0, bom, Basis::Bom);
        }
        return match utf8(body) {
            Some(text) => finish(Cow::Borrowed(text), UTF_8, Basis::Bom),
            None => not_utf8(body, Some(UTF_8), Basis::Bom, None),
        };
    }
    let http = charset.and_then(|c| known(c.trim().trim_matches(['"', '\'']).as_bytes()));
    if let Some(utf16) = sniff::utf16(bytes) {
        let text = utf16.decode_without_bom_handling(bytes).0;
        let basis = match http {
            Some(h) if is_utf16(h) => Basis::Http,
            Some(h) => Basis::Mismatch { declared: h },
            None if sniff::declaration(text.as_bytes()).and_then(|d| known(d.label)).is_some_and(is_utf16) => {
                Basis::Declaration
            }
            None => Basis::Detected,
        };
        return finish(text, utf16, basis);
    }
    let json = sniff::is_json(bytes);
    let declaration = if json { None } else { sniff::declaration(bytes).and_then(|d| known(d.label)) };
    let (declared, basis) = match (http, declaration) {
        (Some(h), _) => (Some(h), Basis::Http),
        (None, Some(d)) => (Some(d), Basis::Declaration),
        (None, None) => (None, Basis::Default),
    };
    // When the server and the document disagree, the document's word is the second opinion.
    let second = declaration.filter(|&d| http.is_some_and(|h| h != d));
    match utf8(bytes) {
        Some(text) => match declared {
            None => finish(Cow::Borrowed(text), UTF_8, Basis::Default),
            Some(d) if d == UTF_8 => finish(Cow::Borrowed(text), UTF_8, basis),
            // RFC 8259: JSON is UTF-8; a charset parameter means nothing to it.
            Some(_) if json => finish(Cow::Borrowed(text), UTF_8, Basis::Default),
            Some(other) => valid_utf8(text, other, basis),
        },
        None => not_utf8(bytes, declared, basis, second),
    }
}

/// Valid UTF-8 `text` that was declared to be in `declared`, another encoding.
fn valid_utf8<'a>(text: &'a str, declared: &'static Encoding, basis: Basis) -> Decoded<'a> {
    let mismatch = Basis::Mismatch { declared };
    // Legacy text is valid UTF-8 only by chance, and no chance survives a document's worth of
    // multi-byte characters: a windows-1252 label on UTF-8 is a server default, not the truth.
    // UTF-16 declared in bytes that read as ASCII (Appendix F) is as wrong.
    if Encoding::ascii_valid_up_to(text.as_bytes()) < text.len() || is_utf16(declared) {
        return finish(Cow::Borrowed(text), UTF_8, mismatch);
    }
    if declared.is_ascii_compatible() {
        // ASCII reads the same in it: nothing to decode.
        return finish(Cow::Borrowed(text), declared, basis);
    }
    // ISO-2022-JP is 7-bit; its escapes are what make it Japanese.
    match declared.decode_without_bom_handling(text.as_bytes()) {
        (decoded, false) => finish(decoded, declared, basis),
        (_, true) => finish(Cow::Borrowed(text), UTF_8, mismatch),
    }
}

/// `bytes`, which are not valid UTF-8, declared as `declared` (if anything) on `basis`, with
/// `second`, another encoding the document itself named, to try before guessing.
fn not_utf8<'a>(
    bytes: &'a [u8],
    declared: Option<&'static Encoding>,
    basis: Basis,
    second: Option<&'static Encoding>,
) -> Decoded<'a> {
    let legacy = |e: &&'static Encoding| *e != UTF_8 && !is_utf16(e);
    if evidence::Census::around_first_error(bytes).mostly_utf8() {
        // The stray bytes are most likely in the single-byte encoding the document names, if
        // it names one; else windows-1252, the commonest thing pasted into UTF-8.
        let fallback = declared.filter(|e| legacy(e) && e.is_single_byte()).unwrap_or(WINDOWS_1252);
        let (text, stray) = evidence::mixed(bytes, fallback);
        return finish(Cow::Owned(text), UTF_8, Basis::Mixed { stray, fallback });
    }
    // The declared encoding, when it reads the bytes cleanly as plausible text.
    let mut doubted = None;
    if let Some(d) = declared.filter(legacy) {
        let (text, malformed) = d.decode_without_bom_handling(bytes);
        if !malformed {
            let score = evidence::implausibility(&text);
            if score < IMPLAUSIBLE {
                return finish(text, d, basis);
            }
            doubted = Some((text, score));
        }
    }
    let mismatch =
        |declared: Option<&'static Encoding>| declared.map_or(Basis::Detected, |declared| Basis::Mismatch { declared });
    if let Some(s) = second.filter(legacy) {
        let (text, malformed) = s.decode_without_bom_handling(bytes);
        if !malformed && evidence::implausibility(&text) < IMPLAUSIBLE {
            return finish(text, s, mismatch(declared));
        }
    }
    let guess = detect(bytes);
    let (text, malformed) = guess.decode_without_bom_handling(bytes);
    match (declared, doubted) {
        (Some(d), _) if d == guess => finish(text, d, basis),
        // Read cleanly but implausibly as declared: only a much better reading overrules it,
        // so legitimate text in the declared encoding is never "corrected".
        (Some(d), Some((declared_text, score))) if malformed || evidence::implausibility(&text) > score / 2.0 => {
            finish(declared_text, d, basis)
        }
        _ => finish(text, guess, mismatch(declared)),
    }
}

/// chardetng's guess for `bytes`, known not to be UTF-8, from a bounded window that starts
/// just before its first non-ASCII byte (the markup before it says nothing).
fn detect(bytes: &[u8]) -> &'static Encoding {
    let start = Encoding::ascii_valid_up_to(bytes).saturating_sub(64);
    let window = &bytes[start..bytes.len().min(start + DETECT_BYTES)];
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    // `last` only when the window is the whole rest: a prefix may end mid-character.
    detector.feed(window, start + window.len() == bytes.len());
    detector.guess(None, Utf8Detection::Deny)
}

/// The encoding `label` names, if encoding_rs knows it (the "replacement" encoding, which
/// reads everything as U+FFFD, is as good as unknown).
fn known(label: &[u8]) -> Option<&'static Encoding> {
    Encoding::for_label_no_replacement(label)
}

fn is_utf16(encoding: &'static Encoding) -> bool {
    encoding == UTF_16LE || encoding == UTF_16BE
}

/// `text` without a leading byte order mark and without an `encoding` in its XML declaration
/// unless that says UTF-8, which it now is.
fn finish<'a>(text: Cow<'a, str>, encoding: &'static Encoding, basis: Basis) -> Decoded<'a> {
    let mut text = match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.strip_prefix('\u{FEFF}').unwrap_or(t)),
        Cow::Owned(mut t) if t.starts_with('\u{FEFF}') => {
            t.drain(..'\u{FEFF}'.len_utf8());
            Cow::Owned(t)
        }
        owned => owned,
    };
    if let Some(declared) = sniff::declaration(text.as_bytes()).filter(|d| known(d.label) != Some(UTF_8)) {
        let span = declared.span;
        text.to_mut().replace_range(span, "");
    }
    Decoded { text, encoding, basis }
}
