//! Which start tag is the root: junk before a feed's root is told from the root itself.

use super::text::{find, find_byte, name_end, starts_name};

/// Where the feed's root start tag is: the first one named like one (`rss`, `feed`, `RDF`, with
/// any prefix) outside every other element, found by a pass that only counts depth. Outside, so
/// that in `<b>Warning</b> … <rss>` the `<b>` is junk, while a well-formed document whose root
/// holds an `<rss>` keeps its root. What precedes an XML declaration counts for nothing.
pub(super) fn find_root(b: &[u8]) -> Option<usize> {
    let (mut at, mut depth) = (0, 0usize);
    let past = |from: usize, end: &[u8]| find(b, from, end).map_or(b.len(), |e| e + end.len());
    loop {
        let lt = find_byte(b, at, b'<');
        let rest = b.get(lt..).filter(|r| !r.is_empty())?;
        at = if rest.starts_with(b"<!--") {
            past(lt + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            past(lt + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            if b[lt + 2..name_end(b, lt + 2)].eq_ignore_ascii_case(b"xml") {
                depth = 0;
            }
            past(lt + 2, b"?>")
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            lt + 2
        } else if starts_name(b, lt + 1) {
            let end = name_end(b, lt + 1);
            let local = b[lt + 1..end].rsplit(|&c| c == b':').next().unwrap_or_default();
            if depth == 0 && matches!(local, b"rss" | b"feed" | b"RDF") {
                return Some(lt);
            }
            // The end of the tag, past quoted values; an empty element opens nothing.
            let mut j = end;
            loop {
                match b.get(j) {
                    None => return None,
                    Some(b'>') => {
                        depth += usize::from(b[j - 1] != b'/');
                        break j + 1;
                    }
                    Some(b'<') => break j,
                    Some(&q @ (b'"' | b'\'')) => j = find_byte(b, j + 1, q).saturating_add(1),
                    Some(_) => j += 1,
                }
            }
        } else {
            lt + 1
        }
    }
}
