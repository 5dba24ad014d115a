//! The one place that knows the order of the stages: Source → Store → Render → Publish.

use std::path::Path;

use anyhow::Context as _;
use chrono::{SubsecRound as _, Utc};

use crate::config::Config;
use crate::model::{FeedMeta, Item};
use crate::publish::{self, BuildReport};
use crate::render::{self, FeedView, Output, SiteMeta};
use crate::source::{self, LocalFeed};
use crate::store::{self, Store, SyncReport};

/// Source → Store → Render → Publish, for `build`. Nothing is written before every input has
/// been read and every file rendered, so bad input leaves the previous output as it was.
pub fn build(config: &Config, out: &Path) -> anyhow::Result<(SyncReport, BuildReport)> {
    let mut store = store::open(&config.database)?;
    let (sync, outputs) = sync_and_render(config, store.as_mut())?;
    let report =
        publish::write_site(out, &outputs, config.compress).with_context(|| format!("writing {}", out.display()))?;
    Ok((sync, report))
}

/// Source → Store → Render, for `build` and `serve` alike (so both publish the same bytes):
/// reads every article, syncs the store and renders every file from what it holds. Bad input
/// fails before the store is touched.
pub fn sync_and_render(config: &Config, store: &mut dyn Store) -> anyhow::Result<(SyncReport, Vec<Output>)> {
    let feeds = source::load(&config.feeds_dir)?;
    let synced: Vec<_> = feeds.iter().map(|f| (&f.meta.slug, f.articles.as_slice())).collect();
    let mut sync = store.sync_local(&synced, Utc::now().trunc_subsecs(0))?;
    let listed: Vec<_> = feeds.iter().map(|f| (&f.meta.slug, f.meta.sources.as_slice())).collect();
    sync.unlisted = store.drop_unlisted_sources(&listed)?;
    if (sync.added, sync.changed, sync.removed, sync.unlisted) != (0, 0, 0, 0) {
        store.checkpoint()?;
    }
    // The articles are in the store now, and rendering reads them back from there: let go of
    // the parsed copies first (at 100,000 articles they are hundreds of MB).
    let metas: Vec<FeedMeta> = feeds.into_iter().map(|f| f.meta).collect();
    let mut items = Vec::with_capacity(metas.len());
    for meta in &metas {
        // Every stored article keeps its page; the feeds carry the newest `limit` of them.
        items.push(store.items(&meta.slug, None)?);
    }
    Ok((sync, render_all(config, &metas, &items)?))
}

/// Reads and renders everything in memory, as `build` would, without a store or any writes.
pub fn check(config: &Config) -> anyhow::Result<(Vec<LocalFeed>, Vec<Output>)> {
    let feeds = source::load(&config.feeds_dir)?;
    let items: Vec<Vec<Item>> = feeds
        .iter()
        .map(|f| {
            let mut items: Vec<Item> = f.articles.iter().map(|a| Item::from(a.clone())).collect();
            items.sort_by(Item::newest_first);
            items
        })
        .collect();
    let metas: Vec<FeedMeta> = feeds.iter().map(|f| f.meta.clone()).collect();
    let outputs = render_all(config, &metas, &items)?;
    Ok((feeds, outputs))
}

fn render_all(config: &Config, metas: &[FeedMeta], items: &[Vec<Item>]) -> anyhow::Result<Vec<Output>> {
    let site = SiteMeta {
        base_url: config.base_url.clone(),
        title: config.title.clone(),
        language: config.language.clone(),
        ttl: config.ttl,
    };
    let views: Vec<FeedView> = metas.iter().zip(items).map(|(meta, items)| FeedView { meta, items }).collect();
    Ok(render::render_site(&site, &views)?)
}
