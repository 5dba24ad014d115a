//! A feed's history in pages (RFC 5005 archived feeds): which items each archive page holds.
//!
//! A page is a calendar month (UTC) of `published`, cut into parts of the feed's `limit` items
//! (at most [`MAX_PAGE_ITEMS`]) counted from the month's oldest item. Every item is in exactly
//! one page, except the newest month's last part while it is not full: those items are the
//! newest of all, so the subscription documents (the newest `limit`) carry them, and they
//! become a page when the part fills up or a later month begins. A page's items therefore never
//! change as new articles arrive (RFC 5005: an archive document's entries should not change, and
//! a consumer may stop walking at a page it has read); an item dated into a closed page (a
//! backdated article, an upstream's late item) or removed from one still changes it. The newest
//! pages also hold items the subscription documents still carry; a consumer keeps one of each
//! (RFC 5005 section 4.2).
//!
//! Why months and not a count from the oldest item: the store drops a source's oldest items
//! past its `keep`, and takes items dated in the past (a backdated article, an upstream's late
//! item). With a count, either shifts every later page; with months, either changes the pages
//! of that month alone. Nor does a page depend on which items the subscription documents
//! carry, so removing an article from those never moves items between pages.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};

/// The namespace of RFC 5005's elements.
pub(super) const FH: &str = "http://purl.org/syndication/history/1.0";

/// Marks an archive document with `<fh:archive/>`, on its own line (`line`: the line break
/// and indentation to put before it), ahead of the first `before`. The serialisers would write
/// it neither empty nor, in Atom, in RFC 4287's order. Escaped text holds no `<`, so `before`,
/// an element's start, is never found in text.
pub(super) fn mark(doc: Vec<u8>, before: &str, line: &str) -> Vec<u8> {
    let Some(i) = memchr::memmem::find(&doc, before.as_bytes()) else { return doc };
    [&doc[..i], line.as_bytes(), b"<fh:archive/>", &doc[i..]].concat()
}

/// Most items an archive page holds, whatever the feed's `limit`: a busier month is cut into
/// parts.
pub const MAX_PAGE_ITEMS: usize = 100;

/// Items an archive page of a feed with this `limit` holds: as many as its subscription
/// documents (so the newest month's unfinished part fits in them), within 1 to
/// [`MAX_PAGE_ITEMS`].
pub fn page_items(limit: usize) -> usize {
    limit.clamp(1, MAX_PAGE_ITEMS)
}

/// Names an archive page: its month, and its part when the month has more than one
/// (`2026-11`, `2026-11-2`). Ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageKey {
    year: i32,
    month: u32,
    /// 1 for the month's oldest [`page_items`] items.
    part: u32,
}

impl PageKey {
    /// Reads a key as [`PageKey`]'s `Display` writes it, and nothing else (so each page has one
    /// URL): four-digit year, two-digit month, then `-N` for parts from 2, without zeros ahead.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b.get(r.clone()).filter(|d| d.iter().all(u8::is_ascii_digit));
        digits(0..4)?;
        digits(5..7)?;
        if b.get(4) != Some(&b'-') {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u32 = s[5..7].parse().ok()?;
        let part = match &s[7..] {
            "" => 1,
            rest => {
                let n = rest.strip_prefix('-')?;
                // Nine digits fit a part number (a month of a billion items at limit 1 would
                // be the first to need more), and "1" is written without it.
                if n.is_empty() || n.len() > 9 || n.starts_with('0') || !n.bytes().all(|d| d.is_ascii_digit()) {
                    return None;
                }
                n.parse().ok().filter(|p| *p >= 2)?
            }
        };
        ((1..=12).contains(&month) && year >= 1000).then_some(Self { year, month, part })
    }

    fn month_of(t: DateTime<Utc>) -> (i32, u32) {
        (t.year(), t.month())
    }
}

impl fmt::Display for PageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)?;
        if self.part > 1 {
            write!(f, "-{}", self.part)?;
        }
        Ok(())
    }
}

/// One archive page: its key and the items it holds, as a range of a feed's items newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Its name.
    pub key: PageKey,
    /// First item (newest first, over all the feed's items).
    pub start: usize,
    /// One past its last (oldest) item.
    pub end: usize,
}

impl Page {
    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether it holds none (never, for a page of a plan).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Where a document sits in a feed's history, and so what it links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The subscription documents readers poll: the newest `limit` items.
    Current {
        /// The newest archive page, if the feed has older items.
        older: Option<PageKey>,
    },
    /// One archive page.
    Archive {
        /// This page.
        page: PageKey,
        /// The page before it (older), if any.
        older: Option<PageKey>,
        /// The page after it (newer); `None` for the newest page, which the subscription
        /// documents follow.
        newer: Option<PageKey>,
    },
}

impl Place {
    /// The archive page this is, if it is one.
    pub fn page(self) -> Option<PageKey> {
        match self {
            Place::Current { .. } => None,
            Place::Archive { page, .. } => Some(page),
        }
    }

    /// The older document it links to.
    pub fn older(self) -> Option<PageKey> {
        match self {
            Place::Current { older } | Place::Archive { older, .. } => older,
        }
    }

    /// The archive page after it (newer), if it is an archive page with one.
    pub fn newer(self) -> Option<PageKey> {
        match self {
            Place::Current { .. } => None,
            Place::Archive { newer, .. } => newer,
        }
    }
}

/// Whether a file is a page of a feed's archive: read once by a reader walking the history,
/// not polled, so it is compressed quickly and not tracked as a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Archived {
    /// Not an archive page: a feed's documents and page, the index, an item's page.
    #[default]
    No,
    /// The newest archive page: it gains a `next-archive` link when a page follows.
    Newest,
    /// A page with a newer one after it: it changes only with its own items, so it may be
    /// cached for good.
    Closed,
}

impl Place {
    /// What a document at this place is.
    pub fn archived(self) -> Archived {
        match self {
            Place::Current { .. } => Archived::No,
            Place::Archive { newer: None, .. } => Archived::Newest,
            Place::Archive { newer: Some(_), .. } => Archived::Closed,
        }
    }
}

/// A feed's archive pages, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    pages: Vec<Page>,
}

impl Archive {
    /// The pages of a feed whose items were `published` at these times, newest first (the
    /// store's order), with this `limit`.
    pub fn plan(published: &[DateTime<Utc>], limit: usize) -> Self {
        let size = page_items(limit);
        let mut pages = Vec::new();
        let mut start = 0;
        while start < published.len() {
            let (year, month) = PageKey::month_of(published[start]);
            let end = start + published[start..].iter().take_while(|t| PageKey::month_of(**t) == (year, month)).count();
            // Parts count from the month's oldest item, so those already written stay as they
            // are while the month's newest part fills up.
            let parts = (end - start).div_ceil(size);
            for part in (1..=parts).rev() {
                let last = end - (part - 1) * size;
                let first = last.saturating_sub(size).max(start);
                // The newest month's unfinished part is no page yet: its items are the newest,
                // in the subscription documents, and it would change with every article.
                if start == 0 && part == parts && last - first < size {
                    continue;
                }
                let part = u32::try_from(part).unwrap_or(u32::MAX);
                pages.push(Page { key: PageKey { year, month, part }, start: first, end: last });
            }
            start = end;
        }
        Self { pages }
    }

    /// The pages, newest first.
    pub fn pages(&self) -> &[Page] {
        &self.pages
    }

    /// Where the subscription documents sit.
    pub fn current(&self) -> Place {
        Place::Current { older: self.pages.first().map(|p| p.key) }
    }

    /// The page named `key`, and where it sits.
    pub fn find(&self, key: PageKey) -> Option<(Page, Place)> {
        let i = self.pages.iter().position(|p| p.key == key)?;
        Some((self.pages[i], self.place(i)))
    }

    /// Where the `i`th page (newest first) sits.
    pub fn place(&self, i: usize) -> Place {
        Place::Archive {
            page: self.pages[i].key,
            older: self.pages.get(i + 1).map(|p| p.key),
            newer: i.checked_sub(1).map(|n| self.pages[n].key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn keys(a: &Archive) -> Vec<String> {
        a.pages().iter().map(|p| p.key.to_string()).collect()
    }

    #[test]
    fn keys_round_trip_and_have_one_spelling() {
        for s in ["2026-11", "2026-01-2", "1999-12-417", "2026-11-123456789"] {
            assert_eq!(PageKey::parse(s).unwrap().to_string(), s);
        }
        for s in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026-11-1",
            "2026-11-02",
            "2026-11-",
            "2026_11",
            "2026-11-x",
            "+026-11",
            "2026-11-2-3",
            "2026-11-9999999999",
        ] {
            assert_eq!(PageKey::parse(s), None, "{s}");
        }
    }

    #[test]
    fn every_item_is_in_one_page_but_the_newest_months_unfinished_part() {
        // 3 in November, 250 in October, 5 in August: newest first; pages of 100.
        let mut published = vec![day(2026, 11, 20); 3];
        published.extend((0..250).map(|i| day(2026, 10, 30 - (i / 10))));
        published.extend(vec![day(2026, 8, 1); 5]);
        let a = Archive::plan(&published, 100);
        // November's 3 are no page yet; October's parts from its oldest: 100, 100, then 50.
        assert_eq!(keys(&a), ["2026-10-3", "2026-10-2", "2026-10", "2026-08"]);
        let covered: Vec<usize> = a.pages().iter().flat_map(|p| p.start..p.end).collect();
        assert_eq!(covered, (3..published.len()).collect::<Vec<_>>());
        assert_eq!(a.pages()[0].len(), 50);
        assert_eq!(a.pages()[2].len(), 100);
        assert_eq!(a.current(), Place::Current { older: PageKey::parse("2026-10-3") });
        let (_, oldest) = a.find(PageKey::parse("2026-08").unwrap()).unwrap();
        assert_eq!(oldest.older(), None);
        assert_eq!(oldest.archived(), Archived::Closed);
        assert_eq!(a.place(0).archived(), Archived::Newest, "it gains a next-archive link when a page follows");
    }

    #[test]
    fn pages_hold_the_feeds_limit_and_the_unfinished_part_fits_in_the_feed() {
        for limit in [1, 2, 3, 7, 50, 100, 250] {
            for n in [0, 1, 5, 99, 100, 101, 250] {
                let mut published: Vec<_> = (0..n).map(|i| day(2026, 5, 28 - (i % 28) as u32)).collect();
                published.sort_by(|a, b| b.cmp(a));
                let a = Archive::plan(&published, limit);
                let size = page_items(limit);
                assert!(
                    a.pages().iter().all(|p| p.len() == size),
                    "limit {limit}, {n} items: one month, full parts only"
                );
                // What no page holds is the newest, and fewer than the feed carries.
                let first = a.pages().first().map_or(n, |p| p.start);
                assert!(first < size && first <= limit, "limit {limit}, {n} items: {first} outside every page");
            }
        }
    }

    #[test]
    fn a_page_keeps_its_items_as_articles_arrive() {
        // October 0..150, September 150..300, August 300..400, newest first; pages of 50.
        let mut published: Vec<_> =
            (0..400).map(|i| day(2026, 10 - (i / 150) as u32, 28 - (i % 150) as u32 / 6)).collect();
        let before = Archive::plan(&published, 50);
        assert_eq!(keys(&before)[..4], ["2026-10-3", "2026-10-2", "2026-10", "2026-09-3"]);
        for n in 1..=60 {
            published.insert(0, day(2026, 10, 29));
            let after = Archive::plan(&published, 50);
            // Every page holds the same items (one index further down per new item), and the
            // new items make pages of their own: a 4th October part once 50 have come.
            for p in before.pages() {
                let (q, _) = after.find(p.key).unwrap();
                assert_eq!((q.start, q.end), (p.start + n, p.end + n), "{} after {n}", p.key);
            }
            assert_eq!(after.pages().len(), before.pages().len() + usize::from(n >= 50), "after {n}");
        }
        // A new month closes October's unfinished part: it becomes a page as it is.
        let mut published: Vec<_> = (0..120).map(|i| day(2026, 10, 28 - (i / 5) as u32)).collect();
        let before = Archive::plan(&published, 50);
        assert_eq!(keys(&before), ["2026-10-2", "2026-10"]);
        published.insert(0, day(2026, 11, 1));
        assert_eq!(keys(&Archive::plan(&published, 50)), ["2026-10-3", "2026-10-2", "2026-10"]);
    }

    #[test]
    fn no_page_for_a_first_unfinished_month() {
        assert!(Archive::plan(&[day(2026, 1, 1); 4], 5).pages().is_empty());
        assert_eq!(Archive::plan(&[day(2026, 1, 1); 5], 5).pages().len(), 1);
        assert!(Archive::plan(&[], 5).pages().is_empty());
        assert_eq!(Archive::plan(&[], 5).current(), Place::Current { older: None });
    }
}
