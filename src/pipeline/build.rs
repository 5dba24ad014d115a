//! `build`: sync, then plan what is dirty, render only that and publish it in batches.
//!
//! The store numbers every change ([`crate::store::Seq`]); the output folder records the
//! number it was built up to ([`crate::publish::build::STATE`]). A build renders the documents
//! of every feed changed since, the pages of the items changed since (all of a feed's pages
//! when its definition changed) and the index. The same functions render a full site, so an
//! incremental build and a full one into an empty folder write the same bytes.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use sha2::{Digest as _, Sha256};
use url::Url;

use super::{PipelineError, sync, websub};
use crate::config::Config;
use crate::model::{FeedMeta, ItemId};
use crate::publish::websub::PingReport;
use crate::publish::{BuildReport, build::SiteWriter};
use crate::render::{self, FeedView, IndexLine, Output, OutputKind, SiteMeta, Urls};
use crate::store::{self, Head, Seq, Store, SyncReport};

/// How much a build rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Nothing changed since the folder was built: nothing was rendered or written.
    Nothing,
    /// Only what changed: this many feeds' documents and this many item pages (plus the index).
    Changed {
        /// Feeds whose documents were rendered.
        feeds: usize,
        /// Item pages rendered.
        pages: usize,
    },
    /// Everything: the folder was empty, built from another store, or with another config.
    Full,
}

/// What a build did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutcome {
    /// What the sync changed in the store.
    pub sync: SyncReport,
    /// What was written.
    pub report: BuildReport,
    /// How much was rendered.
    pub scope: Scope,
    /// What the hub (`[websub] hub`) was told of the feed documents this build changed; `None`
    /// without a hub, or when no feed document changed.
    pub hub: Option<PingReport>,
}

/// Source → Store → Render → Publish, for `build`. Bad input stops the build before the store
/// or the folder is touched.
pub fn build(config: &Config, out: &Path) -> Result<BuildOutcome, PipelineError> {
    let mut store = store::open(&config.database)?;
    let (sync, metas) = sync(config, store.as_mut())?;
    let (report, scope, topics) = publish(config, store.as_ref(), &metas, out)?;
    let hub = match (topics.is_empty(), websub::pinger(config)) {
        (true, _) | (false, Ok(None)) => None,
        (false, Ok(Some(pinger))) => Some(websub::ping_now(&pinger, &topics)),
        (false, Err(e)) => Some(Err(std::io::Error::other(e))),
    };
    let hub = hub.map(|r| {
        r.unwrap_or_else(|e| PingReport {
            sent: 0,
            failed: topics.iter().map(|t| (t.clone(), e.to_string())).collect(),
        })
    });
    Ok(BuildOutcome { sync, report, scope, hub })
}

/// Render → Publish: brings `out` level with the store, rendering only what changed since the
/// state `out` records. `metas` are every feed's definitions, in slug order. Also returns the
/// URLs of the feed documents whose bytes it changed (the WebSub topics to tell the hub of).
pub fn publish(
    config: &Config,
    store: &dyn Store,
    metas: &[FeedMeta],
    out: &Path,
) -> Result<(BuildReport, Scope, Vec<Url>), PipelineError> {
    let head = store.head()?;
    let state = state_line(config, &head);
    // The common cron case, without even taking the folder's lock.
    if std::fs::read_to_string(out.join(crate::publish::build::STATE)).is_ok_and(|s| s == state) {
        let files = crate::publish::build::site_files(out);
        return Ok((BuildReport { files, ..BuildReport::default() }, Scope::Nothing, Vec::new()));
    }
    let mut writer = SiteWriter::open(out, config.compress)?;
    let since = writer.state().and_then(|s| built_seq(&s, &state, &head));
    if since.is_none() {
        // A full build killed part-way must not leave a state a later build could match again
        // (settings changed back, the old store put back): that build would trust files this
        // one had half rewritten.
        writer.forget_state()?;
    }
    let site = site_meta(config);
    let changes = store.feed_changes()?;
    let mut lines = Vec::with_capacity(metas.len());
    let mut paths = BTreeSet::new();
    let mut topics = Vec::new();
    // Feeds nothing changed in: their files stay as the last manifest lists them.
    let mut clean = HashSet::new();
    let (mut feeds, mut pages) = (0, 0);
    for meta in metas {
        let slug = &meta.slug;
        let change = changes.get(slug);
        let (changed, meta_changed) = change.map_or((Seq::MAX, Seq::MAX), |c| (c.changed, c.meta_changed));
        let all_pages = since.is_none_or(|s| meta_changed > s);
        if !all_pages && since.is_some_and(|s| changed <= s) {
            let dates = store.feed_dates(slug, meta.limit)?;
            lines.push(IndexLine::from_dates(&site, meta, dates.newest_updated, &dates.published));
            clean.insert(slug.as_str());
            continue;
        }
        let dirty: Option<HashSet<ItemId>> = match since {
            Some(s) if !all_pages => Some(store.item_ids(slug, Some(s))?.into_iter().collect()),
            _ => None,
        };
        let items = store.items(slug, None)?;
        // The feed's files are those of the items just read (a poll may commit between two
        // reads; an item it added after `dirty` was read is rendered by the next build).
        let ids: Vec<ItemId> = items.iter().map(|i| i.id.clone()).collect();
        paths.extend(feed_paths(slug.as_str(), &ids));
        let select = |i: &crate::model::Item| dirty.as_ref().is_none_or(|d| d.contains(&i.id));
        // Written part by part as rendered: a build holds one part's bytes, not a feed's.
        let line = render::render_feed_parts(&site, meta, &items, &select, &mut |outputs| {
            // Archive pages are rendered whole with their feed (the writer leaves those whose
            // bytes did not change), so they are listed from what was rendered.
            paths.extend(outputs.iter().filter(|o| o.kind != OutputKind::ItemPage).map(|o| o.path.clone()));
            pages += outputs.iter().filter(|o| o.kind == OutputKind::ItemPage).count();
            if site.hub.is_some() {
                topics.extend(changed_topics(out, &site, &outputs));
            }
            writer.write(&outputs).map_err(PipelineError::from)
        })?;
        feeds += 1;
        lines.push(line);
    }
    let index = render::render_index(&site, &lines);
    paths.insert(index.path.clone());
    writer.write(std::slice::from_ref(&index))?;
    let keep = |p: &str| p.split_once('/').is_some_and(|(slug, _)| clean.contains(slug));
    let report = writer.finish(paths, &keep, Some(&state))?;
    let scope = if since.is_none() { Scope::Full } else { Scope::Changed { feeds, pages } };
    Ok((report, scope, topics))
}

/// The URLs of the subscription documents among `outputs` whose bytes differ from the files
/// under `out`.
fn changed_topics(out: &Path, site: &SiteMeta, outputs: &[Output]) -> Vec<Url> {
    let topic = |o: &&Output| o.kind.is_topic(o.archived);
    let changed = |o: &&Output| std::fs::read(out.join(&o.path)).map_or(true, |on_disk| on_disk != o.bytes);
    outputs.iter().filter(topic).filter(changed).filter_map(|o| site.base_url.join(&o.path).ok()).collect()
}

/// Sync, then render the whole site in memory (what `serve` holds).
pub fn sync_and_render(config: &Config, store: &mut dyn Store) -> Result<(SyncReport, Vec<Output>), PipelineError> {
    let (sync, metas) = sync(config, store)?;
    let items = metas.iter().map(|m| store.items(&m.slug, None)).collect::<Result<Vec<_>, _>>()?;
    let views: Vec<FeedView> = metas.iter().zip(&items).map(|(meta, items)| FeedView { meta, items }).collect();
    Ok((sync, render::render_site(&site_meta(config), &views)?))
}

/// The site-wide settings the renderers take from the config.
pub(super) fn site_meta(config: &Config) -> SiteMeta {
    SiteMeta {
        base_url: config.base_url.clone(),
        title: config.title.clone(),
        language: config.language.clone(),
        ttl: config.ttl,
        hub: config.hub.as_ref().map(|h| h.url().clone()),
    }
}

/// Every primary file of a feed: its four documents and a page per item.
fn feed_paths<'a>(slug: &'a str, ids: &'a [ItemId]) -> impl Iterator<Item = String> + 'a {
    [Urls::rss_path(slug), Urls::atom_path(slug), Urls::json_path(slug), Urls::feed_page_path(slug)]
        .into_iter()
        .chain(ids.iter().map(move |id| Urls::item_path(slug, id.as_str())))
}

/// What a folder built from `head` with `config` records. Anything that changes bytes without
/// a change in the store is in it: this feedpub's version and the settings renderers and
/// compression read.
fn state_line(config: &Config, head: &Head) -> String {
    // The hub is in every subscription document (and a site without one keeps the state line
    // it had before hubs were a setting).
    let hub = config.hub.as_ref().map_or(String::new(), |h| format!("|{}", h.url()));
    let settings = format!(
        "{}|{:?}|{:?}|{:?}|{:?}{hub}",
        config.base_url, config.title, config.language, config.ttl, config.compress
    );
    let digest = crate::model::digest::hex(&Sha256::digest(settings.as_bytes()));
    let version = format!("{}+render{}", env!("CARGO_PKG_VERSION"), render::EDITION);
    format!("feedpub {version}\nstore {}\nseq {}\nsettings {digest}\n", head.store_id, head.seq)
}

/// The change the folder was built up to, if its state is one `state` can continue from: the
/// same feedpub, store and settings, and not ahead of the store.
fn built_seq(built: &str, state: &str, head: &Head) -> Option<Seq> {
    let field = |text: &str, key: &str| {
        text.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' '))).map(str::to_owned)
    };
    let same =
        ["feedpub", "store", "settings"].iter().all(|k| field(built, k).is_some_and(|v| Some(v) == field(state, k)));
    let seq: Seq = field(built, "seq")?.parse().ok()?;
    (same && seq <= head.seq).then_some(seq)
}
