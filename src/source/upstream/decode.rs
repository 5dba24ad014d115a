//! DECODE: an upstream document's raw bytes → UTF-8 text, whatever it was written in.
//!
//! STUB (issue 15, being written): today only the HTTP charset of an undeclared document.

use std::borrow::Cow;

use encoding_rs::Encoding;

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
    /// Nothing was declared and the bytes are not UTF-8: chardetng guessed.
    Detected,
    /// Something was declared, but the bytes are not in it: read as what they are.
    Mismatch {
        /// What the document (or its HTTP header) said.
        declared: &'static Encoding,
    },
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
    let label = charset.and_then(|c| Encoding::for_label(c.trim().as_bytes()));
    let (encoding, basis) = match label {
        Some(e) => (e, Basis::Http),
        None => (encoding_rs::UTF_8, Basis::Default),
    };
    let (text, _, _) = encoding.decode(bytes);
    Decoded { text, encoding, basis }
}
