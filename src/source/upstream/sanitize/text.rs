//! TEXT: titles, author names and feed titles as plain text — what a reader sees of their
//! markup, and nothing a reader that renders them as HTML would take for markup.

use std::borrow::Cow;

use super::{attributes, budget, cut, prefix, simple, xml_safe};
use crate::source::prose;

/// Longest upstream title (an item's or a feed's) kept, in characters: a headline is rarely a
/// tenth of it, but some feeds put a whole first sentence there.
pub const MAX_TITLE_CHARS: usize = 1_000;

/// Longest author name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Bytes of input read per character of plain text wanted: room for markup and character
/// references around the text (and the 6 × 300 bytes a summary was always derived from).
const INPUT_BYTES_PER_CHAR: usize = 6;

/// Plain text for a title or a name: the text a reader sees when `is_html` (tags and what
/// scripts, styles and templates hold dropped, character references decoded), whitespace
/// collapsed, with no markup when parsed as HTML again ([`inert`]), and at most `max_chars`
/// characters, cut at a word with an ellipsis. Only the first `max_chars × 6` bytes are read.
pub fn plain_text(text: &str, is_html: bool, max_chars: usize) -> String {
    let text = prefix(text, max_chars.saturating_mul(INPUT_BYTES_PER_CHAR));
    let text = if is_html {
        // Text nodes are decoded once, by the parser: decoding the text again is what turned
        // `&amp;lt;img …&amp;gt;` into a live `<img …>`.
        let text = attributes::cap(text);
        // Most text (a summary of what `html` made, most titles) is simple enough to read in
        // one pass; html5ever reads the rest.
        simple::text(&text)
            .unwrap_or_else(|| budget::parse(&text).map_or_else(|_| budget::raw_text(&text), |tree| tree.text()))
    } else {
        text.to_owned()
    };
    let text = xml_safe(&text);
    // `cut` reads the first `max_chars` characters and whether there are more; `inert` adds
    // characters and looks one ahead: the first `max_chars + 2` characters decide it all.
    let text = prose::collapse_whitespace_prefix(&text, max_chars.saturating_add(2));
    cut(&inert(&text), max_chars)
}

/// `text` with a space after each `<` that would open markup when the text is parsed as HTML
/// (by a reader that renders titles as HTML): one before an ASCII letter (a tag), `/` (an end
/// tag, and `</p>` or `</br>` make elements), `!` (a comment, CDATA) or `?` (a bogus comment).
/// Text is what remains; a parser shows `< div>` as it is. Extracting the text again until
/// nothing parses as markup would also do, but it deletes words: "Why &lt;div&gt; matters",
/// escaped once as it should be, would lose its subject, and text escaped n times needs n
/// rounds. One pass keeps every character readable.
fn inert(text: &str) -> Cow<'_, str> {
    let opens = |w: &[u8]| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'));
    if !text.as_bytes().windows(2).any(opens) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut copied = 0;
    for (i, w) in text.as_bytes().windows(2).enumerate() {
        if opens(w) {
            out.push_str(&text[copied..=i]);
            out.push(' ');
            copied = i + 1;
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether `html`, parsed as a fragment by html5ever, has any element (markup over budget
/// counts as having one). A comment is not an element. What [`plain_text`] returns never has.
pub fn has_element(html: &str) -> bool {
    budget::parse(&attributes::cap(html)).map_or(true, |tree| tree.has_element())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::is_unfit;

    #[test]
    fn decoded_markup_stays_text() {
        // A title escaped twice in XML (`&amp;lt;img`) is `&lt;img` as HTML: its text is `<img`.
        let title = plain_text("&lt;img src=x onerror=alert(1)&gt;", true, MAX_TITLE_CHARS);
        assert_eq!(title, "< img src=x onerror=alert(1)>");
        assert!(!has_element(&title));
        assert_eq!(plain_text("Why &lt;div&gt; matters", true, MAX_TITLE_CHARS), "Why < div> matters");
        assert_eq!(plain_text("&lt;/p&gt;&lt;!--x--&gt;&lt;?x&gt;", true, MAX_TITLE_CHARS), "< /p>< !--x-->< ?x>");
        assert_eq!(plain_text("a<noscript><b>x</b></noscript><template>t</template>", true, 99), "a");
        assert_eq!(plain_text("1 &lt; 2, &lt;3 &lt;", true, 99), "1 < 2, <3 <");
    }

    #[test]
    fn has_element_is_html5ever_s_answer() {
        let cases = [("x", false), ("a < b <", false), ("&lt;b&gt;", false), ("<!--x-->", false), ("< b>", false)]
            .into_iter()
            .chain([("<b>x", true), ("</p>", true), ("</br>", true), ("<template>", true), ("<svg/>", true)]);
        for (html, expected) in cases {
            assert_eq!(has_element(html), expected, "{html}");
        }
    }

    use crate::source::upstream::xorshift::Rng;

    #[test]
    fn plain_text_is_what_html5ever_and_a_whole_collapse_give() {
        // What plain_text did before the scan and the collapse of a prefix.
        let reference = |text: &str, max: usize| {
            let text = attributes::cap(prefix(text, max.saturating_mul(INPUT_BYTES_PER_CHAR)));
            let text = budget::parse(&text).map_or_else(|_| budget::raw_text(&text), |tree| tree.text());
            cut(&inert(&prose::collapse_whitespace(&xml_safe(&text))), max)
        };
        const PIECES: &str =
            "كلمة|a|bc| |  |\n|\u{a0}|<|</|<b>|</b>|<p>|&amp;|&lt;b|&nbsp;|<script>x</script>|<a href=\"x\">";
        let pieces: Vec<&str> = PIECES.split('|').collect();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..3_000 {
            let n = 1 + rng.below(16);
            let input: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
            for max in [1, 2, 3, 5, 8, 13, 300] {
                assert_eq!(plain_text(&input, true, max), reference(&input, max), "{input:?}, {max}");
            }
        }
    }

    #[test]
    fn plain_text_never_parses_as_markup() {
        // Split at `|`.
        const PIECES: &str = "&lt;|&amp;lt;|&amp;amp;lt;|&#60;|&#x3C;|&lt|&gt;|&amp;|&|<|>|/|!|?|a| |\0|\u{1}|\u{a0}|'|\"|=|\
            <b|</|<p>|</p>|</br>|<![CDATA[|]]>|<!--|-->|<!|<?|<svg>|<math>|<mi>|<foreignObject>|<noscript>|<template>|\
            </template>|<plaintext>|<xmp>|<textarea>|</textarea>|<title>|</title>|<style>|</style>|<script>|\
            <img src=x onerror=alert(1)>|<table>|<select>|<iframe>|<a href='|&lt;img src=x&gt;|&amp;lt;b&amp;gt;|\t|\n";
        let pieces: Vec<&str> = PIECES.split('|').collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3_000 {
            let n = 1 + rng.below(12);
            let input: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
            for (is_html, max) in [(true, MAX_TITLE_CHARS), (false, MAX_TITLE_CHARS), (true, 7)] {
                let out = plain_text(&input, is_html, max);
                assert!(!has_element(&out), "{input:?} → {out:?}");
                assert!(!out.contains(is_unfit) && out.chars().count() <= max, "{input:?} → {out:?}");
            }
        }
    }
}
