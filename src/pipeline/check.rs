//! `check`: read and render everything in memory, without a store; write nothing.

use super::PipelineError;
use crate::config::Config;
use crate::model::{FeedMeta, Item};
use crate::render::{self, FeedView, Output};
use crate::source::{self, LocalFeed};

/// Reads and renders everything as `build` would, without a store or any writes.
pub fn check(config: &Config) -> Result<(Vec<LocalFeed>, Vec<Output>), PipelineError> {
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
    let views: Vec<FeedView> = metas.iter().zip(&items).map(|(meta, items)| FeedView { meta, items }).collect();
    let outputs = render::render_site(&super::build::site_meta(config), &views)?;
    Ok((feeds, outputs))
}
