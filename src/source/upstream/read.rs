//! READ: an upstream document's raw bytes → its items, the way a forgiving reader reads them.
//!
//! 1. [`decode`] the bytes to UTF-8 (BOM, HTTP charset, XML declaration, detection).
//! 2. [`split`] them into raw items — the strict well-formedness check too. A document that
//!    fails it is [`repair`]ed and split again; the poll line says what was mended.
//! 3. [`legacy`] formats (RSS 0.90, Atom 0.3) are rewritten as the versions they became.
//! 4. Items already stored unchanged (their raw hash is known) and items past the source's
//!    limit are cut out of the text before it is parsed, so a re-poll that brings one new item
//!    among a thousand parses, sanitises and stores one.
//! 5. `rss2` reads what is left when it is RSS 2.0 of the common shape, and
//!    [`parse`](mod@super::parse) with feed-rs when it is not.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::Encoding;
use rayon::prelude::*;
use url::Url;

use super::decode::{self, Basis};
use super::legacy::{self, Legacy};
use super::mend;
use super::parse::{self, ParseError, UpstreamFeed};
use super::repair::{self, Fixes};
use super::rss2;
use super::split::{self, Split};

/// Fewest bytes of items a part reads ([`in_parts`]): less is not worth a thread.
const PART_BYTES: usize = 64 * 1024;

/// Most parts a document is read in, whatever the cores: each repeats the text around the items.
const MAX_PARTS: usize = 8;

/// What reading a document took, for the poll line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The encoding it was read in.
    pub encoding: &'static Encoding,
    /// What decided that.
    pub basis: Basis,
    /// What was repaired, when it was not well-formed.
    pub recovered: Option<Fixes>,
    /// The old format it was written in, when it was.
    pub legacy: Option<Legacy>,
}

impl fmt::Display for Reading {
    /// Only what a reader of the poll line would not assume: `recovered: …`, `read as …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut notes = Vec::new();
        if let Some(fixes) = &self.recovered {
            notes.push(format!("recovered: {fixes}"));
        }
        if let Some(legacy) = self.legacy {
            notes.push(format!("read as {}", legacy_name(legacy)));
        }
        if self.encoding != encoding_rs::UTF_8 || self.basis.surprising() {
            notes.push(format!("read as {} ({})", self.encoding.name(), self.basis));
        }
        f.write_str(&notes.join("; "))
    }
}

fn legacy_name(legacy: Legacy) -> &'static str {
    match legacy {
        Legacy::Rss090 => "RSS 0.90",
        Legacy::Atom03 => "Atom 0.3",
    }
}

/// What a poll already has, and how much it takes.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    /// Whether an item with this raw hash is stored as it is ([`split::RawItem::hash`]).
    pub known: &'a dyn Fn(&str) -> bool,
    /// Items taken from the top of the document; the rest are not read.
    pub limit: Option<usize>,
}

impl Default for ReadOptions<'_> {
    fn default() -> Self {
        ReadOptions { known: &|_| false, limit: None }
    }
}

/// A document read.
#[derive(Debug)]
pub struct Read {
    /// The feed, with only the items that were read (not the known ones).
    pub feed: UpstreamFeed,
    /// The raw hash of each item of `feed.items` (same order), when it could be told.
    pub hashes: Vec<Option<String>>,
    /// Where each item of `feed.items` stands among the document's items (same order): a
    /// repeated id is settled by document order, read or not.
    pub positions: Vec<usize>,
    /// The items left unread because they are stored as they are: position and raw hash.
    pub unchanged: Vec<(usize, String)>,
    /// Items past the limit, not read.
    pub over_limit: usize,
    /// Items the scan found that feed-rs did not read (not an item where it looks for one).
    pub unparsed: usize,
    /// How it was read.
    pub reading: Reading,
}

/// Reads `bytes`, fetched from `url` with `charset` in its `Content-Type`.
pub fn read(bytes: &[u8], charset: Option<&str>, url: &Url, options: &ReadOptions<'_>) -> Result<Read, ParseError> {
    let decoded = decode::decode(bytes, charset);
    let mut reading = Reading { encoding: decoded.encoding, basis: decoded.basis, recovered: None, legacy: None };
    let context = crate::model::redact::bare(url).to_string();
    let mut text = decoded.text;
    let limit = options.limit.unwrap_or(usize::MAX);
    let split = match split::split(&text, &context, limit) {
        Ok(split) => Some(split),
        Err(ill) => {
            let repaired = repair::repair(&text);
            let again = split::split(&repaired.text, &context, limit);
            if !repaired.fixes.is_empty() {
                reading.recovered = Some(repaired.fixes);
                text = Cow::Owned(repaired.text);
            }
            match again {
                Ok(split) => Some(split),
                // Still not well-formed: feed-rs may read it anyway (it is lenient about some
                // things); if it cannot, the error says where the document first went wrong.
                Err(_) => {
                    if let Some((modern, legacy)) = legacy::modernize(&text) {
                        reading.legacy = Some(legacy);
                        text = Cow::Owned(modern);
                    }
                    let feed = feed_mended(&text, url).map_err(|e| ParseError {
                        url: url.clone(),
                        message: format!("not well-formed XML ({ill}), and not mended by repair: {}", e.message),
                    })?;
                    return Ok(whole(feed, options, reading));
                }
            }
        }
    };
    let mut split = split.unwrap_or_default();
    if let Some((modern, legacy)) = legacy::modernize(&text) {
        reading.legacy = Some(legacy);
        split = split::split(&modern, &context, limit).unwrap_or_default();
        text = Cow::Owned(modern);
    }
    read_split(&text, &split, url, options, reading)
}

/// Checks that the RSS 2.0 reader, when it reads `bytes` (decoded and split as [`read`]
/// does), reads it as feed-rs does (for the fuzz targets, on every input they are given).
#[cfg(any(test, feature = "fuzzing"))]
pub fn check_rss2(bytes: &[u8], charset: Option<&str>, url: &Url) {
    let text = decode::decode(bytes, charset).text;
    let Ok(split) = split::split(&text, "check", usize::MAX) else { return };
    let kept: Vec<usize> = (0..split.items.len()).collect();
    if let Some(fast) = rss2::read(&text, &split, &kept, url) {
        let slow = parse::feed(&text, url).expect("feed-rs reads what the RSS 2.0 reader reads");
        assert!(fast == slow, "the RSS 2.0 reader read {fast:#?}\nfeed-rs read {slow:#?}");
    }
}

/// Reads the items of `split` that are neither known nor past the limit.
fn read_split(
    text: &str,
    split: &Split,
    url: &Url,
    options: &ReadOptions<'_>,
    reading: Reading,
) -> Result<Read, ParseError> {
    let known: Vec<bool> = split.items.iter().map(|i| (options.known)(&i.hash)).collect();
    let unchanged: Vec<(usize, String)> =
        split.items.iter().enumerate().filter(|(n, _)| known[*n]).map(|(n, i)| (n, i.hash.clone())).collect();
    let kept: Vec<usize> = (0..split.items.len()).filter(|n| !known[*n]).collect();
    let over_limit = split.past_limit();
    // RSS 2.0 items of the common shape are read item by item; anything else by feed-rs, in
    // parts of the document.
    if let Some(feed) = rss2::read(text, split, &kept, url).or_else(|| in_parts(text, split, &kept, url)) {
        let hashes = kept.iter().map(|n| Some(split.items[*n].hash.clone())).collect();
        return Ok(Read { feed, hashes, positions: kept, unchanged, over_limit, unparsed: 0, reading });
    }
    let cut_out = split.without(text, |n, _| known[n]);
    let reduced = cut_out.as_deref().unwrap_or(text);
    let feed = feed_of(reduced, url, kept.len())?;
    if !split.items.is_empty() && feed.items.len() == kept.len() {
        let hashes = kept.iter().map(|n| Some(split.items[*n].hash.clone())).collect();
        return Ok(Read { feed, hashes, positions: kept, unchanged, over_limit, unparsed: 0, reading });
    }
    // feed-rs saw other items than the scan did (an item where the scan does not look for one):
    // no item can be told by its hash, so the whole document is read, as before hashing; what
    // the scan found and feed-rs did not is counted, not dropped quietly.
    let feed = if cut_out.is_some() { feed_mended(text, url)? } else { feed };
    let mut read = whole(feed, options, reading);
    read.unparsed = split.items.len().saturating_sub(read.feed.items.len());
    Ok(read)
}

/// Reads `kept`, the items of `split` to read, in parts of about the same size on every core:
/// each part is the document with only its items, and the items are those of the parts in
/// order. `None` when the items are too few to be worth it, or when a part does not read as
/// exactly its items (the whole is then read as one, which settles that).
///
/// feed-rs and sanitising are most of a first poll and neither is parallel within a document:
/// on 2 cores this reads 1,000 items (4 MB) in 60 % of the time. A part repeats the text around
/// the items (the channel's own elements), so each reads them as the whole document would.
fn in_parts(text: &str, split: &Split, kept: &[usize], url: &Url) -> Option<UpstreamFeed> {
    let bytes: usize = kept.iter().map(|n| split.items[*n].span.len()).sum();
    let threads = rayon::current_num_threads().min(kept.len()).min(MAX_PARTS).min(bytes / PART_BYTES);
    // Every part copies and parses the text around the items again: split only when that costs
    // no more than the items themselves (a huge channel with a few items is read as one).
    if threads < 2 || split.around_items(text).saturating_mul(threads) > bytes {
        return None;
    }
    // Contiguous runs of `kept`, cut where the bytes so far pass the next share.
    let mut parts: Vec<&[usize]> = Vec::with_capacity(threads);
    let (mut start, mut so_far) = (0, 0);
    for (i, n) in kept.iter().enumerate() {
        so_far += split.items[*n].span.len();
        if so_far * threads >= bytes * (parts.len() + 1) || i + 1 == kept.len() {
            parts.push(&kept[start..=i]);
            start = i + 1;
        }
    }
    let feeds: Vec<Option<UpstreamFeed>> = parts
        .par_iter()
        .map(|part| {
            let mut wanted = vec![false; split.items.len()];
            part.iter().for_each(|n| wanted[*n] = true);
            let doc = split.without(text, |n, _| !wanted[n]).unwrap_or_else(|| text.to_owned());
            feed_of(&doc, url, part.len()).ok().filter(|f| f.items.len() == part.len())
        })
        .collect();
    let mut feeds = feeds.into_iter().collect::<Option<Vec<_>>>()?.into_iter();
    let mut feed = feeds.next()?;
    feeds.for_each(|f| feed.items.extend(f.items));
    Some(feed)
}

/// [`feed_mended`], and mended again when feed-rs reads fewer items than `expected` (the
/// scan's count): it skips some it does not see as items (an RSS 1.0 item without a link,
/// RSS 2.0 in Userland's namespace). Mended, it may see them all.
fn feed_of(text: &str, url: &Url, expected: usize) -> Result<UpstreamFeed, ParseError> {
    let mut feed = feed_mended(text, url)?;
    if feed.items.len() < expected
        && let Some(mended) = mend::mend(text)
        && let Ok(again) = parse::feed(&mended, url)
        && again.items.len() > feed.items.len()
    {
        feed = again;
    }
    Ok(feed)
}

/// feed-rs's reading of `text`; when it refuses, of `text` [`mend`]ed, if that changes it.
fn feed_mended(text: &str, url: &Url) -> Result<UpstreamFeed, ParseError> {
    parse::feed(text, url).or_else(|refused| match mend::mend(text) {
        Some(mended) => parse::feed(&mended, url).map_err(|_| refused),
        None => Err(refused),
    })
}

/// A document read whole, with no raw hashes: the limit applies to what feed-rs found.
fn whole(mut feed: UpstreamFeed, options: &ReadOptions<'_>, reading: Reading) -> Read {
    let limit = options.limit.unwrap_or(usize::MAX);
    let over_limit = feed.items.len().saturating_sub(limit);
    feed.items.truncate(limit);
    let hashes = vec![None; feed.items.len()];
    let positions = (0..feed.items.len()).collect();
    Read { feed, hashes, positions, unchanged: Vec::new(), over_limit, unparsed: 0, reading }
}

#[cfg(test)]
mod tests;
