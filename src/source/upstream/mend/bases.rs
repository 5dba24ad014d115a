//! An `xml:base` that is no URL (`http://[x`, a space in a host name): feed-rs fails the whole
//! document on one, where feedparser and browsers ignore it. Dropped, so what it would have
//! based resolves against the base around it (the parent's, at last the feed's URL).

use quick_xml::NsReader;
use quick_xml::events::Event;

use super::types::{attribute, retag};

/// `text` without the `xml:base` attributes feed-rs refuses; `None` when it holds none (or is
/// not well-formed: quick-xml's first error ends the attempt).
pub(super) fn drop_bad(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    let (mut out, mut copied) = (String::new(), 0);
    loop {
        let start = super::position(&reader)?;
        let (tag, empty) = match reader.read_event().ok()? {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::Eof => break,
            _ => continue,
        };
        if attribute(&tag, "xml:base").is_some_and(|base| refused(&base)) {
            out.push_str(text.get(copied..start)?);
            out.push_str(&retag(&tag, &[("xml:base", None)], empty)?);
            copied = super::position(&reader)?;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Whether feed-rs fails a document on this `xml:base` (unescaped): it parses the value as a
/// URL and gives up on any error but "relative" (which it joins to the base in force).
fn refused(base: &str) -> bool {
    matches!(url::Url::parse(base), Err(e) if e != url::ParseError::RelativeUrlWithoutBase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bases_feed_rs_refuses_are_dropped() {
        let doc = r#"<feed xml:base="https://ok.example/"><entry a="1" xml:base="http://[x/" b='xml:base="http://[y"'/><entry xml:base='/rel'/><entry xml:base="http://exa mple/"><id>1</id></entry></feed>"#;
        assert_eq!(
            drop_bad(doc).as_deref(),
            Some(
                r#"<feed xml:base="https://ok.example/"><entry a="1" b='xml:base="http://[y"'/><entry xml:base='/rel'/><entry><id>1</id></entry></feed>"#
            )
        );
        assert_eq!(drop_bad(r#"<feed xml:base="https://ok.example/a/"><entry/></feed>"#), None);
    }

    #[test]
    fn a_document_loses_only_its_bad_bases() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry xml:base="http://[x/"><link href="a"/></entry><entry xml:base="https://ok.example/b/"/></feed>"#;
        assert_eq!(
            drop_bad(doc).as_deref(),
            Some(
                r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="a"/></entry><entry xml:base="https://ok.example/b/"/></feed>"#
            )
        );
        assert_eq!(drop_bad(r#"<feed xml:base="https://ok.example/"/>"#), None);
    }
}
