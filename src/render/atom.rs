//! Atom 1.0 (RFC 4287) with `atom_syndication`.

use ::atom_syndication::{
    Category, Content, Entry as AtomEntry, Feed, Generator, Link, Person as AtomPerson, Source as AtomSource, Text,
    WriteConfig,
};
use chrono::{DateTime, FixedOffset, Utc};

use super::{Channel, Entry, OutputKind, RenderError, archive};
use crate::model::Person;

/// Renders `ch` as an Atom 1.0 document.
pub(super) fn render(ch: &Channel) -> Result<Vec<u8>, RenderError> {
    let meta = ch.meta;
    let feed = Feed {
        title: Text::plain(meta.title.clone()),
        id: ch.id.clone(),
        updated: fixed(ch.updated),
        authors: vec![person(&meta.author)],
        links: [link(ch.link.as_str(), "alternate", "text/html")]
            .into_iter()
            .chain(
                [("self", ch.own_url(OutputKind::Atom))]
                    .into_iter()
                    .chain(ch.history(OutputKind::Atom))
                    .map(|(rel, url)| link(url.as_str(), rel, "application/atom+xml")),
            )
            // WebSub discovery (W3C WebSub 4): the hub beside the self link.
            .chain(ch.hub.iter().map(|hub| Link { href: hub.to_string(), rel: "hub".into(), ..Link::default() }))
            .collect(),
        namespaces: if ch.place.page().is_some() {
            [("fh".to_owned(), archive::FH.to_owned())].into()
        } else {
            Default::default()
        },
        rights: meta.rights.clone().map(Text::plain),
        subtitle: Some(Text::plain(meta.description.clone())),
        generator: Some(Generator { value: "feedpub".into(), uri: None, version: None }),
        entries: ch.feed_entries().iter().map(|e| entry(ch, e)).collect(),
        lang: Some(meta.language.as_str().to_owned()),
        ..Feed::default()
    };
    let config = WriteConfig { write_document_declaration: true, indent_size: Some(2) };
    let mut bytes = feed
        .write_with_config(Vec::new(), config)
        .map_err(|source| RenderError::Atom { feed: meta.slug.to_string(), source })?;
    bytes.push(b'\n');
    // RFC 4287 puts a feed's extension elements before its entries (atom_syndication writes
    // them after): <fh:archive/> goes before the first entry, or the end of an empty feed.
    Ok(match ch.place.page() {
        Some(_) if ch.feed_entries().is_empty() => archive::mark(bytes, "\n</feed>", "\n  "),
        Some(_) => archive::mark(bytes, "\n  <entry>", "\n  "),
        None => bytes,
    })
}

fn entry(ch: &Channel, e: &Entry) -> AtomEntry {
    let c = &e.item.content;
    // Entries carry no xml:lang in atom_syndication; text constructs do, so an item in another
    // language than the feed's says so on its title, summary and content.
    let lang = c.language.as_ref().map(|l| l.as_str().to_owned());
    let text = |value: &str| Text { lang: lang.clone(), ..Text::plain(value) };
    AtomEntry {
        title: text(&c.title),
        id: e.id.clone(),
        updated: fixed(e.item.updated),
        published: Some(fixed(e.item.published)),
        // An entry without <author> inherits the feed's (RFC 4287 §4.2.1).
        authors: if *e.author == ch.meta.author { Vec::new() } else { vec![person(e.author)] },
        categories: c.tags.iter().map(|t| Category { term: t.clone(), scheme: None, label: None }).collect(),
        links: vec![link(e.url.as_str(), "alternate", "text/html")],
        summary: Some(text(&c.summary)),
        // A re-published item names its upstream feed (RFC 4287 §4.2.11).
        source: c.origin.as_ref().map(|o| (o, o.shown_feed_url())).map(|(o, feed_url)| AtomSource {
            id: o.feed_id.clone().unwrap_or_else(|| feed_url.to_string()),
            title: Text::plain(o.feed_title.clone().unwrap_or_else(|| feed_url.to_string())),
            links: o
                .feed_link
                .iter()
                .map(|l| link(l.as_str(), "alternate", "text/html"))
                .chain([Link { href: feed_url.to_string(), rel: "self".into(), ..Link::default() }])
                .collect(),
            // The upstream feed was updated at least when this entry was (the default would be
            // 1970, which validators rightly call implausible).
            updated: fixed(e.item.updated),
            ..AtomSource::default()
        }),
        content: Some(Content {
            value: Some(e.content_html().to_owned()),
            content_type: Some("html".into()),
            lang: lang.clone(),
            ..Content::default()
        }),
        ..AtomEntry::default()
    }
}

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link { href: href.into(), rel: rel.into(), mime_type: Some(mime.into()), ..Link::default() }
}

fn person(p: &Person) -> AtomPerson {
    AtomPerson {
        name: p.name.clone(),
        email: p.email.clone(),
        uri: p.uri.as_ref().map(|u| u.to_string()),
        ..AtomPerson::default()
    }
}
