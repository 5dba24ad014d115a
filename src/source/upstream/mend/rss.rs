//! RSS that feed-rs misses whole or in part: an `<rss>` root it finds "no root element" in (a
//! version it does not know, no `<channel>`), one in Userland's namespace (it reads no element of
//! it, so no item), and RSS 1.0 items without a `<link>` (it skips them).

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};

use super::types;

/// RSS 1.0's namespace, which feed-rs reads as RSS's.
pub(super) const RSS_1: &str = "http://purl.org/rss/1.0/";

/// The namespaces Userland and Harvard gave RSS 0.9x/2.0 for a while; feed-rs knows none.
const USERLAND: [&str; 3] =
    ["http://backend.userland.com/rss2", "http://backend.userland.com/rss", "http://blogs.law.harvard.edu/tech/rss"];

/// The `<rss>` versions feed-rs reads (RSS 2.0, or 0.91 and 0.92).
const VERSIONS: [&str; 4] = ["2.0", "", "0.91", "0.92"];

/// The `<rss>` root's start tag `tag` (just read by `reader`) as feed-rs reads it, when that
/// differs, and whether what it holds is to be wrapped in a `<channel>`: a version it does not
/// know (`0.93`, `0.94`, `2.00`, `2.01`, none) is 2.0, the version those are or became; Userland's
/// namespace is RSS 1.0's, which feed-rs reads as RSS.
pub(super) fn root(reader: &NsReader<&[u8]>, tag: &BytesStart, empty: bool) -> Option<(Option<String>, bool)> {
    let version = tag.try_get_attribute("version").ok()?.map(|v| v.value.into_owned());
    let mut set: Vec<(String, Option<&str>)> = Vec::new();
    if !version.is_some_and(|v| VERSIONS.contains(&v.as_str())) {
        set.push(("version".to_owned(), Some("2.0")));
    }
    for attr in tag.attributes() {
        let attr = attr.ok()?;
        let xmlns = attr.key.0 == "xmlns" || attr.key.0.starts_with("xmlns:");
        if xmlns && USERLAND.contains(&attr.value.trim().trim_end_matches('/')) {
            set.push((attr.key.0.to_owned(), Some(RSS_1)));
        }
    }
    let wrap = !empty && !has_channel(reader.clone());
    if set.is_empty() && !wrap {
        return Some((None, false));
    }
    let set: Vec<(&str, Option<&str>)> = set.iter().map(|(key, value)| (key.as_str(), *value)).collect();
    let start = types::retag(tag, &set, empty)?;
    Some((Some(if wrap { start + "<channel>" } else { start }), wrap))
}

/// Whether the element just started (the `<rss>` root) has a `<channel>` child: feed-rs finds
/// "no root element" in one that has none, as RSS 0.9x drafts and hand-written feeds may put their
/// items straight in `<rss>`. Usually the first child, so this reads little.
fn has_channel(mut reader: NsReader<&[u8]>) -> bool {
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag) | Event::Empty(tag)) if depth == 0 && tag.local_name().as_ref() == "channel" => {
                return true;
            }
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) if depth == 0 => return false,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// An RSS 1.0 item being read: feed-rs skips one without a `<link>` (with text).
#[derive(Debug)]
pub(super) struct Item {
    /// Its `rdf:about`, as written.
    about: Option<String>,
    /// The prefix its name has.
    prefix: Option<String>,
    /// Whether a `<link>` with text has been seen in it.
    pub linked: bool,
}

impl Item {
    /// The item whose start tag is `tag`.
    pub(super) fn of(tag: &BytesStart) -> Item {
        let about = tag
            .attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == "about" && !a.value.trim().is_empty())
            .map(|a| a.value.into_owned());
        let prefix = tag.name().prefix().map(|p| p.as_ref().to_owned());
        Item { about, prefix, linked: false }
    }

    /// The `<link>` it lacks: its `rdf:about`, which RSS 1.0 says is its link (a raw attribute
    /// value holds no `<` and escapes its `&`, so it stands as text). With none, `about:blank`:
    /// a link feed-rs keeps and feedpub ignores (not http), so the item gets a page of its own.
    pub(super) fn link(&self) -> String {
        let name = self.prefix.as_ref().map_or_else(|| "link".to_owned(), |p| format!("{p}:link"));
        format!("<{name}>{}</{name}>", self.about.as_deref().unwrap_or("about:blank"))
    }
}

#[cfg(test)]
mod tests;
