//! What `serve` holds: each feed's documents and the index (what readers poll), rendered again
//! only for the feeds that changed; the pages people open (a feed's page, an item's) are
//! rendered from the store on demand, through a bounded cache. Memory follows the feeds and
//! their `limit`, not the archive.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::history::{self, Doc};
use super::{PipelineError, build::site_meta, stored_definitions, sync};
use crate::config::{Compression, Config};
use crate::model::{FeedMeta, ItemId};
use crate::publish::serve::{PageSource, Pages, Site, Unavailable};
use crate::render::archive::{Archive, PageKey};
use crate::render::{self, IndexLine, Output, SiteMeta, Urls};
use crate::store::{Head, Seq, Store, StoreError, SyncReport};

/// Bytes of item pages kept ready (with their compressed variants): a page is a few KB, so
/// thousands of recently opened pages.
pub const PAGE_CACHE_BYTES: usize = 32 << 20;

/// A store shared by the tasks of the service.
pub type SharedStore = Arc<Mutex<Box<dyn Store>>>;

/// What the last render showed, to render only what changed after it.
struct Shown {
    store_id: String,
    seq: Seq,
    /// Per feed slug.
    feeds: HashMap<String, ShownFeed>,
}

/// What the last render showed of one feed.
#[derive(Clone)]
struct ShownFeed {
    meta: FeedMeta,
    /// Its line on the index.
    ttl_minutes: u32,
    newest_updated: chrono::DateTime<chrono::Utc>,
    /// How many items it has.
    items: usize,
    /// Its archive pages: a path naming another is answered 404 without reading the store
    /// (a well-formed key costs a read of every date of the feed to find it is not there).
    pages: Arc<HashSet<PageKey>>,
}

/// Renders the served site from the store, again and again.
pub struct HotRenderer {
    config: Arc<Config>,
    /// The connection syncs write through.
    store: SharedStore,
    /// A second connection pages are read through, so a long sync never holds up a page.
    pages: SharedStore,
    shown: Mutex<Option<Shown>>,
    /// See [`HotRenderer::seen`].
    seen: Mutex<Option<Head>>,
}

/// Why a render runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The store changed (a poll, another process): render from it, without reading `feeds/`.
    Store,
    /// Files under `feeds/` changed (or the first render): sync them first.
    Files,
}

impl HotRenderer {
    /// A renderer writing through `store` and reading pages through `pages` (another
    /// connection to the same store).
    pub fn new(config: Arc<Config>, store: SharedStore, pages: SharedStore) -> Self {
        Self { config, store, pages, shown: Mutex::new(None), seen: Mutex::new(None) }
    }

    /// The head the last render started from, whether it succeeded or not (`None` before the
    /// first): a follower asks for a render when the store's head differs, and a render that
    /// fails on bad input is not tried again until something changes.
    pub fn seen(&self) -> Option<Head> {
        self.seen.lock().ok()?.clone()
    }

    /// Syncs, then renders the documents of the feeds that changed since `previous` was
    /// rendered (every feed without it), reusing the rest of `previous`. Hot files are held in
    /// the codings `compress` asks for (none: answer first, compress later with
    /// [`Site::compressed`]); pages always in the configured ones.
    pub fn render(
        &self,
        previous: Option<&Site>,
        compress: Compression,
        reason: Reason,
    ) -> Result<(Site, SyncReport), PipelineError> {
        let result = self.render_from(previous, compress, reason);
        // A store that could not be reached is tried again at the follower's next look, change
        // or not (bad input waits for the next change).
        if let Err(PipelineError::Store(e)) = &result
            && e.is_unavailable()
            && let Ok(mut seen) = self.seen.lock()
        {
            *seen = Some(Head { store_id: String::new(), seq: Seq::MIN });
        }
        result
    }

    fn render_from(
        &self,
        previous: Option<&Site>,
        compress: Compression,
        reason: Reason,
    ) -> Result<(Site, SyncReport), PipelineError> {
        let mut store = self.store.lock().map_err(|_| poisoned())?;
        // The head first: every read below (a replica's definitions included) sees at least the
        // changes up to it, so a change committed meanwhile is after it and rendered next time.
        let before = store.head()?;
        *self.seen.lock().map_err(|_| poisoned())? = Some(before.clone());
        let (report, metas) = match (reason, previous) {
            (Reason::Store, Some(_)) => (SyncReport::default(), stored_definitions(store.as_ref())?),
            _ => sync(&self.config, store.as_mut())?,
        };
        // This process's own sync moved the head: what it rendered includes that change.
        let head = if report == SyncReport::default() { before } else { store.head()? };
        *self.seen.lock().map_err(|_| poisoned())? = Some(head.clone());
        let changes = store.feed_changes()?;
        let mut shown = self.shown.lock().map_err(|_| poisoned())?;
        let last = shown.as_ref().filter(|s| s.store_id == head.store_id && previous.is_some());
        let site = site_meta(&self.config);
        let (mut outputs, mut feeds, mut dirty) = (Vec::new(), HashMap::new(), HashSet::new());
        for meta in &metas {
            let slug = meta.slug.as_str();
            let changed = changes.get(&meta.slug).map_or(Seq::MAX, |c| c.changed);
            let before = last.and_then(|s| s.feeds.get(slug).filter(|f| f.meta == *meta && changed <= s.seq));
            if let Some(kept) = before {
                feeds.insert(slug.to_owned(), kept.clone());
                continue;
            }
            // The documents carry the newest `limit` items: only those are read, with every
            // item's date for the archive page they link to.
            let (dates, newest) = store.history(&meta.slug, &mut |published| 0..published.len().min(meta.limit))?;
            let count = dates.published.len();
            let plan = Archive::plan(&dates.published, meta.limit);
            let (older, pages) = (plan.current().older(), plan.pages().iter().map(|p| p.key).collect());
            let newest_updated = dates.newest_updated.unwrap_or(chrono::DateTime::UNIX_EPOCH);
            let (mut docs, line) = render::render_documents(&site, meta, &newest, newest_updated, older)?;
            outputs.append(&mut docs);
            let (ttl_minutes, newest_updated) = (line.ttl_minutes, line.newest_updated);
            let pages = Arc::new(pages);
            feeds.insert(
                slug.to_owned(),
                ShownFeed { meta: meta.clone(), ttl_minutes, newest_updated, items: count, pages },
            );
            dirty.insert(slug.to_owned());
        }
        drop(store);
        let lines: Vec<IndexLine> = metas
            .iter()
            .map(|m| {
                let f = &feeds[m.slug.as_str()];
                IndexLine { meta: m, ttl_minutes: f.ttl_minutes, newest_updated: f.newest_updated }
            })
            .collect();
        outputs.push(render::render_index(&site, &lines));
        let items = feeds.values().map(|f| f.items).sum();
        let feed_of = |path: &str| path.trim_start_matches('/').split_once('/').map(|(slug, _)| slug.to_owned());
        // Held files of feeds that did not change are kept as they are; the rest is new.
        let mut resources: HashMap<_, _> = previous
            .map(|p| {
                p.resources()
                    .iter()
                    .filter(|(path, _)| feed_of(path).is_some_and(|s| feeds.contains_key(&s) && !dirty.contains(&s)))
                    .map(|(path, r)| (path.clone(), r.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let link = |o: &Output| websub_link(&site, o);
        resources.extend(Site::prepare(outputs, compress, previous, &link));
        let source = Arc::new(StorePages {
            store: self.pages.clone(),
            site,
            feeds: feeds
                .iter()
                .map(|(slug, f)| (slug.clone(), (f.meta.clone(), f.ttl_minutes, f.pages.clone())))
                .collect(),
        });
        let keep = |path: &str| feed_of(path).is_some_and(|s| feeds.contains_key(&s) && !dirty.contains(&s));
        let mut pages = Pages::new(source, self.config.compress, PAGE_CACHE_BYTES);
        if let Some(old) = previous.and_then(Site::pages) {
            pages = pages.keeping(old, &keep);
        }
        let n = metas.len();
        *shown = Some(Shown { store_id: head.store_id, seq: head.seq, feeds });
        Ok((Site::from_parts(resources, Some(Arc::new(pages)), n, items), report))
    }
}

/// The `Link` header of a subscription document when the site names a hub (W3C WebSub 4):
/// `<hub>; rel="hub", <document>; rel="self"`.
fn websub_link(site: &SiteMeta, o: &Output) -> Option<hyper::header::HeaderValue> {
    let hub = site.hub.as_ref()?;
    let own = site.base_url.join(&o.path).ok().filter(|_| o.kind.is_topic(o.archived))?;
    hyper::header::HeaderValue::from_str(&format!("<{hub}>; rel=\"hub\", <{own}>; rel=\"self\"")).ok()
}

fn poisoned() -> PipelineError {
    PipelineError::Poisoned
}

/// Item pages from the store, rendered as `build` renders them.
struct StorePages {
    store: SharedStore,
    site: SiteMeta,
    /// Per feed slug: its definition, cache lifetime and archive pages.
    feeds: HashMap<String, (FeedMeta, u32, Arc<HashSet<PageKey>>)>,
}

impl PageSource for StorePages {
    fn exists(&self, path: &str) -> bool {
        // A feed's page exists with its feed (the `/slug` → `/slug/` redirect asks).
        match path.strip_prefix('/').and_then(|p| p.split_once('/')) {
            Some((slug, "")) => self.feeds.contains_key(slug),
            _ => matches!(self.page(path), Ok(Some(_))),
        }
    }

    fn page(&self, path: &str) -> Result<Option<Output>, Unavailable> {
        let Some((slug, file)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else { return Ok(None) };
        let Some((meta, ttl, pages)) = self.feeds.get(slug) else { return Ok(None) };
        // A store that cannot answer is a 503 (the page may well exist); a row that cannot
        // be read or rendered is logged and answers 404.
        let read = |e: StoreError| {
            tracing::error!("reading {path}: {e}");
            if e.is_unavailable() { Err(Unavailable) } else { Ok(None) }
        };
        let rendered =
            |r: Result<Output, PipelineError>| Ok(r.inspect_err(|e| tracing::error!("rendering {path}: {e}")).ok());
        if file.is_empty() || file.starts_with("archive/") {
            // The feed's page and its archive pages: people open them, readers walk the
            // archive once.
            let doc = match file {
                "" => Doc::FeedPage,
                _ => match Urls::parse_archive_path(file) {
                    Some((key, kind)) if pages.contains(&key) => Doc::Archive(key, kind),
                    _ => return Ok(None),
                },
            };
            let store = self.store.lock().map_err(|_| Unavailable)?;
            let page = history::render_page(store.as_ref(), &self.site, meta, *ttl, doc);
            drop(store);
            match page {
                Ok(page) => Ok(page),
                Err(PipelineError::Store(e)) => read(e),
                Err(e) => rendered(Err(e)),
            }
        } else {
            let Some(id) = file.strip_suffix(".html").and_then(|f| ItemId::new(f).ok()) else { return Ok(None) };
            let store = self.store.lock().map_err(|_| Unavailable)?;
            let item = match store.item(&meta.slug, &id) {
                Ok(Some(item)) => item,
                Ok(None) => return Ok(None),
                Err(e) => return read(e),
            };
            drop(store);
            rendered(render::render_item_page(&self.site, meta, &item, *ttl).map_err(PipelineError::from))
        }
    }
}
