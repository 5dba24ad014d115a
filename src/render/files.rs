//! Which files a site has, and each rendered alone: the index, a feed's documents and page, an
//! item's page. [`render_site`] is all of them; an incremental build or `serve` renders only the
//! ones that changed, with the same functions, so the bytes are the same either way.

use chrono::{DateTime, Utc};

use super::archive::{Archive, Archived, PageKey, Place};
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
    let current = Place::Current { older: None };
    let channels: Vec<Channel> =
        lines.iter().map(|l| Channel::new(site, &urls, FeedView { meta: l.meta, items: &[] }, current)).collect();
    Output {
        path: "index.html".into(),
        bytes: html::index(site, &channels),
        kind: OutputKind::Index,
        updated: lines.iter().map(|l| l.newest_updated).max().unwrap_or(DateTime::UNIX_EPOCH),
        // The index changes with any feed, so it may be cached no longer than the busiest one.
        ttl_minutes: lines.iter().map(|l| l.ttl_minutes).min().unwrap_or(site.ttl.max_minutes),
        archived: Default::default(),
    }
}

/// One feed's files: its RSS, Atom and JSON Feed documents and its HTML page, the four
/// documents of each archive page, then the page of every item `page` selects (an incremental
/// build selects the ones that changed). Also gives the feed's line on the index.
pub fn render_feed<'m>(
    site: &SiteMeta,
    meta: &'m FeedMeta,
    items: &[Item],
    page: &dyn Fn(&Item) -> bool,
) -> Result<(Vec<Output>, IndexLine<'m>), RenderError> {
    let (mut item_pages, mut archive_pages, mut documents) = (Vec::new(), Vec::new(), Vec::new());
    let line = render_feed_parts(site, meta, items, page, &mut |part| {
        match part.first().map(|o| (o.kind, o.archived)) {
            Some((OutputKind::ItemPage, _)) => item_pages.extend(part),
            Some((_, Archived::No)) => documents = part,
            _ => archive_pages.push(part),
        }
        Ok::<_, RenderError>(())
    })?;
    // In reading order: the documents and page, the archive pages newest first, the items.
    let archive_pages = archive_pages.into_iter().rev().flatten();
    Ok((documents.into_iter().chain(archive_pages).chain(item_pages).collect(), line))
}

/// Item pages rendered (and handed on) at once by [`render_feed_parts`].
const ITEM_PAGES_PER_PART: usize = 1_000;

/// [`render_feed`]'s files in parts, each handed to `sink` as soon as it is rendered, so a
/// build holds one part's bytes at a time instead of a whole feed's (a feed of 100,000 items
/// has 300,000 archive documents and item pages). The order is the order to publish in, each
/// file after those it links to: the item pages a thousand at a time, then the archive pages
/// oldest first (each one part), then the feed's documents and page (the last part).
pub fn render_feed_parts<'m, E: From<RenderError>>(
    site: &SiteMeta,
    meta: &'m FeedMeta,
    items: &[Item],
    page: &dyn Fn(&Item) -> bool,
    sink: &mut dyn FnMut(Vec<Output>) -> Result<(), E>,
) -> Result<IndexLine<'m>, E> {
    let view = FeedView { meta, items };
    check_dates(&view)?;
    let published: Vec<DateTime<Utc>> = items.iter().map(|i| i.published).collect();
    let archive = Archive::plan(&published, meta.limit);
    let current = archive.current();
    let urls = Urls::new(&site.base_url);
    let ch = Channel::new(site, &urls, view, current);
    let slug = meta.slug.as_str();
    let selected: Vec<_> = ch.entries.iter().filter(|e| page(e.item)).collect();
    for chunk in selected.chunks(ITEM_PAGES_PER_PART) {
        let pages = chunk.iter().map(|e| Output {
            path: Urls::item_path(slug, e.item.id.as_str()),
            bytes: html::item_page(&ch, e),
            kind: OutputKind::ItemPage,
            updated: e.item.updated,
            ttl_minutes: ch.ttl_minutes,
            archived: Default::default(),
        });
        sink(pages.collect())?;
    }
    let ttl_minutes = ch.ttl_minutes;
    for (i, p) in archive.pages().iter().enumerate().rev() {
        sink(render_archive_page(site, meta, &items[p.start..p.end], archive.place(i), ttl_minutes)?)?;
    }
    let (mut last, line) = render_documents(site, meta, items, newest(items), current.older())?;
    let keys: Vec<PageKey> = archive.pages().iter().map(|p| p.key).collect();
    last.push(render_feed_page(site, meta, items, &keys)?);
    sink(last)?;
    Ok(line)
}

/// The newest `updated` among `items`; the epoch for none.
fn newest(items: &[Item]) -> DateTime<Utc> {
    items.iter().map(|i| i.updated).max().unwrap_or(DateTime::UNIX_EPOCH)
}

/// A feed's RSS, Atom and JSON Feed documents alone, as [`render_feed`] renders them, from
/// its newest `limit` items (all the documents carry); `newest_updated` is the newest
/// `updated` among all its items, for its [`IndexLine`]; `older` is its newest archive page.
pub fn render_documents<'m>(
    site: &SiteMeta,
    meta: &'m FeedMeta,
    newest: &[Item],
    newest_updated: DateTime<Utc>,
    older: Option<PageKey>,
) -> Result<(Vec<Output>, IndexLine<'m>), RenderError> {
    let newest = &newest[..newest.len().min(meta.limit)];
    let view = FeedView { meta, items: newest };
    check_dates(&view)?;
    let urls = Urls::new(&site.base_url);
    let ch = Channel::new(site, &urls, view, Place::Current { older });
    let out = [OutputKind::Rss, OutputKind::Atom, OutputKind::JsonFeed]
        .into_iter()
        .map(|kind| document(&ch, kind))
        .collect::<Result<_, _>>()?;
    Ok((out, IndexLine { meta, ttl_minutes: ch.ttl_minutes, newest_updated }))
}

/// One document of `ch` (a feed format, or its HTML page as an archive page).
fn document(ch: &Channel, kind: OutputKind) -> Result<Output, RenderError> {
    let bytes = match kind {
        OutputKind::Rss => rss::render(ch)?,
        OutputKind::Atom => atom::render(ch)?,
        OutputKind::JsonFeed => json::render(ch)?,
        _ => html::archive_page(ch),
    };
    Ok(Output {
        path: Urls::document_path(ch.meta.slug.as_str(), ch.place.page(), kind),
        bytes,
        kind,
        updated: ch.updated,
        ttl_minutes: ch.ttl_minutes,
        archived: ch.place.archived(),
    })
}

/// A feed's HTML page alone, as [`render_feed`] renders it: its newest `limit` items (of
/// `newest`) and links to its archive pages, `pages` (newest first).
pub fn render_feed_page(
    site: &SiteMeta,
    meta: &FeedMeta,
    newest: &[Item],
    pages: &[PageKey],
) -> Result<Output, RenderError> {
    let newest = &newest[..newest.len().min(meta.limit)];
    let view = FeedView { meta, items: newest };
    check_dates(&view)?;
    let urls = Urls::new(&site.base_url);
    let ch = Channel::new(site, &urls, view, Place::Current { older: pages.first().copied() });
    Ok(Output {
        path: Urls::feed_page_path(meta.slug.as_str()),
        bytes: html::feed_page(&ch, pages),
        kind: OutputKind::FeedPage,
        updated: ch.updated,
        ttl_minutes: ch.ttl_minutes,
        archived: Default::default(),
    })
}

/// One archive page's four documents (RSS, Atom, JSON Feed, HTML) over its `items`, at
/// `place` in the feed's history ([`Archive::place`]); `ttl_minutes` is its feed's.
pub fn render_archive_page(
    site: &SiteMeta,
    meta: &FeedMeta,
    items: &[Item],
    place: Place,
    ttl_minutes: u32,
) -> Result<Vec<Output>, RenderError> {
    [OutputKind::Rss, OutputKind::Atom, OutputKind::JsonFeed, OutputKind::FeedPage]
        .into_iter()
        .map(|kind| render_archive_document(site, meta, items, place, ttl_minutes, kind))
        .collect()
}

/// One document of an archive page, as [`render_archive_page`] renders it.
pub fn render_archive_document(
    site: &SiteMeta,
    meta: &FeedMeta,
    items: &[Item],
    place: Place,
    ttl_minutes: u32,
    kind: OutputKind,
) -> Result<Output, RenderError> {
    let view = FeedView { meta, items };
    check_dates(&view)?;
    let urls = Urls::new(&site.base_url);
    let mut ch = Channel::new(site, &urls, view, place);
    // The page is read as often as its feed changes (the newest) or never again (the rest):
    // the feed's own lifetime, not one from the page's old cadence.
    ch.ttl_minutes = ttl_minutes;
    document(&ch, kind)
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
    let ch = Channel::new(site, &urls, view, Place::Current { older: None });
    let e = &ch.entries[0];
    Ok(Output {
        path: Urls::item_path(meta.slug.as_str(), item.id.as_str()),
        bytes: html::item_page(&ch, e),
        kind: OutputKind::ItemPage,
        updated: item.updated,
        ttl_minutes,
        archived: Default::default(),
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
    let (docs, _) = render_documents(site, feed.meta, feed.items, DateTime::UNIX_EPOCH, None)?;
    let [rss, atom, json]: [Output; 3] = docs.try_into().expect("three documents");
    Ok([rss.bytes, atom.bytes, json.bytes])
}
