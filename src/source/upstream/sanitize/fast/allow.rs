//! What [`clean`](super::clean) follows, and what ammonia (as `sanitize` configures it) keeps
//! of it: a subset of ammonia's default allowlist, and html5ever's rules for these elements.

/// Elements followed, and the attributes ammonia keeps on each (besides `lang`, `title`, `dir`).
pub(super) const ELEMENTS: &[(&str, &[&str])] = &[
    ("a", &["href", "hreflang"]),
    ("abbr", &[]),
    ("b", &[]),
    ("bdi", &[]),
    ("blockquote", &["cite"]),
    ("br", &[]),
    ("cite", &[]),
    ("code", &[]),
    ("del", &["cite", "datetime"]),
    ("dfn", &[]),
    ("div", &[]),
    ("em", &[]),
    ("figcaption", &[]),
    ("figure", &[]),
    ("h1", &[]),
    ("h2", &[]),
    ("h3", &[]),
    ("h4", &[]),
    ("h5", &[]),
    ("h6", &[]),
    ("hr", &["align", "size", "width"]),
    ("i", &[]),
    ("img", &["align", "alt", "height", "src", "width"]),
    ("ins", &["cite", "datetime"]),
    ("kbd", &[]),
    ("li", &[]),
    ("mark", &[]),
    ("ol", &["start"]),
    ("p", &[]),
    ("q", &["cite"]),
    ("s", &[]),
    ("samp", &[]),
    ("small", &[]),
    ("span", &[]),
    ("strong", &[]),
    ("sub", &[]),
    ("sup", &[]),
    ("time", &[]),
    ("u", &[]),
    ("ul", &[]),
    ("var", &[]),
    ("wbr", &[]),
];

/// Headings: one closes another open (html5ever).
pub(super) const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Elements with no end tag.
pub(super) const VOID: &[&str] = &["br", "hr", "img", "wbr"];

/// Start tags that close an open `<p>` (html5ever: "close a p element").
pub(super) const CLOSES_P: &[&str] =
    &["blockquote", "div", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "ul"];

/// URL schemes ammonia keeps (its default list).
pub(super) const SCHEMES: &[&str] = &[
    "bitcoin",
    "ftp",
    "ftps",
    "geo",
    "http",
    "https",
    "im",
    "irc",
    "ircs",
    "magnet",
    "mailto",
    "mms",
    "mx",
    "news",
    "nntp",
    "openpgp4fpr",
    "sip",
    "sms",
    "smsto",
    "ssh",
    "tel",
    "url",
    "webcal",
    "wtai",
    "xmpp",
];

/// The `rel` ammonia gives every link (`sanitize::HTML`).
pub(super) const LINK_REL: &str = "noopener noreferrer nofollow";

/// Formatting elements (html5ever's list of active formatting elements; `a` apart).
pub(super) const FORMATTING: &[&str] = &["b", "code", "em", "i", "s", "small", "strong", "u"];
