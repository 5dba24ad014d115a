//! What the store keeps about upstream sources: their poll state, and the items they bring.

use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use crate::model::{ItemId, UpstreamArticle};

/// The poll state of one source (a feed's `[[source]]`, by its configured URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// Where to fetch it now (a permanent redirect moves it; a temporary one does not).
    pub current_url: Url,
    /// `ETag` of the last document, sent back verbatim.
    pub etag: Option<String>,
    /// `Last-Modified` of the last document, sent back verbatim.
    pub last_modified: Option<String>,
    /// When it is due again.
    pub next_poll: DateTime<Utc>,
    /// Failures in a row (0 after a success).
    pub failures: u32,
    /// The last outcome, for reports: `200`, `304`, `HTTP 503`, `error`, `gone`.
    pub last_status: Option<String>,
    /// The last error, kept until the next success.
    pub last_error: Option<String>,
    /// When it was last polled.
    pub last_polled: Option<DateTime<Utc>>,
    /// `410 Gone`: never polled again.
    pub retired: bool,
    /// How far the walk of its history has come (only sources with `backfill = true` walk).
    pub backfill: Backfill,
}

/// How far the walk of an upstream's history ([`crate::model::UpstreamSource::backfill`]) has
/// come.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backfill {
    /// Not begun: the next good poll begins it, from its document's `prev-archive` link.
    #[default]
    NotBegun,
    /// Stopped before `page` (it failed, or the round's share of the walk was used up), with
    /// `read` pages read so far: the next good poll goes on from it.
    At {
        /// The next page to read.
        page: Url,
        /// Pages read before it, in every round of this walk.
        read: u32,
    },
    /// Walked to the oldest page, to a loop, or to `keep` items: never again.
    Done,
}

impl Backfill {
    /// As the store keeps it: `None`, `<read> <url>`, or `done`.
    pub(crate) fn stored(&self) -> Option<String> {
        match self {
            Backfill::NotBegun => None,
            Backfill::At { page, read } => Some(format!("{read} {page}")),
            Backfill::Done => Some("done".to_owned()),
        }
    }

    /// What [`Backfill::stored`] wrote; anything else (a URL that no longer parses) starts
    /// again from the document's link.
    pub(crate) fn from_stored(text: Option<&str>) -> Self {
        let at = |t: &str| {
            let (read, page) = t.split_once(' ')?;
            Some(Backfill::At { page: Url::parse(page).ok()?, read: read.parse().ok()? })
        };
        match text {
            Some("done") => Backfill::Done,
            Some(t) => at(t).unwrap_or(Backfill::NotBegun),
            None => Backfill::NotBegun,
        }
    }
}

impl SourceState {
    /// The state of a source never polled: due now, at its configured URL.
    pub fn new(url: &Url, now: DateTime<Utc>) -> Self {
        Self {
            current_url: url.clone(),
            etag: None,
            last_modified: None,
            next_poll: now,
            failures: 0,
            last_status: None,
            last_error: None,
            last_polled: None,
            retired: false,
            backfill: Backfill::NotBegun,
        }
    }
}

/// What claiming a source for a poll found ([`super::Store::claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The lease is this store's: poll the source from this state, then record the poll.
    Taken(SourceState),
    /// Its next poll time has not come.
    NotDue(SourceState),
    /// It answered 410 Gone before: never polled again.
    Retired(SourceState),
    /// Another replica holds its lease (it is polling it now).
    Elsewhere,
}

/// What one poll brings to the store.
#[derive(Debug, Clone, Copy)]
pub struct Polled<'a> {
    /// The items it read: new, changed, or not told apart by their raw text.
    pub items: &'a [UpstreamArticle],
    /// The items it left unread, their raw text stored as it is.
    pub unchanged: &'a [ItemId],
}

/// An upstream item stored with the hash of its raw text ([`super::Store::raw_hashes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownItem {
    /// Its id.
    pub id: ItemId,
    /// Its date as the upstream gave it, for the cadence; `None` for an undated item (stored
    /// at its first-seen time, which says nothing of how often the source publishes).
    pub published: Option<DateTime<Utc>>,
}

/// What one poll changed in the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    /// Items seen for the first time.
    pub added: usize,
    /// Items whose content changed.
    pub updated: usize,
    /// Items as they were.
    pub unchanged: usize,
    /// Items that left the store: past the source's `keep`, oldest first seen first.
    pub removed: usize,
    /// Nothing was written: this process's lease ran out before it recorded the poll, and
    /// another replica claimed the source (its poll is the one that counts).
    pub lease_lost: bool,
}

impl std::ops::AddAssign for PollReport {
    /// Counts `other`'s items too (a walk's pages together); `lease_lost` if either lost it.
    fn add_assign(&mut self, other: Self) {
        self.added += other.added;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.removed += other.removed;
        self.lease_lost |= other.lease_lost;
    }
}

/// How far ahead an upstream date may lie and still be believed: a day covers every time zone
/// and a sloppy clock; past it, the date is a claim to stay on top of the feed.
pub const FUTURE_SLACK: TimeDelta = TimeDelta::days(1);

/// Whether an upstream date `t` is believable at `reference` (no later than a day after it).
pub(crate) fn believable(t: DateTime<Utc>, reference: DateTime<Utc>) -> bool {
    reference.checked_add_signed(FUTURE_SLACK).is_none_or(|horizon| t <= horizon)
}

/// The publication time of an upstream item first seen at `first_seen` that claims `claimed`,
/// and the claim when it is not believed. Undated, or dated more than [`FUTURE_SLACK`] after
/// `now`: published when first seen. A claim once refused (`refused`) stays refused while the
/// upstream repeats it, so the item does not jump to the top when that date comes closer.
pub(crate) fn believed(
    claimed: Option<DateTime<Utc>>,
    first_seen: DateTime<Utc>,
    refused: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    match claimed {
        Some(t) if refused != Some(t) && believable(t, now) => (t, None),
        Some(t) => (first_seen, Some(t)),
        None => (first_seen, None),
    }
}

/// The ids (of one source's items `ranked` newest first by first-seen order) past `keep`: the
/// items of this poll (`batch`, never more than `keep`) always stay, so an item the upstream
/// still lists is never removed only to come back as new at the next poll.
pub(crate) fn past_keep<'a>(ranked: &'a [String], batch: &[&str], keep: usize) -> Vec<&'a str> {
    let batch: std::collections::HashSet<&str> = batch.iter().copied().collect();
    let listed = |id: &str| batch.contains(id);
    let mut room = keep.saturating_sub(ranked.iter().filter(|id| listed(id)).count());
    let mut gone = Vec::new();
    for id in ranked.iter().filter(|id| !listed(id)) {
        if room > 0 {
            room -= 1;
        } else {
            gone.push(id.as_str());
        }
    }
    gone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_items_of_this_poll_always_stay() {
        let ranked: Vec<String> = ["d", "c", "b", "a"].map(String::from).into();
        assert_eq!(past_keep(&ranked, &["d", "a"], 3), ["b"], "a is listed again: b, ranked higher, goes");
        assert_eq!(past_keep(&ranked, &[], 3), ["a"]);
        assert!(past_keep(&ranked, &["a"], 4).is_empty());
        assert_eq!(past_keep(&ranked, &["d", "c", "b"], 3), ["a"]);
    }

    #[test]
    fn a_refused_claim_stays_refused() {
        let day = |d: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, d, 0, 0, 0).unwrap();
        // Past dates, and up to a day ahead of now, are believed, whenever the item was first seen.
        assert_eq!(believed(Some(day(5)), day(1), None, day(20)), (day(5), None));
        assert_eq!(believed(Some(day(21)), day(20), None, day(20)), (day(21), None));
        assert_eq!(believed(Some(day(23)), day(20), None, day(20)), (day(20), Some(day(23))));
        // Later, the same claim is no longer far ahead, but stays refused; a new claim is judged anew.
        assert_eq!(believed(Some(day(23)), day(20), Some(day(23)), day(22)), (day(20), Some(day(23))));
        assert_eq!(believed(Some(day(21)), day(20), Some(day(23)), day(22)), (day(21), None));
        assert_eq!(believed(None, day(20), None, day(22)), (day(20), None));
    }
}
