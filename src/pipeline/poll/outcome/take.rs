//! What one fetched document brings: the items read (the rest left unread as stored), which of
//! them are kept, and why the others are not.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};

use crate::model::{ItemId, UpstreamArticle, UpstreamSource};
use crate::source::upstream::{self, ReadOptions, Reading, UpstreamFeed, UpstreamItem};
use crate::store::KnownItem;

/// Items of a document that were not kept, by reason: none is dropped without being counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NotKept {
    /// Nothing to publish and nothing to know it by: no title, content, link, id or date.
    pub empty: usize,
    /// The same id as an item before it in the document (the first one is kept).
    pub repeated_id: usize,
    /// Past the source's `limit` of items taken per poll.
    pub past_limit: usize,
    /// Where the scan saw an item and the parser read none (an `<item>` outside `<channel>`).
    pub unparsed: usize,
}

impl NotKept {
    /// How many, all reasons together.
    pub fn total(&self) -> usize {
        self.empty + self.repeated_id + self.past_limit + self.unparsed
    }

    /// Each reason with its count, as `/metrics` labels them.
    pub fn by_reason(&self) -> [(&'static str, usize); 4] {
        [
            ("empty", self.empty),
            ("repeated_id", self.repeated_id),
            ("past_limit", self.past_limit),
            ("unparsed", self.unparsed),
        ]
    }
}

impl std::ops::AddAssign for NotKept {
    fn add_assign(&mut self, other: Self) {
        self.empty += other.empty;
        self.repeated_id += other.repeated_id;
        self.past_limit += other.past_limit;
        self.unparsed += other.unparsed;
    }
}

impl fmt::Display for NotKept {
    /// `3 not kept (1 empty, 2 past the limit)`; nothing when all were kept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reasons: Vec<String> = [
            (self.empty, "empty (no title, content, link, id or date)"),
            (self.repeated_id, "repeating an earlier item's id"),
            (self.past_limit, "past the source's limit"),
            (self.unparsed, "where the parser reads no item"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
        if reasons.is_empty() { Ok(()) } else { write!(f, "{} not kept ({})", self.total(), reasons.join(", ")) }
    }
}

/// What one document brings: the items read and imported, those left unread as stored, and
/// the count of those not kept.
pub(in crate::pipeline::poll) struct Taken {
    pub feed: UpstreamFeed,
    pub articles: Vec<UpstreamArticle>,
    pub unchanged: Vec<ItemId>,
    /// The dates of the document's items that have one, read or not: the source's cadence.
    pub published: Vec<DateTime<Utc>>,
    pub reading: Reading,
    pub not_kept: NotKept,
}

/// Reads `bytes` (fetched from `url` for `src`) without the items `known` by their raw hash,
/// and imports what is kept. A repeated id is one item: the first in the document wins, read or
/// left unread.
pub(in crate::pipeline::poll) fn take(
    bytes: &[u8],
    charset: Option<&str>,
    url: &url::Url,
    src: &UpstreamSource,
    known: &HashMap<String, KnownItem>,
) -> Result<Taken, upstream::ParseError> {
    let is_known = |hash: &str| known.contains_key(hash);
    let options = ReadOptions { known: &is_known, limit: Some(src.item_limit()) };
    let mut read = upstream::read(bytes, charset, url, &options)?;
    let mut not_kept = NotKept { past_limit: read.over_limit, unparsed: read.unparsed, ..NotKept::default() };
    // Every item of the document in its order: read ones by index, unread ones as stored.
    let mut order: Vec<(usize, Result<usize, &KnownItem>)> =
        read.positions.iter().enumerate().map(|(k, p)| (*p, Ok(k))).collect();
    order.extend(read.unchanged.iter().filter_map(|(p, h)| known.get(h).map(|k| (*p, Err(k)))));
    order.sort_by_key(|(p, _)| *p);
    let (mut seen, mut keep) = (HashSet::new(), vec![false; read.feed.items.len()]);
    // The id of each read item that is kept, derived once here (import derives it again).
    let mut ids: Vec<Option<ItemId>> = vec![None; read.feed.items.len()];
    let (mut unchanged, mut published) = (Vec::new(), Vec::new());
    for (_, entry) in order {
        match entry {
            Ok(k) => {
                let item = &read.feed.items[k];
                if is_empty(item) {
                    not_kept.empty += 1;
                    continue;
                }
                let id = upstream::import::item_id(&src.url, &item.key);
                if seen.insert(id.clone()) {
                    (keep[k], ids[k]) = (true, Some(id));
                    published.extend(item.published);
                } else {
                    not_kept.repeated_id += 1;
                }
            }
            Err(stored) if seen.insert(stored.id.clone()) => {
                unchanged.push(stored.id.clone());
                published.extend(stored.published);
            }
            Err(_) => not_kept.repeated_id += 1,
        }
    }
    // The kept items' raw hashes, by the ids `seen` took for them.
    let mut raw: HashMap<ItemId, String> =
        ids.into_iter().zip(std::mem::take(&mut read.hashes)).filter_map(|(id, hash)| Some((id?, hash?))).collect();
    let mut flags = keep.iter();
    read.feed.items.retain(|_| *flags.next().expect("one flag per item"));
    let mut articles = upstream::import::import(&src.url, url, &read.feed, None);
    for article in &mut articles {
        article.raw_hash = raw.remove(&article.id);
    }
    Ok(Taken { feed: read.feed, articles, unchanged, published, reading: read.reading, not_kept })
}

/// Whether an item has nothing to publish and nothing to know it by: no title, text, link, id
/// or date (an entry that carries only a category or an author).
fn is_empty(item: &UpstreamItem) -> bool {
    item.title.is_empty()
        && item.content_html.is_empty()
        && item.link.is_none()
        && !item.key.starts_with("id:")
        && item.published.is_none()
        && item.updated.is_none()
}
