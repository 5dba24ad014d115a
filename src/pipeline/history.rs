//! A feed's page and its archive pages (RFC 5005), from the store on demand: each planned
//! from the feed's dates and read with them in one snapshot, so a page holds exactly the
//! items its plan says whatever a poll commits meanwhile.

use std::ops::Range;

use chrono::{DateTime, Utc};

use super::PipelineError;
use crate::model::FeedMeta;
use crate::render::archive::{Archive, PageKey, Place};
use crate::render::{self, Output, OutputKind, SiteMeta};
use crate::store::Store;

/// Which page of a feed's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// The feed's HTML page: its newest items and links to every archive page.
    FeedPage,
    /// One document of an archive page.
    Archive(PageKey, OutputKind),
}

/// Renders `doc` of `meta`'s feed from `store`, as `build` renders it (`ttl_minutes`: the
/// feed's); `None` when the feed has no such archive page.
pub fn render_page(
    store: &dyn Store,
    site: &SiteMeta,
    meta: &FeedMeta,
    ttl_minutes: u32,
    doc: Doc,
) -> Result<Option<Output>, PipelineError> {
    // What the plan found, as the snapshot's dates say.
    enum Found {
        Feed(Vec<PageKey>),
        Page(Place),
    }
    let mut found = None;
    let mut pick = |published: &[DateTime<Utc>]| -> Range<usize> {
        let plan = Archive::plan(published, meta.limit);
        match doc {
            Doc::FeedPage => {
                found = Some(Found::Feed(plan.pages().iter().map(|p| p.key).collect()));
                0..published.len().min(meta.limit)
            }
            Doc::Archive(key, _) => plan.find(key).map_or(0..0, |(page, place)| {
                found = Some(Found::Page(place));
                page.start..page.end
            }),
        }
    };
    let (_, items) = store.history(&meta.slug, &mut pick)?;
    Ok(match (found, doc) {
        (Some(Found::Feed(keys)), _) => Some(render::render_feed_page(site, meta, &items, &keys)?),
        (Some(Found::Page(place)), Doc::Archive(_, kind)) => {
            Some(render::render_archive_document(site, meta, &items, place, ttl_minutes, kind)?)
        }
        _ => None,
    })
}
