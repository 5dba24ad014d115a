//! What was declared against what the bytes are: byte order marks, HTTP over the declaration,
//! declarations that lie, UTF-8 with stray bytes, JSON.

use encoding_rs::{SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252, WINDOWS_1256};

use super::languages::{ARABIC, FRENCH, JAPANESE, RUSSIAN};
use super::{assert_read, borrowed, decode, encode, rss, utf16};
use crate::source::upstream::decode::Basis;

fn xml(label: &str, doc: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"{label}\"?>{doc}")
}

/// What a declared document reads as: its declaration without the `encoding`.
fn bare(doc: &str) -> String {
    format!("<?xml version=\"1.0\"?>{doc}")
}

#[test]
fn utf_8_declared_or_not_is_borrowed_as_it_is() {
    let doc = rss(ARABIC.0, ARABIC.1);
    let d = decode(doc.as_bytes(), None);
    assert_read(&d, &doc, UTF_8, Basis::Default);
    assert!(borrowed(&d));
    let declared = xml("UTF-8", &doc);
    let d = decode(declared.as_bytes(), Some("utf-8"));
    // A declaration that says UTF-8 is true of the text: it stays.
    assert_read(&d, &declared, UTF_8, Basis::Http);
    assert!(borrowed(&d));
    assert_read(&decode(declared.as_bytes(), None), &declared, UTF_8, Basis::Declaration);
}

#[test]
fn byte_order_marks() {
    let doc = rss(RUSSIAN.0, RUSSIAN.1);
    let bytes = [b"\xEF\xBB\xBF", doc.as_bytes()].concat();
    let d = decode(&bytes, Some("windows-1251"));
    assert_read(&d, &doc, UTF_8, Basis::Bom);
    assert!(borrowed(&d));
    let declared = xml("UTF-16", &doc);
    for (encoding, little, bom) in [(UTF_16LE, true, b"\xFF\xFE"), (UTF_16BE, false, b"\xFE\xFF")] {
        let bytes = [&bom[..], &utf16(&declared, little)].concat();
        let d = decode(&bytes, Some("iso-8859-1"));
        assert_read(&d, &bare(&doc), encoding, Basis::Bom);
    }
}

#[test]
fn utf_16_without_a_byte_order_mark_is_told_by_its_first_bytes() {
    let doc = rss(JAPANESE.0, JAPANESE.1);
    assert_read(&decode(&utf16(&xml("UTF-16", &doc), false), None), &bare(&doc), UTF_16BE, Basis::Declaration);
    assert_read(&decode(&utf16(&doc, true), None), &doc, UTF_16LE, Basis::Detected);
    assert_read(&decode(&utf16(&doc, true), Some("utf-16")), &doc, UTF_16LE, Basis::Http);
    let mislabelled = Basis::Mismatch { declared: UTF_8 };
    assert_read(&decode(&utf16(&doc, true), Some("utf-8")), &doc, UTF_16LE, mislabelled);
}

#[test]
fn http_charset_beats_the_declaration() {
    let doc = rss(RUSSIAN.0, RUSSIAN.1);
    let bytes = encode(WINDOWS_1251, &xml("ISO-8859-1", &doc));
    assert_read(&decode(&bytes, Some("windows-1251")), &bare(&doc), WINDOWS_1251, Basis::Http);
    assert_read(&decode(&bytes, Some("\"Windows-1251\"")), &bare(&doc), WINDOWS_1251, Basis::Http);
}

#[test]
fn a_wrong_http_charset_yields_to_the_declaration() {
    // Servers label whatever they send as UTF-8 or ISO-8859-1 by default; the document knows.
    let doc = rss(ARABIC.0, ARABIC.1);
    let bytes = encode(WINDOWS_1256, &xml("windows-1256", &doc));
    for (charset, declared) in [("utf-8", UTF_8), ("ISO-8859-1", WINDOWS_1252)] {
        assert_read(&decode(&bytes, Some(charset)), &bare(&doc), WINDOWS_1256, Basis::Mismatch { declared });
    }
}

#[test]
fn declared_iso_8859_1_but_utf_8_is_read_as_utf_8() {
    let doc = rss(FRENCH.0, FRENCH.1);
    let declared = xml("ISO-8859-1", &doc);
    let mismatch = Basis::Mismatch { declared: WINDOWS_1252 };
    assert_read(&decode(declared.as_bytes(), None), &bare(&doc), UTF_8, mismatch);
    assert_read(&decode(doc.as_bytes(), Some("iso-8859-1")), &doc, UTF_8, mismatch);
    // Plain ASCII reads the same in either: taken at its word, and nothing is copied.
    let ascii = rss("Plain", "Nothing but ASCII here.");
    let d = decode(ascii.as_bytes(), Some("iso-8859-1"));
    assert_read(&d, &ascii, WINDOWS_1252, Basis::Http);
    assert!(borrowed(&d));
}

#[test]
fn declared_utf_8_but_windows_1256_is_detected() {
    let doc = rss(ARABIC.0, ARABIC.1);
    let mismatch = Basis::Mismatch { declared: UTF_8 };
    assert_read(&decode(&encode(WINDOWS_1256, &xml("utf-8", &doc)), None), &xml("utf-8", &doc), WINDOWS_1256, mismatch);
    assert_read(&decode(&encode(WINDOWS_1256, &doc), Some("UTF-8")), &doc, WINDOWS_1256, mismatch);
    // A UTF-8 byte order mark that lies is no better.
    let bytes = [&b"\xEF\xBB\xBF"[..], &encode(WINDOWS_1256, &doc)].concat();
    assert_read(&decode(&bytes, None), &doc, WINDOWS_1256, mismatch);
}

#[test]
fn declared_latin_but_cyrillic_or_arabic_is_read_as_what_it_is() {
    for (text, encoding) in [(RUSSIAN, WINDOWS_1251), (ARABIC, WINDOWS_1256)] {
        let doc = rss(text.0, text.1);
        let bytes = encode(encoding, &xml("windows-1252", &doc));
        assert_read(&decode(&bytes, None), &bare(&doc), encoding, Basis::Mismatch { declared: WINDOWS_1252 });
    }
}

#[test]
fn legitimate_latin_1_is_never_corrected() {
    let doc = rss(FRENCH.0, FRENCH.1);
    let bytes = encode(WINDOWS_1252, &xml("windows-1252", &doc));
    assert_read(&decode(&bytes, None), &bare(&doc), WINDOWS_1252, Basis::Declaration);
    assert_read(&decode(&encode(WINDOWS_1252, &doc), Some("iso-8859-1")), &doc, WINDOWS_1252, Basis::Http);
    // Headlines in capitals and names are text too.
    let shouting = rss("ÉTÉ À MÜNCHEN", "GRÖSSTE FÊTE DE L'ÉTÉ: Ça coûte 5 €, où? À Zürich, Göteborg et Málaga.");
    let bytes = encode(WINDOWS_1252, &xml("windows-1252", &shouting));
    assert_read(&decode(&bytes, None), &bare(&shouting), WINDOWS_1252, Basis::Declaration);
}

#[test]
fn a_declared_multi_byte_encoding_that_is_malformed_is_detected() {
    let doc = rss(JAPANESE.0, JAPANESE.1);
    let bytes = encode(encoding_rs::EUC_JP, &xml("Shift_JIS", &doc));
    let d = decode(&bytes, None);
    assert_read(&d, &bare(&doc), encoding_rs::EUC_JP, Basis::Mismatch { declared: SHIFT_JIS });
}

#[test]
fn utf_8_with_stray_latin_1_bytes_keeps_its_utf_8() {
    // One item pasted from a Latin-1 page into an otherwise UTF-8 feed.
    let utf8 = rss(ARABIC.0, ARABIC.1);
    let bytes = [utf8.as_bytes(), b"<!-- caf\xE9 cr\xE8me -->"].concat();
    let want = format!("{utf8}<!-- café crème -->");
    let mixed = Basis::Mixed { stray: 2, fallback: WINDOWS_1252 };
    assert_read(&decode(&bytes, None), &want, UTF_8, mixed);
    assert_read(&decode(&bytes, Some("utf-8")), &want, UTF_8, mixed);
}

#[test]
fn json_is_utf_8_whatever_is_declared() {
    let json = format!("{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"{}\"}}", ARABIC.0);
    let d = decode(json.as_bytes(), Some("windows-1256"));
    assert_read(&d, &json, UTF_8, Basis::Default);
    assert!(borrowed(&d));
    assert_read(&decode(&[b"\xEF\xBB\xBF", json.as_bytes()].concat(), None), &json, UTF_8, Basis::Bom);
    let le = [&b"\xFF\xFE"[..], &utf16(&json, true)].concat();
    assert_read(&decode(&le, None), &json, UTF_16LE, Basis::Bom);
    // Not UTF-8 after all: read as what it is.
    let long = format!("{{\"title\":\"{}\",\"content_text\":\"{}\"}}", ARABIC.0, ARABIC.1);
    assert_read(&decode(&encode(WINDOWS_1256, &long), None), &long, WINDOWS_1256, Basis::Detected);
}
