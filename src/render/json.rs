//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>) with serde.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{Channel, Entry, OutputKind, RenderError};
use crate::model::Person;

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    /// The next older page (JSON Feed's paging): from the subscription document to the
    /// newest archive page, and from each archive page to the one before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    /// WebSub discovery: JSON Feed 1.1's `hubs`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    authors: Vec<Author<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    language: &'a str,
}

/// Renders `ch` as a JSON Feed 1.1 document.
pub(super) fn render(ch: &Channel) -> Result<Vec<u8>, RenderError> {
    let meta = ch.meta;
    let feed = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: ch.link.as_str(),
        feed_url: ch.json_url.as_str(),
        description: &meta.description,
        language: meta.language.as_str(),
        next_url: ch.older_url(OutputKind::JsonFeed).map(String::from),
        hubs: ch.hub.iter().map(|hub| Hub { kind: "WebSub", url: hub.to_string() }).collect(),
        authors: vec![author(&meta.author)],
        items: ch.feed_entries().iter().map(item).collect(),
    };
    let mut bytes =
        serde_json::to_vec_pretty(&feed).map_err(|source| RenderError::Json { feed: meta.slug.to_string(), source })?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn item<'a>(e: &'a Entry) -> Item<'a> {
    let c = &e.item.content;
    Item {
        id: &e.id,
        url: e.url.as_str(),
        title: &c.title,
        content_html: e.content_html(),
        summary: &c.summary,
        image: c.image.as_ref().map(|i| i.url.as_str()),
        date_published: rfc3339(e.item.published),
        date_modified: rfc3339(e.item.updated),
        authors: vec![author(e.author)],
        tags: &c.tags,
        language: e.language.as_str(),
    }
}

fn author(p: &Person) -> Author<'_> {
    Author { name: &p.name, url: p.uri.as_ref().map(|u| u.as_str()) }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
