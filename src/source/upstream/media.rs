//! MEDIA: what an item's content carries, by its media type: HTML, text, or nothing a reader
//! can show. Atom 1.0 (RFC 4287 §4.1.3.3) lets `<content>` name any media type: a `text/*` one
//! that is not XML is literal text, an XML one is inline XML, and any other is a base64 document.
//! feed-rs hands the base64 over as it stands, so without this an image became a paragraph of
//! `iVBORw0KGgo…`.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// What a content body is, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    /// Plain text, to be shown as such.
    Text(String),
    /// HTML (or XHTML), to be sanitised.
    Html(String),
    /// Nothing a reader can show as prose (an image, a binary document, undecodable base64,
    /// an XML vocabulary other than XHTML): skipped, and the item keeps its title.
    Binary,
}

impl Media {
    /// Whether there is anything to show.
    pub fn is_readable(&self) -> bool {
        !matches!(self, Media::Binary)
    }
}

/// What `body`, an item's content or summary as feed-rs gives it, carries when its type is
/// `media_type` (feed-rs's `content_type.to_string()`: `text/plain` for Atom `text`,
/// `text/html` for `html`, `application/xhtml+xml` for `xhtml`, or the media type an Atom
/// `<content type="…">` names).
pub fn content(media_type: &str, body: String) -> Media {
    let essence = essence(media_type);
    if is_html(&essence) {
        Media::Html(body)
    } else if essence.ends_with("/xml") || essence.ends_with("+xml") {
        // Inline XML of some other vocabulary (SVG, MathML, a feed): not prose.
        Media::Binary
    } else if essence.starts_with("text/") || essence.is_empty() {
        Media::Text(body)
    } else {
        base64_document(media_type, &body)
    }
}

/// `body`, base64 (whitespace anywhere, padding or not), decoded as a document of `media_type`:
/// HTML and text types as themselves (in the `charset` the type names, UTF-8 otherwise);
/// other types as text when the bytes are printable UTF-8 (JSON, a `.txt` served as
/// `application/octet-stream`); anything else, and base64 that does not decode, as
/// [`Media::Binary`]. Atom 0.3's `mode="base64"` uses it for every type.
pub fn base64_document(media_type: &str, body: &str) -> Media {
    let Some(bytes) = decode_base64(body) else { return Media::Binary };
    let essence = essence(media_type);
    let declared = charset(media_type).and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()));
    let text = match declared {
        Some(encoding) => encoding.decode_without_bom_handling_and_without_replacement(&bytes).map(|t| t.into_owned()),
        None => String::from_utf8(bytes).ok(),
    };
    let Some(text) = text else { return Media::Binary };
    // Media that are never prose, whatever their bytes happen to be.
    let opaque = ["image/", "audio/", "video/", "font/", "model/"].iter().any(|p| essence.starts_with(p));
    if opaque || !printable(&text) {
        Media::Binary
    } else if is_html(&essence) {
        Media::Html(text)
    } else {
        Media::Text(text)
    }
}

/// The decoded bytes of base64 `body`, whitespace ignored, `=` padding optional, standard or
/// URL-safe alphabet; `None` when it is not base64.
pub(crate) fn decode_base64(body: &str) -> Option<Vec<u8>> {
    const fn lenient(alphabet: &base64::alphabet::Alphabet) -> GeneralPurpose {
        let config = GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true);
        GeneralPurpose::new(alphabet, config)
    }
    const STANDARD: GeneralPurpose = lenient(&base64::alphabet::STANDARD);
    const URL_SAFE: GeneralPurpose = lenient(&base64::alphabet::URL_SAFE);
    let compact: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    STANDARD.decode(&compact).or_else(|_| URL_SAFE.decode(&compact)).ok()
}

/// The type without parameters, lower case: `Text/HTML; charset=x` → `text/html`.
fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn charset(media_type: &str) -> Option<&str> {
    media_type.split(';').skip(1).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches('"'))
    })
}

fn is_html(essence: &str) -> bool {
    // feed-rs names Atom's `xhtml` `application/xhtml` (no `+xml`).
    matches!(essence, "text/html" | "html" | "application/xhtml+xml" | "application/xhtml" | "xhtml")
}

/// No control characters but tab and line breaks: text a person wrote, not bytes that happen
/// to be valid UTF-8.
fn printable(text: &str) -> bool {
    text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_types_feed_rs_names_for_atom_text_constructs() {
        assert_eq!(content("text/html", "<p>x</p>".into()), Media::Html("<p>x</p>".into()));
        assert_eq!(content("application/xhtml", "<b>x</b>".into()), Media::Html("<b>x</b>".into()));
        assert_eq!(content("application/xhtml+xml", "<b>x</b>".into()), Media::Html("<b>x</b>".into()));
        assert_eq!(content("text/plain", "a < b".into()), Media::Text("a < b".into()));
    }

    #[test]
    fn text_types_are_literal_not_base64() {
        // "aGk=" is base64 for "hi", but a text/* body is the text itself (RFC 4287 §4.1.3.3).
        assert_eq!(content("text/markdown", "aGk=".into()), Media::Text("aGk=".into()));
        assert_eq!(content("TEXT/HTML; charset=utf-8", "<i>x</i>".into()), Media::Html("<i>x</i>".into()));
    }

    #[test]
    fn images_and_other_xml_are_not_shown() {
        // The first bytes of a PNG.
        assert_eq!(content("image/png", "iVBORw0KGgo=".into()), Media::Binary);
        // An image whose bytes happen to be ASCII is still an image.
        assert_eq!(content("image/x-portable-pixmap", "UDMgMSAx".into()), Media::Binary);
        assert_eq!(content("image/svg+xml", "<svg/>".into()), Media::Binary);
        assert!(!content("application/octet-stream", "AAEC/w==".into()).is_readable());
        assert_eq!(content("application/pdf", "not base64 at all!".into()), Media::Binary);
    }

    #[test]
    fn base64_text_decodes_with_or_without_padding_and_whitespace() {
        // "Harbour opens at dawn" in base64, wrapped and without its padding.
        let wrapped = "SGFyYm91ciBvcGVu\n  cyBhdCBkYXdu";
        assert_eq!(content("application/json", wrapped.into()), Media::Text("Harbour opens at dawn".into()));
        assert_eq!(
            base64_document("text/plain", "SGFyYm91ciBvcGVucyBhdCBkYXdu"),
            Media::Text("Harbour opens at dawn".into())
        );
        assert_eq!(base64_document("text/html", "PGI+aGk8L2I+"), Media::Html("<b>hi</b>".into()));
        // URL-safe alphabet: "??>" is "Pz8-" there, "Pz8+" in the standard one.
        assert_eq!(base64_document("text/plain", "Pz8-"), Media::Text("??>".into()));
    }

    #[test]
    fn base64_text_in_the_charset_it_names() {
        // "Привет" in koi8-r, base64.
        assert_eq!(base64_document("text/plain; charset=koi8-r", "8NLJ18XU"), Media::Text("Привет".into()));
        // Without a charset, bytes that are not UTF-8 are not text.
        assert_eq!(base64_document("text/plain", "8NLJ18XU"), Media::Binary);
    }
}
