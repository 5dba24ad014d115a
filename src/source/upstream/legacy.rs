//! LEGACY: RSS 0.90 and Atom 0.3, which feed-rs does not read (it finds no entries in them and
//! says nothing: their elements are in namespaces it does not know), rewritten as the RSS 1.0 and
//! Atom 1.0 they became.
//!
//! Only the root's start tag decides, so a document in any other format costs the reading of its
//! prolog. RSS 0.90 differs from RSS 1.0 in little more than its namespace, so that is all that
//! changes; Atom 0.3 is rewritten event by event (quick-xml, one pass).

use std::ops::Range;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::{NsReader, Writer};

use super::media::{self, Media};

const NETSCAPE_RSS: &str = "http://my.netscape.com/rdf/simple/0.9";
const RSS_1: &str = "http://purl.org/rss/1.0/";
const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// An old format a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    /// RSS 0.90 (Netscape's RDF namespace).
    Rss090,
    /// Atom 0.3.
    Atom03,
}

/// `text` rewritten in the format its version became, when it is in one of the [`Legacy`]
/// formats; `None` otherwise, and for a legacy document that is not well-formed XML.
pub fn modernize(text: &str) -> Option<(String, Legacy)> {
    match root(text)? {
        (Legacy::Rss090, tag) => Some((rss090(text, tag)?, Legacy::Rss090)),
        (Legacy::Atom03, _) => Some((atom03(text)?, Legacy::Atom03)),
    }
}

/// The legacy format the root element is in, and where its start tag is.
fn root(text: &str) -> Option<(Legacy, Range<usize>)> {
    let mut reader = NsReader::from_str(text);
    loop {
        let start = usize::try_from(reader.buffer_position()).ok()?;
        let (ns, event) = reader.read_resolved_event().ok()?;
        let atom_03 = is(&ns, ATOM_03);
        let tag = match event {
            Event::Start(tag) | Event::Empty(tag) => tag,
            Event::Eof => return None,
            _ => continue,
        };
        let range = start..usize::try_from(reader.buffer_position()).ok()?;
        if tag.local_name().as_ref() == "feed" && atom_03 {
            return Some((Legacy::Atom03, range));
        }
        // RSS 0.90's elements are in Netscape's namespace, the default one on `rdf:RDF`.
        let netscape = tag.attributes().flatten().any(|a| is_xmlns(a.key) && is_netscape(&a.value));
        return (tag.local_name().as_ref() == "RDF" && netscape).then_some((Legacy::Rss090, range));
    }
}

fn is(ns: &ResolveResult, uri: &str) -> bool {
    matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == uri)
}

fn is_xmlns(key: QName) -> bool {
    key.0 == "xmlns" || key.0.starts_with("xmlns:")
}

fn is_netscape(uri: &str) -> bool {
    uri.trim_end_matches('/') == NETSCAPE_RSS
}

/// The document with Netscape's namespace, declared in the root's start tag at `tag`, replaced
/// by RSS 1.0's.
fn rss090(text: &str, tag: Range<usize>) -> Option<String> {
    let mut root = text.get(tag.clone())?.to_owned();
    for uri in [NETSCAPE_RSS.to_owned(), format!("{NETSCAPE_RSS}/")] {
        for quote in ['"', '\''] {
            root = root.replace(&format!("{quote}{uri}{quote}"), &format!("{quote}{RSS_1}{quote}"));
        }
    }
    Some(format!("{}{root}{}", text.get(..tag.start)?, text.get(tag.end..)?))
}

/// Where an element sits in an Atom document, as far as renaming goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Feed,
    Entry,
    Person,
    Other,
}

/// An open element: its role, the name it was written under when that changed, and (for a feed
/// or entry) whether an `issued` has been seen in it.
struct Frame {
    role: Role,
    renamed: Option<String>,
    issued: bool,
}

/// The Atom 0.3 document `text`, as Atom 1.0.
fn atom03(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    let mut out = Writer::new(Vec::with_capacity(text.len() + text.len() / 8));
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let atom = is(&ns, ATOM_03);
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(tag) | Event::Empty(tag) => {
                let parent = stack.last().map(|f| f.role);
                let local = tag.local_name().as_ref().to_owned();
                if atom && is_text_construct(parent, &local) {
                    let body = if empty { Vec::new() } else { children(&mut reader)? };
                    text_construct(&mut out, &tag, &local, &body)?;
                    continue;
                }
                let (role, new_local) = if atom { atom_element(stack.last_mut(), &local) } else { (Role::Other, None) };
                let renamed = new_local.map(|l| with_prefix(&tag, l));
                let generator = atom && parent == Some(Role::Feed) && local == "generator";
                let start = rewrite_tag(&tag, renamed.as_deref(), &[], generator)?;
                out.write_event(if empty { Event::Empty(start) } else { Event::Start(start) }).ok()?;
                if !empty {
                    stack.push(Frame { role, renamed, issued: false });
                }
            }
            Event::End(end) => match stack.pop()?.renamed {
                Some(name) => out.write_event(Event::End(BytesEnd::new(name))).ok()?,
                None => out.write_event(Event::End(end)).ok()?,
            },
            Event::Eof => break,
            other => out.write_event(other).ok()?,
        }
    }
    String::from_utf8(out.into_inner()).ok()
}

/// The role of an Atom 0.3 element named `local` in `parent`, and its Atom 1.0 name when that
/// differs.
fn atom_element(parent: Option<&mut Frame>, local: &str) -> (Role, Option<&'static str>) {
    let Some(parent) = parent else {
        return (if local == "feed" { Role::Feed } else { Role::Other }, None);
    };
    match (parent.role, local) {
        (Role::Feed, "entry") => (Role::Entry, None),
        (Role::Feed | Role::Entry, "author" | "contributor") => (Role::Person, None),
        (Role::Feed | Role::Entry, "issued") => {
            parent.issued = true;
            (Role::Other, Some("published"))
        }
        // `created` is the publication date only when there is no `issued`. One that comes
        // after it is written as `published` too, and feed-rs keeps the last one it reads.
        (Role::Feed | Role::Entry, "created") if !parent.issued => (Role::Other, Some("published")),
        (Role::Feed | Role::Entry, "modified") => (Role::Other, Some("updated")),
        (Role::Person, "url") => (Role::Other, Some("uri")),
        _ => (Role::Other, None),
    }
}

/// Whether `local` in `parent` is an Atom 0.3 content construct (`type` and `mode`).
fn is_text_construct(parent: Option<Role>, local: &str) -> bool {
    match parent {
        Some(Role::Feed) => matches!(local, "title" | "tagline" | "copyright"),
        Some(Role::Entry) => matches!(local, "title" | "summary" | "content" | "copyright"),
        _ => false,
    }
}

/// `local` under the prefix `tag` has.
fn with_prefix(tag: &BytesStart, local: &str) -> String {
    match tag.name().prefix() {
        Some(prefix) => format!("{}:{local}", prefix.as_ref()),
        None => local.to_owned(),
    }
}

/// `tag` under `name` (its own when `None`), without the attributes in `skip`, Atom 0.3's
/// namespace declared as Atom 1.0's, and a generator's `url` as `uri`.
fn rewrite_tag(tag: &BytesStart, name: Option<&str>, skip: &[&str], generator: bool) -> Option<BytesStart<'static>> {
    let mut start = BytesStart::new(name.unwrap_or(tag.name().0).to_owned());
    for attr in tag.attributes() {
        let attr = attr.ok()?;
        if skip.contains(&attr.key.0) {
            continue;
        }
        if is_xmlns(attr.key) && attr.value.trim() == ATOM_03 {
            start.push_attribute(Attribute { key: attr.key, value: ATOM_10.into() });
        } else if generator && attr.key.0 == "url" {
            start.push_attribute(Attribute { key: QName("uri"), value: attr.value });
        } else {
            start.push_attribute(attr);
        }
    }
    Some(start)
}

/// The events inside the element just started, up to (not including) its end.
fn children<'i>(reader: &mut NsReader<&'i [u8]>) -> Option<Vec<Event<'i>>> {
    let (mut depth, mut body) = (0usize, Vec::new());
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Some(body),
            Event::End(_) => depth -= 1,
            Event::Eof => return None,
            _ => {}
        }
        body.push(event);
    }
}

/// Writes an Atom 0.3 content construct (`tag`, named `local`, holding `body`) as Atom 1.0's:
/// `type` is a media type there and `mode` says how it is carried (`xml`, `escaped`, `base64`);
/// Atom 1.0 has `text`, `html` and `xhtml`. Base64 of a binary type is dropped.
fn text_construct(out: &mut Writer<Vec<u8>>, tag: &BytesStart, local: &str, body: &[Event]) -> Option<()> {
    let attr = |key: &str| {
        let value =
            tag.try_get_attribute(key).ok().flatten()?.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?;
        Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    };
    // Atom 0.3's defaults.
    let ty = attr("type").unwrap_or_else(|| "text/plain".to_owned());
    let mode = attr("mode").unwrap_or_else(|| "xml".to_owned());
    let name = with_prefix(
        tag,
        match local {
            "tagline" => "subtitle",
            "copyright" => "rights",
            other => other,
        },
    );
    let start = rewrite_tag(tag, Some(&name), &["type", "mode"], false)?;
    let decoded;
    let (kind, body, wrap) = if mode == "base64" {
        let raw = type_of(tag).unwrap_or_else(|| ty.clone());
        decoded = match media::base64_document(&raw, &text_of(body)) {
            Media::Text(text) => ("text", text),
            Media::Html(html) => ("html", html),
            Media::Binary => return Some(()),
        };
        (decoded.0, vec![Event::Text(BytesText::new(&decoded.1))], false)
    } else {
        let html = matches!(ty.as_str(), "text/html" | "html" | "application/xhtml+xml" | "xhtml");
        // Top-level nodes that are not blank text or comments.
        let mut depth = 0usize;
        let top: Vec<&Event> = body
            .iter()
            .filter(|e| {
                let at_top = depth == 0;
                match e {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth = depth.saturating_sub(1),
                    _ => {}
                }
                at_top
                    && !matches!(e, Event::Comment(_) | Event::End(_))
                    && !matches!(e, Event::Text(t) if t.trim().is_empty())
            })
            .collect();
        let markup = top.iter().any(|e| matches!(e, Event::Start(_) | Event::Empty(_)));
        if html && markup && mode != "escaped" {
            // Atom 1.0's xhtml is one XHTML div.
            let div = matches!(top.as_slice(), [Event::Start(t) | Event::Empty(t)] if t.local_name().as_ref() == "div");
            ("xhtml", body.to_vec(), !div)
        } else {
            (if html { "html" } else { "text" }, body.to_vec(), false)
        }
    };
    let mut start = start;
    start.push_attribute(("type", kind));
    let end = BytesEnd::new(start.name().0.to_owned());
    out.write_event(Event::Start(start)).ok()?;
    if wrap {
        out.write_event(Event::Start(BytesStart::new("div").with_attributes([("xmlns", XHTML)]))).ok()?;
    }
    for event in body {
        out.write_event(event).ok()?;
    }
    if wrap {
        out.write_event(Event::End(BytesEnd::new("div"))).ok()?;
    }
    out.write_event(Event::End(end)).ok()
}

/// The `type` attribute as written (with its parameters: a `charset` matters to base64 text).
fn type_of(tag: &BytesStart) -> Option<String> {
    Some(
        tag.try_get_attribute("type")
            .ok()
            .flatten()?
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()?
            .into_owned(),
    )
}

/// The character data of `body`, character references resolved.
fn text_of(body: &[Event]) -> String {
    let mut text = String::new();
    for event in body {
        match event {
            Event::Text(t) => text.push_str(t),
            Event::CData(c) => text.push_str(c),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(r) {
                    text.push_str(s);
                }
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests;
