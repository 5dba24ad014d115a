//! MEND: well-formed documents feed-rs refuses, or reads only in part, over a detail, rewritten
//! so that it reads them. feed-rs fails the whole document for one such detail, so a feed that has
//! one publishes nothing.
//!
//! - An `<rss>` it finds "no root element" in ([`rss`]): a version it does not know (`0.93`,
//!   `0.94`, `2.00`, `2.01`, none at all) is read as the 2.0 those are or became, and what an
//!   `<rss>` without `<channel>` holds is wrapped in one. RSS in Userland's namespace, and RSS 1.0
//!   items without a link, which it skips, are mended too.
//! - Atom text constructs and content typed as Atom 0.3 typed them (`type="text/plain"`, an XHTML
//!   or other XML media type, an empty binary type, `src` with `type="html"`, a type of no kind):
//!   retyped as RFC 4287 means them ([`types`]). MediaRSS and iTunes titles and descriptions,
//!   which feed-rs reads the same strict way, are mended alike.
//! - An Atom 0.3 document that declares no namespace (only `<feed version="0.3">`), which
//!   [`legacy`](super::legacy) does not recognise: its namespace is declared and it is modernized.
//! - An `xml:base` that is no URL ([`bases`]): dropped.
//!
//! - A JSON Feed whose `version` is not the spec's URL (`"1.0"`), or that has no `title`.
//!
//! One pass of quick-xml events (and one more for `xml:base`); only the tags that change are rewritten, every other byte is
//! copied as it stands.

use std::ops::Range;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

mod bases;
mod rss;
mod types;

use types::{Action, Body, Construct};

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const MEDIA_RSS: &str = "http://search.yahoo.com/mrss/";
const ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";

/// `text`, which feed-rs refused, rewritten so that it may read it; `None` when there is
/// nothing to mend (or it is not well-formed: quick-xml's first error ends the attempt).
pub fn mend(text: &str) -> Option<String> {
    if super::split::is_json(text) {
        return json(text);
    }
    let based = bases::drop_bad(text);
    let text = based.as_deref().unwrap_or(text);
    if let Some(modern) = atom03_without_namespace(text) {
        // Modernizing settles the 0.3 types; anything else that feed-rs refuses is mended too.
        return Some(rewrite(&modern).unwrap_or(modern));
    }
    rewrite(text).or(based)
}

/// A JSON Feed feed-rs refuses for its `version` (`"1.0"` rather than the spec's URL, or none)
/// or for a missing `title`: given the 1.1 URL and an empty title.
fn json(text: &str) -> Option<String> {
    let mut doc: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    let mut changed = false;
    let known =
        doc.get("version").and_then(|v| v.as_str()).is_some_and(|v| v.starts_with("https://jsonfeed.org/version/"));
    if !known {
        doc.insert("version".into(), "https://jsonfeed.org/version/1.1".into());
        changed = true;
    }
    if !doc.get("title").is_some_and(serde_json::Value::is_string) {
        doc.insert("title".into(), "".into());
        changed = true;
    }
    changed.then(|| serde_json::to_string(&doc).ok()).flatten()
}

/// An Atom 0.3 document without its namespace, with it, as Atom 1.0.
fn atom03_without_namespace(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    let (start, tag, end) = loop {
        let start = position(&reader)?;
        let (ns, event) = reader.read_resolved_event().ok()?;
        match event {
            Event::Start(tag) | Event::Empty(tag) if matches!(ns, ResolveResult::Unbound) => {
                break (start, tag, position(&reader)?);
            }
            Event::Start(_) | Event::Empty(_) | Event::Eof => return None,
            _ => {}
        }
    };
    let version = tag.try_get_attribute("version").ok().flatten()?;
    if tag.local_name().as_ref() != "feed" || version.value.trim() != "0.3" {
        return None;
    }
    let close = if text.get(start..end)?.ends_with("/>") { "/>" } else { ">" };
    let root = text.get(start..end - close.len())?;
    let namespaced = format!("{}{root} xmlns=\"{ATOM_03}\"{close}{}", text.get(..start)?, text.get(end..)?);
    super::legacy::modernize(&namespaced).map(|(modern, _)| modern)
}

/// What an element is to feed-rs, as far as mending goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Feed,
    Entry,
    /// An RSS 1.0 item.
    Item,
    Other,
}

/// `text` with every refused root, construct and MediaRSS/iTunes text mended; `None` when none was.
fn rewrite(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    let mut out = Out { text, mended: String::new(), copied: 0, changed: false };
    // The roles of the open elements; `None` until the root is seen.
    let mut stack: Option<Vec<Role>> = None;
    let (mut atom, mut rdf) = (false, false);
    // Whether the `<rss>` root's content is wrapped in the `<channel>` it lacks.
    let mut channel_around = false;
    let mut item: Option<rss::Item> = None;
    loop {
        let start = position(&reader)?;
        let (ns, event) = reader.read_resolved_event().ok()?;
        let ns = Ns::of(&ns);
        let (tag, empty) = match event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::End(_) => {
                let Some(open) = stack.as_mut() else { continue };
                match open.pop() {
                    Some(Role::Item) => match item.take() {
                        Some(item) if !item.linked => out.replace(start..start, &item.link()),
                        _ => {}
                    },
                    _ if open.is_empty() && channel_around => out.replace(start..start, "</channel>"),
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let tag_span = start..position(&reader)?;
        let local = tag.local_name().as_ref().to_owned();
        let Some(open) = stack.as_mut() else {
            // The root, as feed-rs tells formats apart: by its local name (and `version`).
            (atom, rdf) = (matches!(local.as_str(), "feed" | "entry"), local == "RDF");
            if local == "rss" {
                let root;
                (root, channel_around) = rss::root(&reader, &tag, empty)?;
                if let Some(root) = root {
                    out.replace(tag_span, &root);
                }
            }
            let role = match local.as_str() {
                "feed" => Role::Feed,
                "entry" => Role::Entry,
                _ => Role::Other,
            };
            stack = Some(if empty { Vec::new() } else { vec![role] });
            continue;
        };
        let parent = open.last().copied().unwrap_or(Role::Other);
        let in_atom = ns == Ns::Atom || (ns == Ns::Unbound && atom);
        // feed-rs reads an RSS 1.0 document's unqualified elements as RSS too.
        let in_rss_1 = ns == Ns::Rss1 || (ns == Ns::Unbound && rdf);
        if in_rss_1 && parent == Role::Item && local == "link" {
            let body = if empty { Body::empty(tag_span.end) } else { body(&mut reader)? };
            if let Some(item) = item.as_mut() {
                item.linked |= body.first_text;
            }
            continue;
        }
        let construct = match (ns, local.as_str()) {
            (Ns::Media, "title" | "description") => Some(Construct::Media),
            (Ns::Itunes, "title") => Some(Construct::Text { title: true }),
            (Ns::Itunes, "summary") => Some(Construct::Text { title: false }),
            _ if in_atom => match (parent, local.as_str()) {
                (Role::Feed | Role::Entry, "title") => Some(Construct::Text { title: true }),
                (Role::Feed, "subtitle" | "rights") | (Role::Entry, "summary" | "rights") => {
                    Some(Construct::Text { title: false })
                }
                (Role::Entry, "content") => Some(Construct::Content),
                _ => None,
            },
            _ => None,
        };
        let Some(construct) = construct else {
            let role = match local.as_str() {
                "entry" if in_atom && parent == Role::Feed => Role::Entry,
                "item" if in_rss_1 && rdf && open.len() == 1 => Role::Item,
                _ => Role::Other,
            };
            // (An empty item holds nothing to read.)
            if !empty {
                open.push(role);
                if role == Role::Item {
                    item = Some(rss::Item::of(&tag));
                }
            }
            continue;
        };
        // Read to its end (it is not pushed: its End has been read).
        let body = if empty { Body::empty(tag_span.end) } else { body(&mut reader)? };
        match types::action(construct, &tag, &body) {
            Action::Keep => {}
            Action::Retag(set) => out.replace(tag_span, &types::retag(&tag, &set, empty)?),
            Action::Drop => out.replace(tag_span.start..body.end, ""),
            Action::Empty(set) => out.replace(tag_span.start..body.end, &types::retag(&tag, &set, true)?),
            Action::Decoded(ty, text) => {
                let start = types::retag(&tag, &[("type", Some(ty))], false)?;
                let element = format!("{start}{}</{}>", quick_xml::escape::escape(&text), tag.name().0);
                out.replace(tag_span.start..body.end, &element);
            }
        }
    }
    out.finish()
}

/// The namespaces that decide what feed-rs does with an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Atom,
    Media,
    Itunes,
    Rss1,
    /// None: an Atom or RSS document's default, as feed-rs reads it.
    Unbound,
    Other,
}

impl Ns {
    fn of(ns: &ResolveResult) -> Ns {
        match ns {
            ResolveResult::Bound(Namespace(ATOM_10)) => Ns::Atom,
            ResolveResult::Bound(Namespace(MEDIA_RSS)) => Ns::Media,
            ResolveResult::Bound(Namespace(ITUNES)) => Ns::Itunes,
            ResolveResult::Bound(Namespace(rss::RSS_1)) => Ns::Rss1,
            ResolveResult::Unbound => Ns::Unbound,
            _ => Ns::Other,
        }
    }
}

/// What an element just started holds, read up to and including its end tag.
fn body(reader: &mut NsReader<&[u8]>) -> Option<Body> {
    let mut body = Body::empty(0);
    let mut depth = 0usize;
    // Whether an element or character data has been seen yet (comments and the like are not).
    let mut begun = false;
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Start(_) | Event::Empty(_) => {
                body.markup = true;
                begun = true;
                depth += usize::from(matches!(event, Event::Start(_)));
            }
            Event::End(_) if depth == 0 => {
                body.end = position(reader)?;
                return Some(body);
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) if t.is_empty() => {}
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                // What feed-rs takes for an element's text: character data before any child.
                body.first_text |= !begun;
                begun = true;
                body.blank &= matches!(&event, Event::Text(t) if t.trim().is_empty());
                match &event {
                    Event::Text(t) => body.text.push_str(t),
                    Event::CData(c) => body.text.push_str(c),
                    Event::GeneralRef(r) => match r.resolve_char_ref() {
                        Ok(Some(c)) => body.text.push(c),
                        _ => body.text.push_str(quick_xml::escape::resolve_predefined_entity(r).unwrap_or_default()),
                    },
                    _ => {}
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn position(reader: &NsReader<&[u8]>) -> Option<usize> {
    usize::try_from(reader.buffer_position()).ok()
}

/// The mended document, built as it is read: copied from `text` up to each change.
struct Out<'t> {
    text: &'t str,
    mended: String,
    copied: usize,
    changed: bool,
}

impl Out<'_> {
    /// `span` of the text (after everything replaced so far) replaced by `with`.
    fn replace(&mut self, span: Range<usize>, with: &str) {
        if !self.changed {
            self.changed = true;
            self.mended.reserve(self.text.len() + 64);
        }
        self.mended.push_str(self.text.get(self.copied..span.start).unwrap_or_default());
        self.mended.push_str(with);
        self.copied = span.end;
    }

    /// The whole mended text; `None` when nothing was replaced.
    fn finish(mut self) -> Option<String> {
        if !self.changed {
            return None;
        }
        self.mended.push_str(self.text.get(self.copied..).unwrap_or_default());
        Some(self.mended)
    }
}

#[cfg(test)]
mod tests;
