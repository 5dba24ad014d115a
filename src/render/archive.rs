//! A feed's history in pages (RFC 5005 archived feeds): which items each archive page holds.
//!
//! The subscription documents carry the newest `limit` items; every older item is in exactly
//! one archive page. A page is a calendar month (UTC) of `published`, cut into parts of at most
//! [`PAGE_ITEMS`] counted from the month's oldest item.
//!
//! Why months and not a count from the oldest item: the store drops a source's oldest items
//! past its `keep`, and takes items dated in the past (a backdated article, an upstream's late
//! item). With a count, either shifts every later page, so every "closed" page would change;
//! with months, either changes the page of that month alone. A page other than the newest is
//! closed: its bytes change only when one of its own items is edited, removed or added with a
//! date in its month.

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

/// Most items an archive page holds: a busier month is cut into parts.
pub const PAGE_ITEMS: usize = 100;

/// Names an archive page: its month, and its part when the month has more than one
/// (`2026-11`, `2026-11-2`). Ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageKey {
    year: i32,
    month: u32,
    /// 1 for the month's oldest [`PAGE_ITEMS`] items.
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
                // At most a million parts: the number must fit, and "1" is written without it.
                if n.is_empty() || n.len() > 6 || n.starts_with('0') || !n.bytes().all(|d| d.is_ascii_digit()) {
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

    /// A closed page: an archive page with a newer one after it. Its bytes stay put unless one
    /// of its own items changes, so it may be cached for good.
    pub fn is_closed(self) -> bool {
        matches!(self, Place::Archive { newer: Some(_), .. })
    }
}

/// A feed's archive pages, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    pages: Vec<Page>,
}

impl Archive {
    /// The pages of a feed whose items were `published` at these times, newest first (the
    /// store's order), of which the subscription documents carry the first `limit`.
    pub fn plan(published: &[DateTime<Utc>], limit: usize) -> Self {
        let mut pages = Vec::new();
        let mut start = limit.min(published.len());
        while start < published.len() {
            let (year, month) = PageKey::month_of(published[start]);
            let end = start + published[start..].iter().take_while(|t| PageKey::month_of(**t) == (year, month)).count();
            // Parts count from the month's oldest item, so those already written stay as they
            // are while the month's newest part fills up.
            let parts = (end - start).div_ceil(PAGE_ITEMS);
            for part in (1..=parts).rev() {
                let last = end - (part - 1) * PAGE_ITEMS;
                let first = last.saturating_sub(PAGE_ITEMS).max(start);
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
        for s in ["2026-11", "2026-01-2", "1999-12-417"] {
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
            "2026-11-9999999",
        ] {
            assert_eq!(PageKey::parse(s), None, "{s}");
        }
    }

    #[test]
    fn the_window_is_in_no_page_and_every_older_item_in_exactly_one() {
        // 3 in November, 250 in October, 5 in August: newest first.
        let mut published = vec![day(2026, 11, 20); 3];
        published.extend((0..250).map(|i| day(2026, 10, 30 - (i / 10))));
        published.extend(vec![day(2026, 8, 1); 5]);
        let a = Archive::plan(&published, 10);
        // October's 243 archived items: parts from its oldest, 100, 100, then the 43 newest.
        assert_eq!(keys(&a), ["2026-10-3", "2026-10-2", "2026-10", "2026-08"]);
        let covered: Vec<usize> = a.pages().iter().flat_map(|p| p.start..p.end).collect();
        assert_eq!(covered, (10..published.len()).collect::<Vec<_>>());
        assert_eq!(a.pages()[2].len(), 100);
        assert_eq!(a.pages()[0].len(), 43);
        assert_eq!(a.current(), Place::Current { older: PageKey::parse("2026-10-3") });
        let (_, oldest) = a.find(PageKey::parse("2026-08").unwrap()).unwrap();
        assert_eq!(oldest.older(), None);
        assert!(oldest.is_closed());
        assert!(!a.place(0).is_closed(), "the newest page still fills up");
    }

    #[test]
    fn a_new_item_changes_only_the_newest_page() {
        // October 0..150, September 150..300, August 300..400, newest first.
        let mut published: Vec<_> =
            (0..400).map(|i| day(2026, 10 - (i / 150) as u32, 28 - (i % 150) as u32 / 6)).collect();
        let before = Archive::plan(&published, 50);
        assert_eq!(keys(&before), ["2026-10", "2026-09-2", "2026-09", "2026-08"]);
        published.insert(0, day(2026, 11, 1));
        let after = Archive::plan(&published, 50);
        // October's 101st archived item starts a part; the others hold the same items, one
        // index further down (one more item above them).
        assert_eq!(keys(&after), ["2026-10-2", "2026-10", "2026-09-2", "2026-09", "2026-08"]);
        for p in before.pages() {
            let (q, _) = after.find(p.key).unwrap();
            assert_eq!((q.start, q.end), (p.start + 1, p.end + 1), "{}", p.key);
        }
    }

    #[test]
    fn no_page_without_items_beyond_the_limit() {
        assert!(Archive::plan(&[day(2026, 1, 1); 5], 5).pages().is_empty());
        assert!(Archive::plan(&[], 5).pages().is_empty());
        assert_eq!(Archive::plan(&[], 5).current(), Place::Current { older: None });
    }
}
