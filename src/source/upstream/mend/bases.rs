//! An `xml:base` that is no URL (`http://[x`, a space in a host name): feed-rs fails the whole
//! document on one, where feedparser and browsers ignore it. Dropped, so what it would have
//! based resolves against the base around it (the parent's, at last the feed's URL).

use std::ops::Range;

use quick_xml::NsReader;
use quick_xml::events::Event;

/// `text` without the `xml:base` attributes feed-rs refuses; `None` when it holds none (or is
/// not well-formed: quick-xml's first error ends the attempt).
pub(super) fn drop_bad(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    let mut cuts: Vec<Range<usize>> = Vec::new();
    loop {
        let start = super::position(&reader)?;
        match reader.read_event().ok()? {
            Event::Start(_) | Event::Empty(_) => {
                let tag = text.get(start..super::position(&reader)?)?;
                // Only a tag naming one is lexed: most hold none.
                if tag.contains("xml:base") {
                    cuts.extend(bad_bases(tag).map(|r| start + r.start..start + r.end));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for cut in cuts {
        out.push_str(&text[at..cut.start]);
        at = cut.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// The spans in `tag` (a well-formed start tag, `<…>` or `<…/>`) of its `xml:base` attributes
/// that feed-rs refuses, each with the space before it.
fn bad_bases(tag: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let b = tag.as_bytes();
    // Past `<` and the name.
    let mut at = b.iter().position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>')).unwrap_or(b.len());
    std::iter::from_fn(move || {
        loop {
            let lead = at;
            while b.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            let name_start = at;
            while b.get(at).is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'/' | b'>')) {
                at += 1;
            }
            if at == name_start {
                return None; // `/>` or `>`: no attribute left
            }
            let name = &tag[name_start..at];
            // ` = "value"`: well-formed, so quoted with ' or ", and the quote does not recur in it.
            let quote = at + b[at..].iter().position(|c| matches!(c, b'"' | b'\''))?;
            let end = quote + 1 + b[quote + 1..].iter().position(|c| *c == b[quote])?;
            at = end + 1;
            if name == "xml:base" && refused(&tag[quote + 1..end]) {
                return Some(lead..at);
            }
        }
    })
}

/// Whether feed-rs fails a document on this `xml:base` (raw, as written): it parses the value
/// as a URL and gives up on any error but "relative" (which it joins to the base in force).
fn refused(raw: &str) -> bool {
    let value = quick_xml::escape::unescape(raw).map_or_else(|_| raw.into(), |v| v.into_owned());
    matches!(url::Url::parse(&value), Err(e) if e != url::ParseError::RelativeUrlWithoutBase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bases_feed_rs_refuses_are_dropped() {
        let tag = r#"<entry a="1" xml:base="http://[x/" b='xml:base="http://[y"' xml:base='/rel' xml:base="http://exa mple/">"#;
        let cut: Vec<&str> = bad_bases(tag).map(|r| &tag[r]).collect();
        assert_eq!(cut, [r#" xml:base="http://[x/""#, r#" xml:base="http://exa mple/""#]);
        assert_eq!(bad_bases(r#"<feed xml:base="https://ok.example/a/"/>"#).count(), 0);
        assert_eq!(bad_bases("<entry>").count(), 0);
        assert_eq!(bad_bases("<entry/>").count(), 0);
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
