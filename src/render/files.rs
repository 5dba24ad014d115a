//! Which files a site has, and each rendered alone: the index, a feed's documents and page, an
//! item's page. [`render_site`] is all of them; an incremental build or `serve` renders only the
//! ones that changed, with the same functions, so the bytes are the same either way.

use chrono::{DateTime, Utc};

use super::{Channel, FeedView, Output, OutputKind, RenderError, SiteMeta, Urls, atom, cadence, html, json, rss};
use crate::model::{FeedMeta, Item, date_in_range};

/// Renders every file of the site, in a stable order: the index, then each feed's files
/// ([`render_index`] and [`render_feed`] with every page, which is what an incremental build
/// renders piece by piece).
pub fn render_site(site: &SiteMeta, feeds: &[FeedView<'_>]) -> Result<Vec<Output>, RenderError> {
    let mut out = vec![];
    let mut lines = Vec::with_capacity(feeds.len());
    for view in feeds {
        let (outputs, line) = render_feed(site, view.meta, view.items, &|_| true)?;
        out.extend(outputs);
        lines.push(line);
    }
    out.insert(0, render_index(site, &lines));
    Ok(out)
}

/// What the index shows of a feed, and what it takes from it.
#[derive(Debug, Clone, Copy)]
pub struct IndexLine<'a> {
    /// The definition.
    pub meta: &'a FeedMeta,
    /// The feed's cache lifetime (the index may be cached no longer than its busiest feed).
    pub ttl_minutes: u32,
    /// The newest `updated` among all its items; the epoch for an empty feed.
    pub newest_updated: DateTime<Utc>,
}

impl<'a> IndexLine<'a> {
    /// A feed's line from its dates alone (see [`crate::store::Store::feed_dates`]): the same
    /// line [`render_feed`] gives from its items. `published` are the newest `limit` items'.
    pub fn from_dates(
        site: &SiteMeta,
        meta: &'a FeedMeta,
        newest_updated: Option<DateTime<Utc>>,
        published: &[DateTime<Utc>],
    ) -> Self {
        let published = &published[..published.len().min(meta.limit)];
        IndexLine {
            meta,
            ttl_minutes: feed_ttl(site, meta, published),
            newest_updated: newest_updated.unwrap_or(DateTime::UNIX_EPOCH),
        }
    }
}

/// The site index over `lines` (one per feed, in slug order).
pub fn render_index(site: &SiteMeta, lines: &[IndexLine<'_>]) -> Output {
    let urls = Urls::new(&site.base_url);
    let channels: Vec<Channel> =
        lines.iter().map(|l| Channel::new(site, &urls, FeedView { meta: l.meta, items: &[] })).collect();
    Output {
        path: "index.html".into(),
        bytes: html::index(site, &channels),
        kind: OutputKind::Index,
        updated: lines.iter().map(|l| l.newest_updated).max().unwrap_or(DateTime::UNIX_EPOCH),
        // The index changes with any feed, so it may be cached no longer than the busiest one.
        ttl_minutes: lines.iter().map(|l| l.ttl_minutes).min().unwrap_or(site.ttl.max_minutes),
    }
}

/// One feed's files: its RSS, Atom and JSON Feed documents and its HTML page, then the page
/// of every item `page` selects (an incremental build selects the ones that changed). Also
/// gives the feed's line on the index.
pub fn render_feed<'m>(
    site: &SiteMeta,
    meta: &'m FeedMeta,
    items: &[Item],
    page: &dyn Fn(&Item) -> bool,
) -> Result<(Vec<Output>, IndexLine<'m>), RenderError> {
    let view = FeedView { meta, items };
    check_dates(&view)?;
    let (mut out, line) = render_documents(site, meta, items, newest(items))?;
    let urls = Urls::new(&site.base_url);
    let ch = Channel::new(site, &urls, view);
    out.push(feed_page(&ch, items));
    let slug = meta.slug.as_str();
    for e in ch.entries.iter().filter(|e| page(e.item)) {
        out.push(Output {
            path: Urls::item_path(slug, e.item.id.as_str()),
            bytes: html::item_page(&ch, e),
            kind: OutputKind::ItemPage,
            updated: e.item.updated,
            ttl_minutes: ch.ttl_minutes,
        });
    }
    Ok((out, line))
}

/// The newest `updated` among `items`; the epoch for none.
fn newest(items: &[Item]) -> DateTime<Utc> {
    items.iter().map(|i| i.updated).max().unwrap_or(DateTime::UNIX_EPOCH)
}

/// A feed's page from its channel over all its `items`.
fn feed_page(ch: &Channel, items: &[Item]) -> Output {
    Output {
        path: Urls::feed_page_path(ch.meta.slug.as_str()),
        bytes: html::feed_page(ch),
        kind: OutputKind::FeedPage,
        updated: newest(items),
        ttl_minutes: ch.ttl_minutes,
    }
}

/// A feed's RSS, Atom and JSON Feed documents alone, as [`render_feed`] renders them, from
/// its newest `limit` items (all the documents carry); `newest_updated` is the newest
/// `updated` among all its items, for its [`IndexLine`].
pub fn render_documents<'m>(
    site: &SiteMeta,
    meta: &'m FeedMeta,
    newest: &[Item],
    newest_updated: DateTime<Utc>,
) -> Result<(Vec<Output>, IndexLine<'m>), RenderError> {
    let newest = &newest[..newest.len().min(meta.limit)];
    let view = FeedView { meta, items: newest };
    check_dates(&view)?;
    let urls = Urls::new(&site.base_url);
    let ch = Channel::new(site, &urls, view);
    let slug = meta.slug.as_str();
    let file = |path: String, bytes: Vec<u8>, kind: OutputKind| Output {
        path,
        bytes,
        kind,
        updated: ch.updated,
        ttl_minutes: ch.ttl_minutes,
    };
    let out = vec![
        file(Urls::rss_path(slug), rss::render(&ch)?, OutputKind::Rss),
        file(Urls::atom_path(slug), atom::render(&ch)?, OutputKind::Atom),
        file(Urls::json_path(slug), json::render(&ch)?, OutputKind::JsonFeed),
    ];
    Ok((out, IndexLine { meta, ttl_minutes: ch.ttl_minutes, newest_updated }))
}

/// A feed's HTML page alone, as [`render_feed`] renders it, from all its items.
pub fn render_feed_page(site: &SiteMeta, meta: &FeedMeta, items: &[Item]) -> Result<Output, RenderError> {
    let view = FeedView { meta, items };
    check_dates(&view)?;
    let urls = Urls::new(&site.base_url);
    Ok(feed_page(&Channel::new(site, &urls, view), items))
}

/// One item's page alone, as [`render_feed`] renders it; `ttl_minutes` is its feed's (from
/// its [`IndexLine`]).
pub fn render_item_page(
    site: &SiteMeta,
    meta: &FeedMeta,
    item: &Item,
    ttl_minutes: u32,
) -> Result<Output, RenderError> {
    let items = std::slice::from_ref(item);
    let view = FeedView { meta, items };
    check_dates(&view)?;
    let urls = Urls::new(&site.base_url);
    // The page shows the feed's definition and this item only, never the feed's other items.
    let ch = Channel::new(site, &urls, view);
    let e = &ch.entries[0];
    Ok(Output {
        path: Urls::item_path(meta.slug.as_str(), item.id.as_str()),
        bytes: html::item_page(&ch, e),
        kind: OutputKind::ItemPage,
        updated: item.updated,
        ttl_minutes,
    })
}

/// A feed's `<ttl>`: fixed in `feed.toml`, else derived from the cadence of the items it
/// carries (`published`, newest first).
pub(super) fn feed_ttl(site: &SiteMeta, meta: &FeedMeta, published: &[DateTime<Utc>]) -> u32 {
    meta.ttl_minutes.unwrap_or_else(|| cadence::ttl_minutes(published, site.ttl))
}

/// The store never holds a date outside [`date_in_range`] (sources drop them), but a renderer
/// must not panic (chrono's RFC 2822 does on a five-digit year) or write an invalid date,
/// whatever it is given.
fn check_dates(feed: &FeedView<'_>) -> Result<(), RenderError> {
    match feed.items.iter().find(|i| !date_in_range(&i.published) || !date_in_range(&i.updated)) {
        Some(item) => {
            let date = if date_in_range(&item.published) { item.updated } else { item.published };
            Err(RenderError::Date { feed: feed.meta.slug.to_string(), item: item.id.to_string(), date })
        }
        None => Ok(()),
    }
}

/// Renders only one feed's documents — RSS, Atom, JSON Feed, in that order — without the HTML
/// pages (for comparisons with tools that render nothing else).
pub fn render_feed_documents(site: &SiteMeta, feed: FeedView<'_>) -> Result<[Vec<u8>; 3], RenderError> {
    check_dates(&feed)?;
    let (docs, _) = render_documents(site, feed.meta, feed.items, DateTime::UNIX_EPOCH)?;
    let [rss, atom, json]: [Output; 3] = docs.try_into().expect("three documents");
    Ok([rss.bytes, atom.bytes, json.bytes])
}
