//! Text shaping shared by local and upstream articles: where to cut at a word, whitespace
//! collapsed, plain text as HTML paragraphs, and the one UTF-8 check.

/// `bytes` as a `str` if they are UTF-8. simdutf8 (AVX2 where the CPU has it) validates 4 MB
/// of Arabic in about 0.3 ms, where encoding_rs took 2.7 ms and `std::str::from_utf8`
/// longer: it is the one pass a poll makes over a whole document, and over every cleaned body.
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// The longest start of `text` that ends just before a whitespace character and holds at most
/// `max` characters: a cut that splits no word. `None` when no whitespace is that close to the
/// start (the first word alone is longer). Each caller decides what to do then, and what the
/// cut ends with: a derived title keeps its first word whole, a capped upstream title cannot.
pub(crate) fn cut_at_word(text: &str, max: usize) -> Option<&str> {
    // The whitespace at character position p leaves p characters before it: the last one among
    // the first max + 1 characters, found from their end (a word back, not all of them).
    let reach = text.char_indices().nth(max.saturating_add(1)).map_or(text.len(), |(i, _)| i);
    text[..reach].rfind(char::is_whitespace).map(|i| &text[..i])
}

/// `text` with each run of whitespace (any Unicode whitespace) one space, and none at either end.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `max_chars` characters of [`collapse_whitespace`]`(text)`, reading only as much
/// of `text` as they take: a summary wants 300 characters of what may be thousands.
pub(crate) fn collapse_whitespace_prefix(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in words(text) {
        if chars >= max_chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        let end = word.char_indices().nth(max_chars - chars).map_or(word.len(), |(i, _)| i);
        out.push_str(&word[..end]);
        chars += word[..end].chars().count();
    }
    out
}

/// Whether `b` can start the UTF-8 of a whitespace character: ASCII whitespace, U+0085 and
/// U+00A0 (0xC2), U+1680 (0xE1), U+2000–U+205F (0xE2), U+3000 (0xE3). Arabic and Latin
/// letters never do, so text is scanned by bytes and only these are decoded.
fn may_start_whitespace(b: u8) -> bool {
    b <= b' ' || matches!(b, 0xc2 | 0xe1..=0xe3)
}

/// The words of `text` (as `str::split_whitespace` gives them), found by a byte scan.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let (end, len) = next_whitespace(rest);
            let word = &rest[..end];
            rest = &rest[end + len..];
            if !word.is_empty() {
                return Some(word);
            }
        }
        None
    })
}

/// Where the first whitespace character of `text` starts, and its length; `(text.len(), 0)`
/// when there is none.
fn next_whitespace(text: &str) -> (usize, usize) {
    let mut at = 0;
    while let Some(skip) = find_byte(&text.as_bytes()[at..], may_start_whitespace) {
        // Such a byte is ASCII or a leading byte: a character starts there.
        let c = text[at + skip..].chars().next().unwrap_or_default();
        if c.is_whitespace() {
            return (at + skip, c.len_utf8());
        }
        at += skip + 1;
    }
    (text.len(), 0)
}

/// The position of the first byte of `hay` for which `hit` holds. Upstream text is mostly text
/// between rare bytes of interest (`<`, `&`): blocks are tested without a branch per byte,
/// which the compiler vectorises, at several bytes a cycle.
pub(crate) fn find_byte(hay: &[u8], hit: impl Fn(u8) -> bool) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut start = 0;
    for block in hay.chunks(BLOCK) {
        if block.iter().fold(false, |any, &b| any | hit(b)) {
            return block.iter().position(|&b| hit(b)).map(|i| start + i);
        }
        start += block.len();
    }
    None
}

/// Paragraphs of plain text as HTML: each escaped in its own `<p>`, one a line. A plain-text
/// article's body, and what is kept of upstream markup over budget.
pub(crate) fn paragraphs_html<'a>(paragraphs: impl IntoIterator<Item = &'a str>) -> String {
    paragraphs.into_iter().map(|p| format!("<p>{}</p>", html_escape::encode_text(p))).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_before_the_last_whitespace_within_reach() {
        assert_eq!(cut_at_word("one two three", 7), Some("one two"));
        assert_eq!(cut_at_word("one two three", 6), Some("one"));
        assert_eq!(cut_at_word("one two three", 3), Some("one"));
        assert_eq!(cut_at_word("one two three", 2), None);
        // Any whitespace is a break, and characters are counted, not bytes.
        assert_eq!(cut_at_word("كلمة\u{a0}أخرى\tثالثة", 9), Some("كلمة\u{a0}أخرى"));
        // Whitespace at the very start is a cut before nothing.
        assert_eq!(cut_at_word(" word", 3), Some(""));
        assert_eq!(cut_at_word("word", 99), None);
        assert_eq!(cut_at_word("a b", usize::MAX), Some("a"));
        // As every character read from the start finds it.
        let slow = |text: &str, max: usize| {
            text.char_indices().take(max.saturating_add(1)).filter(|(_, c)| c.is_whitespace()).last().map(|(i, _)| i)
        };
        for text in ["كلمة\u{a0}أخرى\tثالثة رابعة", " a  b ", "", "abc", "\u{3000}x\u{2009}"] {
            for max in 0..20 {
                assert_eq!(cut_at_word(text, max).map(str::len), slow(text, max), "{text:?} {max}");
            }
        }
    }

    #[test]
    fn whitespace_collapses_to_single_spaces() {
        assert_eq!(collapse_whitespace(" \tكلمة\u{a0}\u{a0}أخرى\n x "), "كلمة أخرى x");
        assert_eq!(collapse_whitespace(" \n "), "");
        for c in (0..=0x10ffff).filter_map(char::from_u32).filter(|c| c.is_whitespace()) {
            let mut utf8 = [0; 4];
            assert!(may_start_whitespace(c.encode_utf8(&mut utf8).as_bytes()[0]), "{c:?}");
        }
        for text in [
            " \tكلمة\u{a0}\u{a0}أخرى\n x ",
            "a b  c",
            "",
            "  ",
            "abc",
            "a\u{3000}b\u{2009}\u{85}c\u{1680}é",
            "\u{e2}\u{2060}",
        ] {
            for max in 0..12 {
                let expected: String = collapse_whitespace(text).chars().take(max).collect();
                assert_eq!(collapse_whitespace_prefix(text, max), expected, "{text:?} {max}");
            }
        }
    }

    #[test]
    fn paragraphs_are_escaped_one_a_line() {
        assert_eq!(paragraphs_html(["نص", "a < b & c"]), "<p>نص</p>\n<p>a &lt; b &amp; c</p>");
        assert_eq!(paragraphs_html([]), "");
    }
}
