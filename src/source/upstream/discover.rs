//! DISCOVER: where an upstream says its WebSub hub is, and which topic URL to subscribe to
//! (WebSub §4): the `Link` headers of the response first, then the document's own links
//! (`atom:link rel="hub"`/`rel="self"` in RSS and Atom, `hubs` in JSON Feed).

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::entry::absolute;

/// Links read apart from a header: a response with thousands of them is not worth reading.
const MAX_LINKS: usize = 64;

/// What one source of links (the headers, or the document) names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubLinks {
    /// The first http(s) `rel="hub"`.
    pub hub: Option<Url>,
    /// The `rel="self"`: the topic URL.
    pub topic: Option<Url>,
}

/// What a fetched document advertises, the headers before the document (§4: a subscriber
/// MUST look at the headers first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advertised {
    /// Nothing was read (304, a failure): what was known stays.
    Unread,
    /// No hub: the source is polled only.
    NoHub,
    /// A hub, and the topic to subscribe to at it.
    Hub {
        /// The hub's URL.
        hub: Url,
        /// The topic: `rel="self"`, else the URL the document came from.
        topic: Url,
    },
}

impl Advertised {
    /// Combines the header links with the document's: a hub named in the headers comes with
    /// the headers' self (or the document's, or `fetched_from`), as §4 orders them.
    pub fn of(headers: &HubLinks, document: &HubLinks, fetched_from: &Url) -> Self {
        let hub = headers.hub.as_ref().or(document.hub.as_ref());
        match hub {
            None => Advertised::NoHub,
            Some(hub) => {
                let topic = headers.topic.as_ref().or(document.topic.as_ref()).unwrap_or(fetched_from);
                Advertised::Hub { hub: hub.clone(), topic: topic.clone() }
            }
        }
    }
}

/// The hub and self links of `Link` headers (RFC 8288), resolved against `base`.
pub fn from_headers(headers: &HeaderMap, base: &Url) -> HubLinks {
    let mut links = HubLinks::default();
    let values = headers.get_all(header::LINK).iter().filter_map(|v| v.to_str().ok());
    for (target, rels) in values.flat_map(split_links).take(MAX_LINKS) {
        let Some(url) = absolute(target, base) else { continue };
        for rel in rels.split_ascii_whitespace() {
            let slot = match rel.to_ascii_lowercase().as_str() {
                "hub" => &mut links.hub,
                "self" => &mut links.topic,
                _ => continue,
            };
            slot.get_or_insert_with(|| url.clone());
        }
    }
    links
}

/// `<target>; rel="a b"; other=x, <…>` → (target, rel value) per link; a link without `rel`
/// is left out. Commas inside `<…>` or quotes do not split.
fn split_links(value: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = value;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find('<')?;
            let end = start + rest[start..].find('>')?;
            let target = &rest[start + 1..end];
            let after = &rest[end + 1..];
            // The parameters run to the next comma outside quotes.
            let (mut quoted, mut stop) = (false, after.len());
            for (i, c) in after.char_indices() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => {
                        stop = i;
                        break;
                    }
                    _ => {}
                }
            }
            let params = &after[..stop];
            rest = &after[stop..];
            let rel = params.split(';').find_map(|p| {
                let (name, value) = p.split_once('=')?;
                name.trim().eq_ignore_ascii_case("rel").then(|| value.trim().trim_matches('"'))
            });
            if let Some(rel) = rel {
                return Some((target.trim(), rel));
            }
        }
    })
}

/// A JSON Feed's first WebSub hub (`"hubs": [{"type": "WebSub", "url": …}]`), resolved against
/// `base`; only looked for when the text names `hubs`, so other feeds are not parsed twice.
pub fn json_hub(text: &str, base: &Url) -> Option<Url> {
    #[derive(serde::Deserialize)]
    struct Hubs {
        hubs: Option<Vec<Hub>>,
    }
    #[derive(serde::Deserialize)]
    struct Hub {
        #[serde(rename = "type")]
        kind: Option<String>,
        url: Option<String>,
    }
    memchr::memmem::find(text.as_bytes(), b"\"hubs\"")?;
    let hubs = serde_json::from_str::<Hubs>(text).ok()?.hubs?;
    hubs.into_iter()
        .filter(|h| h.kind.as_deref().is_none_or(|k| k.eq_ignore_ascii_case("websub")))
        .find_map(|h| absolute(&h.url?, base))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn base() -> Url {
        Url::parse("https://example.org/feed/rss.xml").unwrap()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::LINK, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn link_headers_name_hub_and_self() {
        let h = headers(&[r#"<https://hub.example/>; rel="hub", </feed/atom.xml>; rel="self""#]);
        let links = from_headers(&h, &base());
        assert_eq!(links.hub.unwrap().as_str(), "https://hub.example/");
        assert_eq!(links.topic.unwrap().as_str(), "https://example.org/feed/atom.xml");
    }

    #[test]
    fn rel_lists_case_quotes_and_commas_are_read() {
        let h = headers(&[
            r#"<https://a.example/x,y>; title="a, b"; rel="alternate", <https://hub.example/>; REL="Hub Self""#,
            "<ftp://no.example/>; rel=hub",
        ]);
        let links = from_headers(&h, &base());
        assert_eq!(links.hub.unwrap().as_str(), "https://hub.example/");
        assert_eq!(links.topic.unwrap().as_str(), "https://hub.example/");
        assert_eq!(from_headers(&headers(&["<ftp://no.example/>; rel=hub"]), &base()), HubLinks::default());
        assert_eq!(from_headers(&headers(&["garbage <unclosed; rel=hub"]), &base()), HubLinks::default());
    }

    #[test]
    fn headers_come_before_the_document() {
        let hub = |s: &str| Some(Url::parse(s).unwrap());
        let header = HubLinks { hub: hub("https://h.example/"), topic: None };
        let document = HubLinks { hub: hub("https://d.example/"), topic: hub("https://example.org/self") };
        let Advertised::Hub { hub: h, topic } = Advertised::of(&header, &document, &base()) else { panic!() };
        assert_eq!((h.as_str(), topic.as_str()), ("https://h.example/", "https://example.org/self"));
        let none = HubLinks::default();
        let Advertised::Hub { topic, .. } = Advertised::of(&none, &header, &base()) else { panic!() };
        assert_eq!(topic, base());
        assert_eq!(Advertised::of(&none, &none, &base()), Advertised::NoHub);
    }

    #[test]
    fn json_feed_hubs() {
        let text = r#"{"version":"https://jsonfeed.org/version/1.1","hubs":[{"type":"rssCloud","url":"https://c.example/"},{"type":"WebSub","url":"/hub"}],"items":[]}"#;
        assert_eq!(json_hub(text, &base()).unwrap().as_str(), "https://example.org/hub");
        assert_eq!(json_hub(r#"{"items":[]}"#, &base()), None);
        assert_eq!(json_hub(r#"{"hubs":"nonsense"}"#, &base()), None);
    }
}
