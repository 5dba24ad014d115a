//! What a typed element feed-rs refuses becomes. feed-rs reads Atom text constructs (and iTunes
//! titles and summaries) only as `text`, `html`, `text/html` or `xhtml`; inline `<content>` also
//! as a media type whose element begins with text, but never as an XML one (it looks for `" +xml"`,
//! with a space, then refuses the `/xml` types it finds); `src` content only with a media type and
//! no text; MediaRSS text only as `plain` or `html`, and never empty. RFC 4287 (§3.1.1, §4.1.3)
//! says what the refused types mean: a `text/*` type is text, an XHTML one XHTML (HTML when there
//! is no markup to read as XHTML), and other XML or binary content is nothing a reader shows.

use std::borrow::Cow;

use quick_xml::events::BytesStart;
use quick_xml::events::attributes::Attribute;

use crate::source::upstream::media::{self, Media};

/// A typed element feed-rs reads strictly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Construct {
    /// An Atom text construct or an iTunes title or summary; a title is never dropped.
    Text { title: bool },
    /// An Atom entry's `<content>`.
    Content,
    /// A MediaRSS title or description.
    Media,
}

/// What an element holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Body {
    /// Where the element ends (after its end tag).
    pub end: usize,
    /// Whether character data comes before any child element: what feed-rs calls its text.
    pub first_text: bool,
    /// Whether its character data (if any) is all white space.
    pub blank: bool,
    /// Whether it has child elements.
    pub markup: bool,
    /// Its character data, references resolved.
    pub text: String,
}

impl Body {
    /// An element with nothing in it, ending at `end`.
    pub(super) fn empty(end: usize) -> Body {
        Body { end, first_text: false, blank: true, markup: false, text: String::new() }
    }
}

/// Attributes to set (`Some`) or remove (`None`).
pub(super) type Set = Vec<(&'static str, Option<&'static str>)>;

/// What becomes of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Action {
    /// feed-rs reads it as it is.
    Keep,
    /// Its start tag, with these attributes changed.
    Retag(Set),
    /// The whole element goes.
    Drop,
    /// It is written empty, with these attributes changed.
    Empty(Set),
    /// It is written with this type and this text (decoded from base64).
    Decoded(&'static str, String),
}

/// The types feed-rs reads in a text construct.
const TEXT_TYPES: [&str; 4] = ["text", "html", "text/html", "xhtml"];

/// What a refused type means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Html,
    Xhtml,
    Xml,
    Binary,
}

/// What `element` (a `construct`, holding `body`) becomes.
pub(super) fn action(construct: Construct, element: &BytesStart, body: &Body) -> Action {
    let ty = attribute(element, "type");
    let ty = ty.as_deref();
    match construct {
        Construct::Text { title } => text(ty, title, body),
        Construct::Content if attribute(element, "src").is_some() => src(ty, body),
        Construct::Content => inline(ty, body),
        Construct::Media => media(ty, body),
    }
}

fn text(ty: Option<&str>, title: bool, body: &Body) -> Action {
    let Some(ty) = ty.filter(|t| !TEXT_TYPES.contains(t)) else { return Action::Keep };
    let typed = |to| Action::Retag(vec![("type", Some(to))]);
    match kind(ty) {
        _ if !title && body.blank && !body.markup => Action::Drop,
        Kind::Text => typed("text"),
        Kind::Html => typed("html"),
        Kind::Xhtml => typed(if body.markup { "xhtml" } else { "html" }),
        // A binary type means base64 (RFC 4287 §4.1.3.3, for content, and Atom 0.3's way): what
        // decodes to text is read as that, as feedparser reads it.
        Kind::Binary if !body.markup => match media::base64_document(ty, &body.text) {
            Media::Text(text) => Action::Decoded("text", text),
            Media::Html(html) => Action::Decoded("html", html),
            Media::Binary if title => typed("text"),
            Media::Binary => Action::Drop,
        },
        // A title is kept whatever it says it is: its characters are all it can be.
        Kind::Xml | Kind::Binary if title => typed("text"),
        Kind::Xml | Kind::Binary => Action::Drop,
    }
}

/// Content inline (no `src`).
fn inline(ty: Option<&str>, body: &Body) -> Action {
    let Some(ty) = ty.filter(|t| !TEXT_TYPES.contains(t)) else { return Action::Keep };
    let xml = ty.ends_with(" +xml") || ty.ends_with("/xml");
    if !xml && is_media_type(ty) && body.first_text {
        // Text, or a base64 document (upstream::media reads it).
        return Action::Keep;
    }
    let typed = |to| Action::Retag(vec![("type", Some(to))]);
    match kind(ty) {
        _ if body.blank && !body.markup => Action::Drop,
        Kind::Text => typed("text"),
        Kind::Html => typed("html"),
        Kind::Xhtml => typed(if body.markup { "xhtml" } else { "html" }),
        Kind::Xml | Kind::Binary => Action::Drop,
    }
}

/// Content by reference (`src`): empty, and typed with a media type (RFC 4287 §4.1.3.2).
fn src(ty: Option<&str>, body: &Body) -> Action {
    if body.first_text && !body.blank {
        // It carries text after all: that is read, inline, and the reference dropped.
        return match inline(ty, body) {
            Action::Keep => Action::Retag(vec![("src", None)]),
            Action::Retag(mut set) => {
                set.push(("src", None));
                Action::Retag(set)
            }
            other => other,
        };
    }
    let set: Set = if ty.is_some_and(|t| !is_media_type(t)) { vec![("type", None)] } else { Vec::new() };
    match set.is_empty() {
        // White space where there should be nothing.
        _ if body.first_text => Action::Empty(set),
        true => Action::Keep,
        false => Action::Retag(set),
    }
}

fn media(ty: Option<&str>, body: &Body) -> Action {
    if !body.first_text {
        return Action::Drop;
    }
    match ty.filter(|t| !matches!(*t, "plain" | "html")).map(kind) {
        None => Action::Keep,
        Some(Kind::Html | Kind::Xhtml) => Action::Retag(vec![("type", Some("html"))]),
        Some(_) => Action::Retag(vec![("type", Some("plain"))]),
    }
}

/// What a type feed-rs refuses means.
fn kind(ty: &str) -> Kind {
    let essence = ty.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "text" | "text/plain" => Kind::Text,
        "html" | "text/html" => Kind::Html,
        "xhtml" | "application/xhtml+xml" | "application/xhtml" => Kind::Xhtml,
        e if e.ends_with("/xml") || e.ends_with("+xml") => Kind::Xml,
        e if e.starts_with("text/") => Kind::Text,
        e if is_media_type(e) => Kind::Binary,
        // No type RFC 4287 knows: its characters are read as text.
        _ => Kind::Text,
    }
}

/// Whether `ty` is a media type as feed-rs's parser (the `mediatype` crate) takes one: RFC 6838
/// restricted names, `type/subtype`, optionally `; name=value` parameters.
fn is_media_type(ty: &str) -> bool {
    let restricted = |s: &str| {
        s.len() <= 127
            && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '*')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+%*'".contains(c))
    };
    let mut parts = ty.split(';');
    let essence = parts.next().unwrap_or_default();
    let names = essence.split_once('/').is_some_and(|(t, s)| restricted(t) && restricted(s));
    names
        && parts.all(|p| {
            p.trim_matches([' ', '\t']).split_once('=').is_some_and(|(n, v)| {
                restricted(n) && (restricted(v) || (v.len() >= 2 && v.starts_with('"') && v.ends_with('"')))
            })
        })
}

/// The value of `element`'s attribute `key`, unescaped as feed-rs unescapes it.
pub(super) fn attribute(element: &BytesStart, key: &str) -> Option<String> {
    let raw = element.try_get_attribute(key).ok().flatten()?.value;
    Some(quick_xml::escape::unescape(&raw).map(Cow::into_owned).unwrap_or_else(|_| raw.into_owned()))
}

/// `element`'s start tag (an empty-element tag when `empty`) with the attributes in `set` set or
/// removed; `None` when its attributes do not parse.
pub(super) fn retag(element: &BytesStart, set: &[(&str, Option<&str>)], empty: bool) -> Option<String> {
    let mut tag = format!("<{}", element.name().0);
    let mut push = |attr: &Attribute| {
        // A raw value holds no quote of the kind around it: one that holds `"` was in `'`.
        let quote = if attr.value.contains('"') { '\'' } else { '"' };
        tag.push_str(&format!(" {}={quote}{}{quote}", attr.key.0, attr.value));
    };
    for attr in element.attributes() {
        let attr = attr.ok()?;
        match set.iter().find(|(key, _)| *key == attr.key.0) {
            Some((key, Some(value))) => push(&Attribute::from((*key, *value))),
            Some((_, None)) => {}
            None => push(&attr),
        }
    }
    for (key, value) in set {
        if let Some(value) = value.filter(|_| element.try_get_attribute(key).ok().flatten().is_none()) {
            push(&Attribute::from((*key, value)));
        }
    }
    tag.push_str(if empty { "/>" } else { ">" });
    Some(tag)
}
