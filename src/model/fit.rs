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

/// Whether `b` can start the UTF-8 of an [`is_unfit`] character: the C0 controls and DEL are
/// single bytes, U+0080–U+009F start with 0xC2, U+FFFE and U+FFFF with 0xEF.
fn may_start_unfit(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xef
}

impl Content {
    /// Whether `text` holds an [`is_unfit`] character. Decoding every character to ask is most
    /// of the cost of cleaning an item, and almost no text holds one: this looks at bytes, a
    /// block at a time (which the compiler vectorises), and decodes only where a block holds a
    /// byte that can start one. The check for every field of an article, and for
    /// `sanitize::xml_safe`.
    pub fn holds_unfit(text: &str) -> bool {
        const BLOCK: usize = 32;
        let bytes = text.as_bytes();
        bytes.chunks(BLOCK).enumerate().any(|(n, block)| {
            // `|`, not `||`: no early exit, so the loop vectorises.
            block.iter().fold(false, |any, &b| any | may_start_unfit(b))
                && block.iter().enumerate().any(|(i, &b)| {
                    // Each such byte is ASCII or a leading byte: a character starts there.
                    may_start_unfit(b) && text[n * BLOCK + i..].chars().next().is_some_and(is_unfit)
                })
        })
    }

    /// `self` back, or the first field holding an [`is_unfit`] character and that character:
    /// a publisher's own article is refused rather than silently changed.
    pub fn fit(mut self) -> Result<Self, (&'static str, char)> {
        let mut found = None;
        self.each_text(|field, text| {
            if found.is_none() && Self::holds_unfit(text) {
                found = text.chars().find(|&c| is_unfit(c)).map(|c| (field, c));
            }
        });
        found.map_or(Ok(self), Err)
    }

    /// Drops every [`is_unfit`] character from every text field: upstream content is cleaned,
    /// whichever path (HTML entity, text body, feed id) brought the character in.
    pub fn strip_unfit(&mut self) {
        self.each_text(|_, text| {
            if Self::holds_unfit(text) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_scan_finds_every_unfit_character_wherever_it_is() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let mut utf8 = [0; 4];
            let first = c.encode_utf8(&mut utf8).as_bytes()[0];
            assert!(!is_unfit(c) || may_start_unfit(first), "{c:?} starts with {first:#x}");
        }
        // Near and across block boundaries, after multi-byte characters, and none at all.
        for at in [0, 1, 30, 31, 32, 33, 63, 64, 95] {
            for unfit in ['\u{0}', '\u{7}', '\u{7f}', '\u{85}', '\u{9f}', '\u{fffe}', '\u{ffff}'] {
                let text: String = "ك".repeat(at / 2) + &"a".repeat(at % 2) + &unfit.to_string() + "ن\n";
                assert!(Content::holds_unfit(&text), "{unfit:?} at {at}");
            }
        }
        let fit = "كلمة\tأخرى\r\n\u{a0}«»\u{fefe}\u{ffbf}\u{fffd}\u{10ffff}".repeat(9);
        assert!(!Content::holds_unfit(&fit) && !fit.contains(is_unfit));
    }
}
