//! What a feed can carry: the characters and dates every format we write accepts, and the
//! checks that keep the others out of the store.

use chrono::{DateTime, Datelike as _, Utc};

use super::Content;

/// Whether every format we write can carry `t`: RSS dates (RFC 5322) start in 1900, and Atom
/// and JSON Feed dates (RFC 3339) have four-digit years.
pub fn date_in_range(t: &DateTime<Utc>) -> bool {
    (1900..=9999).contains(&t.year())
}

/// Whether `c` is a character no feed of ours carries: the C0 controls XML 1.0 forbids (all but
/// tab, newline and carriage return), DEL and the C1 controls it discourages (in decoded text
/// they are almost always a charset mistake, and readers show them as boxes), and U+FFFE/U+FFFF.
pub fn is_unfit(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

impl Content {
    /// `self` back, or the first field holding an [`is_unfit`] character and that character:
    /// a publisher's own article is refused rather than silently changed.
    pub fn fit(mut self) -> Result<Self, (&'static str, char)> {
        let mut found = None;
        self.each_text(|field, text| {
            if found.is_none() {
                found = text.chars().find(|&c| is_unfit(c)).map(|c| (field, c));
            }
        });
        found.map_or(Ok(self), Err)
    }

    /// Drops every [`is_unfit`] character from every text field: upstream content is cleaned,
    /// whichever path (HTML entity, text body, feed id) brought the character in.
    pub fn strip_unfit(&mut self) {
        self.each_text(|_, text| {
            if text.contains(is_unfit) {
                text.retain(|c| !is_unfit(c));
            }
        });
    }

    /// Calls `f` with the name and value of every text field that reaches a feed.
    fn each_text(&mut self, mut f: impl FnMut(&'static str, &mut String)) {
        // The body first: a title or summary derived from it repeats its characters.
        f("body", &mut self.body_html);
        f("title", &mut self.title);
        f("summary", &mut self.summary);
        if let Some(a) = &mut self.author {
            f("author", &mut a.name);
            a.email.iter_mut().for_each(|e| f("author", e));
        }
        self.tags.iter_mut().for_each(|t| f("tags", t));
        if let Some(alt) = self.image.as_mut().and_then(|i| i.alt.as_mut()) {
            f("image_alt", alt);
        }
        for (field, credit) in
            [("photo_credit", self.photo_credit.as_mut()), ("source", self.source.as_mut().map(|s| &mut s.credit))]
        {
            if let Some(c) = credit {
                f(field, &mut c.line);
                f(field, &mut c.value);
            }
        }
        if let Some(o) = &mut self.origin {
            o.feed_id.iter_mut().chain(o.feed_title.iter_mut()).for_each(|t| f("origin", t));
        }
    }
}
