//! A consumer of a feed's history (RFC 5005 section 4.2, JSON Feed's `next_url`, HTML's
//! `rel=next`): from the subscription document, follow the older links to the end and list the
//! items seen on the way, in order. Written here from the specifications, not with feedpub's
//! code, so it checks what a reader would see.

use quick_xml::events::Event;

/// The formats a history is walked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Rss, Format::Atom, Format::Json, Format::Html];

    /// The subscription document's (or page's) file in a feed's folder.
    pub fn file(self) -> &'static str {
        match self {
            Format::Rss => "rss.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
            Format::Html => "",
        }
    }
}

/// What one document says: its items' ids (the feeds' ids; the HTML pages' item links), its
/// older document, and whether it marks itself as an archive page (with its `current` link).
#[derive(Debug, Default)]
pub struct Doc {
    pub ids: Vec<String>,
    pub older: Option<String>,
    pub archive: bool,
    pub current: Option<String>,
}

/// Walks from `start` to the oldest page, reading each document with `get` (by URL); panics on
/// a loop or a missing document. Returns the ids in walk order, each once, and the URLs of the
/// documents read. An item may be both in the subscription document and in a page (the newest
/// pages hold items the feed still carries): as RFC 5005 section 4.2 says, the consumer keeps
/// the one nearest the subscription document; any other repeat fails.
pub fn walk(format: Format, start: &str, get: &dyn Fn(&str) -> Option<String>) -> (Vec<String>, Vec<String>) {
    walk_to(format, start, get, &[])
}

/// [`walk`], stopping (as RFC 5005 lets a consumer) before an archive page in `read_before`:
/// what a consumer that walked earlier reads to catch up.
pub fn walk_to(
    format: Format,
    start: &str,
    get: &dyn Fn(&str) -> Option<String>,
    read_before: &[String],
) -> (Vec<String>, Vec<String>) {
    let (mut ids, mut urls) = (Vec::<String>::new(), Vec::new());
    let mut subscribed = Vec::new();
    let mut next = Some(start.to_owned());
    while let Some(url) = next.filter(|u| !read_before.contains(u)) {
        assert!(!urls.contains(&url), "{format:?}: the walk loops at {url}");
        let text = get(&url).unwrap_or_else(|| panic!("{format:?}: {url} is missing"));
        let doc = parse(format, &text);
        if urls.is_empty() {
            assert!(!doc.archive, "{format:?}: the subscription document {url} says it is an archive page");
            subscribed = doc.ids.clone();
        } else if matches!(format, Format::Rss | Format::Atom) {
            assert!(doc.archive, "{format:?}: {url} does not say it is an archive page (fh:archive)");
            let current = doc.current.as_deref();
            assert_eq!(current, Some(start), "{format:?}: {url} links another current document");
        }
        for id in doc.ids {
            if !ids.contains(&id) {
                ids.push(id);
            } else if let Some(at) = subscribed.iter().position(|s| *s == id).filter(|_| !urls.is_empty()) {
                // Once in the feed and once in a page; a third time fails below.
                subscribed.swap_remove(at);
            } else {
                panic!("{format:?}: {id} is twice in the history ({url})");
            }
        }
        urls.push(url);
        next = doc.older;
    }
    (ids, urls)
}

/// Reads one document.
pub fn parse(format: Format, text: &str) -> Doc {
    match format {
        Format::Json => {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            Doc {
                ids: v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect(),
                older: v["next_url"].as_str().map(str::to_owned),
                ..Doc::default()
            }
        }
        Format::Rss => xml(text, "item", "guid"),
        Format::Atom => xml(text, "entry", "id"),
        Format::Html => html(text),
    }
}

/// RSS and Atom: the text of each item's `id` element, and the channel's links by rel.
fn xml(text: &str, item: &str, id: &str) -> Doc {
    let mut doc = Doc::default();
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut in_item, mut in_id) = (false, false);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                let local = name.rsplit(':').next().unwrap().to_owned();
                if local == item {
                    in_item = true;
                } else if in_item && name == id {
                    in_id = true;
                } else if name == "fh:archive" && !in_item {
                    doc.archive = true;
                } else if local == "link" && !in_item {
                    let attr = |k: &str| {
                        let raw = e.try_get_attribute(k).ok().flatten()?.value;
                        Some(quick_xml::escape::unescape(&raw).unwrap().into_owned())
                    };
                    match attr("rel").as_deref() {
                        Some("prev-archive") => doc.older = attr("href"),
                        Some("current") => doc.current = attr("href"),
                        _ => {}
                    }
                }
            }
            Event::Text(t) if in_id => doc.ids.push(quick_xml::escape::unescape(&t).unwrap().into_owned()),
            Event::End(e) => {
                let name = e.name();
                if name.as_ref().rsplit(':').next() == Some(item) {
                    in_item = false;
                }
                in_id = false;
            }
            Event::Eof => return doc,
            _ => {}
        }
    }
}

/// HTML: each article's heading link, and `<link rel="next">`.
fn html(text: &str) -> Doc {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].replace("&amp;", "&"))
    };
    let mut doc = Doc::default();
    for article in text.split("<article").skip(1) {
        let a = &article[article.find("<h2><a ").unwrap() + "<h2>".len()..];
        doc.ids.push(attr(&a[..a.find('>').unwrap()], "href").unwrap());
    }
    doc.older = text.split("<link ").skip(1).find(|t| t.starts_with("rel=\"next\"")).and_then(|t| attr(t, "href"));
    doc
}
