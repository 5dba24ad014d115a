//! IMPORT: parsed upstream items → articles to store, with stable ids and their provenance.

use rayon::prelude::*;
use url::Url;

use super::parse::{UpstreamFeed, UpstreamItem};
use super::sanitize;
use crate::model::{Content, ItemId, Language, Origin, Person, UpstreamArticle, digest, redact};

/// Longest derived title or summary, in characters.
const TITLE_CHARS: usize = 110;
const SUMMARY_CHARS: usize = 300;

/// Items imported on one core, at least: fewer are not worth a thread.
const PER_CORE: usize = 64;

/// The articles `feed` brings for the source configured as `source` (its identity: ids derive
/// from it, not from wherever redirects lead), fetched from `fetched_from`; the first `limit`.
pub fn import(source: &Url, fetched_from: &Url, feed: &UpstreamFeed, limit: Option<usize>) -> Vec<UpstreamArticle> {
    let origin = Origin {
        feed_url: provenance(source, fetched_from, feed.self_link.as_ref()),
        feed_id: feed.id.clone(),
        feed_title: feed.title.clone().filter(|t| !t.is_empty()),
        feed_link: feed.link.clone(),
    };
    let items = &feed.items[..feed.items.len().min(limit.unwrap_or(usize::MAX))];
    // Each item's summary and id are its own: on every core, at least `PER_CORE` items each.
    let articles: Vec<UpstreamArticle> =
        items.par_iter().with_min_len(PER_CORE).map(|item| article(source, item, &origin)).collect();
    let mut seen = std::collections::HashSet::new();
    // A GUID repeated within one document is one item: the first occurrence wins.
    articles.into_iter().filter(|a| seen.insert(a.id.clone())).collect()
}

/// The upstream feed's URL as its items' provenance shows it. The fetch URL is configuration and
/// may carry credentials under any name: without userinfo and query. The feed's own self link
/// is content, but private feeds put their token there too: without secret-looking pairs, and
/// without any query when it names the fetched resource itself.
fn provenance(source: &Url, fetched_from: &Url, self_link: Option<&Url>) -> Url {
    match self_link {
        Some(link) if [source, fetched_from].iter().all(|u| redact::bare(u) != redact::bare(link)) => {
            redact::for_output(link)
        }
        _ => redact::bare(fetched_from),
    }
}

/// `u` and 128 bits of SHA-256 of (source, item key): path-safe, stable, never random. The
/// source as [`redact::for_output`] shows it: an id is published, and a hash of a password is
/// one to guess offline; a rotated token keeps the ids.
pub fn item_id(source: &Url, key: &str) -> ItemId {
    let hex = digest::sha256_hex128(format!("{}\n{key}", redact::for_output(source)));
    ItemId::new(format!("u{hex}")).expect("hex is a valid id")
}

fn article(source: &Url, item: &UpstreamItem, origin: &Origin) -> UpstreamArticle {
    // Only the start of the text is needed (a title, a summary): plain_text reads a prefix, so
    // a huge item costs no more than a small one. A tag cut at the end is dropped.
    let summary = sanitize::plain_text(&item.content_html, true, SUMMARY_CHARS);
    let title = if item.title.is_empty() { sanitize::cut(&summary, TITLE_CHARS) } else { item.title.clone() };
    // An item with no title and no text (a date, an id, a link) is still an item; a blank title
    // is not (the W3C validator refuses one): it takes its feed's name, or its host's.
    let title = match title.is_empty() {
        true => origin.feed_title.clone().unwrap_or_else(|| origin.feed_url.host_str().unwrap_or_default().to_owned()),
        false => title,
    };
    let mut content = Content::new(title, summary, item.content_html.clone());
    content.language = item.language.as_deref().and_then(|l| Language::parse(l).ok());
    content.author = item.authors.first().map(|name| Person { name: name.clone(), email: None, uri: None });
    content.link = item.link.clone();
    content.origin = Some(origin.clone());
    // Sanitising cleaned the markup, but a character reference (`&#x7f;`) decodes to a control
    // character after it, and a feed's own id is never sanitised: one last pass over every field.
    content.strip_unfit();
    UpstreamArticle {
        id: item_id(source, &item.key),
        content,
        published: item.published,
        updated: item.updated,
        raw_hash: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_source_and_untitled_items_get_a_title() {
        let a = Url::parse("https://a.example/rss").unwrap();
        let b = Url::parse("https://b.example/rss").unwrap();
        assert_eq!(item_id(&a, "id:1"), item_id(&a, "id:1"));
        let secret = |t: &str| Url::parse(&format!("https://u:{t}@a.example/rss?token={t}")).unwrap();
        assert_eq!(item_id(&secret("one"), "id:1"), item_id(&a, "id:1"), "credentials are no part of an id");
        assert_eq!(item_id(&secret("one"), "id:1"), item_id(&secret("two"), "id:1"));
        assert_ne!(item_id(&a, "id:1"), item_id(&b, "id:1"), "the same GUID from two sources is two items");
        let feed = UpstreamFeed {
            id: None,
            title: Some("Wire".into()),
            link: None,
            self_link: None,
            hub: None,
            prev_archive: None,
            ttl_minutes: None,
            items: vec![UpstreamItem {
                key: "id:1".into(),
                link: Some(Url::parse("https://a.example/1").unwrap()),
                title: String::new(),
                content_html: format!("<p>{}</p>", "كلمة ".repeat(60)),
                published: None,
                updated: None,
                authors: vec!["Reporter".into()],
                language: Some("ar".into()),
            }],
        };
        let moved = Url::parse("https://a.example/new-rss").unwrap();
        let articles = import(&a, &moved, &feed, Some(5));
        let c = &articles[0].content;
        assert!(c.title.ends_with('…') && c.title.chars().count() <= 110, "{}", c.title);
        assert_eq!(c.origin.as_ref().unwrap().feed_url, moved);
        assert_eq!(articles[0].id, item_id(&a, "id:1"), "the id follows the configured URL, not the redirect");
        assert_eq!(c.language.as_ref().unwrap().as_str(), "ar");
        assert!(import(&a, &a, &feed, Some(0)).is_empty());
        let mut twice = feed.clone();
        twice.items.push(twice.items[0].clone());
        assert_eq!(import(&a, &a, &twice, None).len(), 1, "a repeated GUID is one item");
    }
}
