//! The XML declaration's edges, and inputs that must not panic whatever they are.

use encoding_rs::{UTF_8, WINDOWS_1251};

use super::{assert_read, decode, encode, rss};
use crate::source::upstream::decode::{Basis, sniff};

#[test]
fn the_declaration_loses_its_encoding_and_keeps_the_rest() {
    let doc = rss("t", "b");
    for (decl, want) in [
        ("<?xml version='1.0' encoding='koi8-r'?>", "<?xml version='1.0'?>"),
        (
            "<?xml version=\"1.0\"\n  encoding = \"cp1251\"\n  standalone=\"no\" ?>",
            "<?xml version=\"1.0\"\n  standalone=\"no\" ?>",
        ),
        ("<?xml version=\"1.0\" encoding=windows-1251?>", "<?xml version=\"1.0\"?>"),
        ("\n\n<?xml version=\"1.0\" encoding=\"x-no-such-thing\"?>", "\n\n<?xml version=\"1.0\"?>"),
    ] {
        let bytes = encode(WINDOWS_1251, &format!("{decl}{doc}"));
        let d = decode(&bytes, None);
        assert_eq!(d.text, format!("{want}{doc}"));
    }
    // A label nobody knows names nothing: the bytes decide, and the label goes.
    let unknown = format!("<?xml version=\"1.0\" encoding=\"x-no-such-thing\"?>{doc}");
    assert_read(&decode(unknown.as_bytes(), None), &format!("<?xml version=\"1.0\"?>{doc}"), UTF_8, Basis::Default);
}

#[test]
fn only_a_declaration_that_opens_the_document_counts() {
    assert_eq!(sniff::declaration(b"<?xml version=\"1.0\" encoding=\"koi8-r\"?>").unwrap().label, b"koi8-r");
    assert_eq!(sniff::declaration(b"junk <?xml version=\"1.0\" encoding=\"koi8-r\"?>").unwrap().label, b"koi8-r");
    assert!(sniff::declaration(b"<rss><?xml version=\"1.0\" encoding=\"koi8-r\"?>").is_none());
    assert!(sniff::declaration(b"<?xml-stylesheet href=\"a.xsl\" encoding=\"koi8-r\"?>").is_none());
    assert!(sniff::declaration(b"<?xml version=\"1.0\" myencoding=\"koi8-r\"?>").is_none());
    assert!(sniff::declaration(b"<?xml version=\"1.0\" encoding=\"koi8-r\"").is_none());
}

#[test]
fn no_input_panics() {
    let edges: [&[u8]; 16] = [
        b"",
        b"\xEF\xBB",
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"\xFE\xFF\x00",
        b"\xFF\xFE<\x00?",
        b"<\x00?\x00x",
        b"\x00<\x00",
        b"<?xml ",
        b"<?xml encoding",
        b"<?xml encoding=\"",
        b"<?xml encoding=?>",
        b"<?xml encoding=\"utf-16\"?><a>\xC3</a>",
        b"<?xml encoding=\"iso-2022-jp\"?>\x1b$B",
        b"<?xml\tencoding='replacement'?>\xFF\xFE",
        b"{\"a\":\"\xE9\"}",
    ];
    for bytes in edges {
        for charset in [None, Some("utf-16"), Some("iso-8859-1"), Some("shift_jis"), Some("\""), Some("")] {
            let d = decode(bytes, charset);
            assert!(!d.text.starts_with('\u{FEFF}'), "{bytes:?} {charset:?}");
        }
    }
    // Pseudo-random bytes, mostly high ones, in every size up to a few KiB.
    let mut state = 0x2545_f491_u32;
    let mut bytes = Vec::new();
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bytes.push(if state.is_multiple_of(3) { b'<' + (state >> 8) as u8 % 64 } else { (state >> 16) as u8 });
        if bytes.len() % 97 == 0 {
            let d = decode(&bytes, None);
            assert!(!d.text.starts_with('\u{FEFF}'));
        }
    }
}

#[test]
fn json_and_utf_16_are_told_by_their_first_bytes() {
    assert!(sniff::is_json(b" \n[1]") && sniff::is_json(b"{}") && !sniff::is_json(b"<rss/>"));
    assert_eq!(sniff::utf16(b"<\x00?\x00"), Some(encoding_rs::UTF_16LE));
    assert_eq!(sniff::utf16(b"\x00{\x00\""), Some(encoding_rs::UTF_16BE));
    assert_eq!(sniff::utf16(b"<?xml"), None);
    assert_eq!(sniff::utf16(b"\x00\x00\x00<"), None);
}

#[test]
fn large_documents_are_judged_from_a_window_and_read_whole() {
    use super::languages::ARABIC;
    use encoding_rs::WINDOWS_1256;
    // Far past every window: the census, chardetng and the plausibility scan read bounded parts.
    let items = format!("<item><title>{}</title><description>{}</description></item>", ARABIC.0, ARABIC.1).repeat(600);
    let doc = format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
    assert!(doc.len() > 256 * 1024);
    assert_read(&decode(&encode(WINDOWS_1256, &doc), None), &doc, WINDOWS_1256, Basis::Detected);
    // One stray Latin-1 byte at the very end of a large UTF-8 document.
    let bytes = [doc.as_bytes(), b"<!-- \xA9 -->"].concat();
    let mixed = Basis::Mixed { stray: 1, fallback: encoding_rs::WINDOWS_1252 };
    assert_read(&decode(&bytes, None), &format!("{doc}<!-- © -->"), UTF_8, mixed);
}
