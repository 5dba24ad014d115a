//! RSS 2.0 with the `rss` crate (which does the XML escaping and the namespaces).

use ::rss::extension::atom::{AtomExtension, Link};
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::{Category, Channel as RssChannel, Guid, Item as RssItem, Source};

use super::{Channel, Entry, OutputKind, RenderError, archive};

/// Renders `ch` as an RSS 2.0 document.
pub(super) fn render(ch: &Channel) -> Result<Vec<u8>, RenderError> {
    let meta = ch.meta;
    let channel = RssChannel {
        title: meta.title.clone(),
        link: ch.link.to_string(),
        description: meta.description.clone(),
        language: Some(meta.language.as_str().to_owned()),
        copyright: meta.rights.clone(),
        pub_date: ch.feed_entries().iter().map(|e| e.item.published).max().map(|t| t.to_rfc2822()),
        last_build_date: Some(ch.updated.to_rfc2822()),
        generator: Some("feedpub".into()),
        docs: Some("https://www.rssboard.org/rss-specification".into()),
        // An archive page is read once, not polled; and a <ttl> from the feed's cadence would
        // change a closed page's bytes whenever the feed's rhythm does.
        ttl: ch.place.page().is_none().then(|| ch.ttl_minutes.to_string()),
        items: ch.feed_entries().iter().map(item).collect(),
        // RFC 5005 appendix B: the history links are atom:links in RSS too.
        atom_ext: Some(AtomExtension {
            links: [("self", ch.own_url(OutputKind::Rss))]
                .into_iter()
                .chain(ch.history(OutputKind::Rss))
                .map(|(rel, url)| Link {
                    href: url.to_string(),
                    rel: rel.into(),
                    mime_type: Some("application/rss+xml".into()),
                    ..Link::default()
                })
                // WebSub discovery (W3C WebSub 4): the hub beside the self link.
                .chain(ch.hub.iter().map(|hub| Link { href: hub.to_string(), rel: "hub".into(), ..Link::default() }))
                .collect(),
        }),
        namespaces: if ch.place.page().is_some() {
            [("fh".to_owned(), archive::FH.to_owned())].into()
        } else {
            Default::default()
        },
        dublin_core_ext: Some(DublinCoreExtension {
            publishers: vec![meta.publisher.name.clone()],
            ..Default::default()
        }),
        ..RssChannel::default()
    };
    let mut bytes = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .map_err(|source| RenderError::Rss { feed: meta.slug.to_string(), source })?;
    bytes.push(b'\n');
    // The channel's first atom:link (its self link) follows <fh:archive/> on an archive page.
    Ok(if ch.place.page().is_some() { archive::mark(bytes, "\n    <atom:link", "\n    ") } else { bytes })
}

fn item(e: &Entry) -> RssItem {
    let c = &e.item.content;
    // RSS <author> must be an e-mail address; the name goes into dc:creator.
    let author = e.author.email.as_ref().map(|mail| format!("{mail} ({})", e.author.name));
    RssItem {
        title: Some(c.title.clone()),
        link: Some(e.url.to_string()),
        // Readers treat description as HTML: the plain-text lede is escaped for it.
        description: Some(html_escape::encode_text(&c.summary).into_owned()),
        author,
        categories: c.tags.iter().map(|t| Category { name: t.clone(), domain: None }).collect(),
        guid: Some(Guid { value: e.id.clone(), permalink: false }),
        pub_date: Some(e.item.published.to_rfc2822()),
        // <source> must name the source's feed URL: the upstream feed of a re-published item,
        // else an attribution's URL; without one the attribution is dc:source.
        source: c
            .origin
            .as_ref()
            .map(|o| Source { url: o.shown_feed_url().to_string(), title: o.feed_title.clone() })
            .or_else(|| {
                c.source.as_ref().and_then(|s| {
                    s.url.as_ref().map(|url| Source { url: url.to_string(), title: Some(s.credit.value.clone()) })
                })
            }),
        content: Some(e.content_html().to_owned()),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![e.author.name.clone()],
            sources: c.source.iter().map(|s| s.credit.value.clone()).collect(),
            ..Default::default()
        }),
        ..RssItem::default()
    }
}
