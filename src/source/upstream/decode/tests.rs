//! Decode's tests: fixtures of our own words, encoded with encoding_rs in each test.

mod declared;
mod languages;
mod robust;

use std::borrow::Cow;

use encoding_rs::Encoding;

use super::{Basis, Decoded, decode};

/// An RSS document of one item, `title` and `body` in it, no XML declaration.
fn rss(title: &str, body: &str) -> String {
    format!(
        "<rss version=\"2.0\"><channel><title>{title}</title><link>https://news.example/</link>\
         <item><guid>n1</guid><title>{title}</title><description>{body}</description></item></channel></rss>"
    )
}

/// `text` in `encoding`, which must be able to write all of it.
fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let (bytes, used, unmappable) = encoding.encode(text);
    assert_eq!(used, encoding, "encoding_rs writes {} as {}", encoding.name(), used.name());
    assert!(!unmappable, "{} cannot write {text}", encoding.name());
    bytes.into_owned()
}

/// `text` as UTF-16, little- or big-endian, no byte order mark.
fn utf16(text: &str, little: bool) -> Vec<u8> {
    text.encode_utf16().flat_map(|u| if little { u.to_le_bytes() } else { u.to_be_bytes() }).collect()
}

/// Asserts that `decoded` is `text`, read as `encoding` on `basis`.
#[track_caller]
fn assert_read(decoded: &Decoded<'_>, text: &str, encoding: &'static Encoding, basis: Basis) {
    assert_eq!(decoded.text, text);
    assert_eq!(
        (decoded.encoding.name(), decoded.basis),
        (encoding.name(), basis),
        "read as {} ({})",
        decoded.encoding.name(),
        decoded.basis
    );
}

fn borrowed(decoded: &Decoded<'_>) -> bool {
    matches!(decoded.text, Cow::Borrowed(_))
}

#[test]
fn display_says_what_decided() {
    let cases = [
        (Basis::Bom, "byte order mark"),
        (Basis::Http, "HTTP charset"),
        (Basis::Declaration, "XML declaration"),
        (Basis::Default, "default"),
        (Basis::Detected, "detected"),
        (Basis::Mismatch { declared: encoding_rs::UTF_8 }, "declared UTF-8, but it is not"),
        (Basis::Mixed { stray: 1, fallback: encoding_rs::WINDOWS_1252 }, "1 stray byte read as windows-1252"),
        (Basis::Mixed { stray: 3, fallback: encoding_rs::WINDOWS_1252 }, "3 stray bytes read as windows-1252"),
    ];
    for (basis, said) in cases {
        assert_eq!(basis.to_string(), said);
    }
    assert!(!Basis::Http.surprising() && !Basis::Default.surprising());
    assert!(Basis::Detected.surprising());
}
