//! SANITIZE: upstream HTML through ammonia's allowlist — no scripts, event handlers,
//! `javascript:` URLs, iframes or styles — keeping `dir` and `lang`, which Arabic and
//! mixed-direction text depends on, with relative URLs made absolute; and titles and names as
//! plain text that stays text ([`plain_text`]).
//!
//! Whatever an upstream sends, sanitising costs time linear in its size: markup over the
//! bounds in `budget` ([`MAX_DEPTH`], [`MAX_NODES`], the work html5ever and ammonia would do)
//! keeps only its text, and no tag keeps more than [`MAX_ATTRIBUTES`] attributes.

mod attributes;
mod budget;
mod costs;
mod fast;
mod simple;
mod text;
mod tree;

use std::borrow::Cow;
use std::cell::RefCell;

use url::Url;

pub use attributes::MAX_ATTRIBUTES;
pub use budget::{MAX_DEPTH, MAX_NODES};
pub use text::{MAX_NAME_CHARS, MAX_TITLE_CHARS, has_element, plain_text};

use crate::model::{Content, is_unfit};
use crate::source::prose;
pub(crate) use crate::source::prose::find_byte;

thread_local! {
    // Building an allowlist fills a dozen hash sets: as costly as cleaning a short item, so
    // each thread builds one once (a builder is not `Sync`; only the base URL changes).
    static HTML: RefCell<ammonia::Builder<'static>> = RefCell::new({
        let mut builder = allowlist();
        // Links leave the publisher's site: no referrer, no window.opener.
        builder.link_rel(Some("noopener noreferrer nofollow"));
        builder
    });
}

/// The allowlist all HTML we publish goes through, upstream or local: ammonia's defaults (no
/// scripts, event handlers, `javascript:` URLs, iframes or styles) plus `dir` and `lang` on any
/// element, which Arabic and mixed-direction text depends on.
pub(crate) fn allowlist() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder.add_generic_attributes(["dir", "lang"]);
    builder
}

/// Cleans upstream HTML; relative URLs are resolved against `base`. Markup over budget keeps
/// only its text, as paragraphs.
pub fn html(dirty: &str, base: &Url) -> String {
    let dirty = xml_safe(dirty);
    let dirty = attributes::cap(&dirty);
    // Most items' markup is simple enough to clean in one pass, as ammonia would.
    fast::clean(&dirty, base).unwrap_or_else(|| with_ammonia(&dirty, base))
}

/// Checks that [`html`]'s one pass, when it answers for `dirty`, answers as ammonia does (for
/// the fuzz targets, on every input they are given).
#[cfg(any(test, feature = "fuzzing"))]
pub fn check_one_pass(dirty: &str, base: &Url) {
    let dirty = xml_safe(dirty);
    let dirty = attributes::cap(&dirty);
    if let Some(fast) = fast::clean(&dirty, base) {
        let slow = with_ammonia(&dirty, base);
        assert!(fast == slow, "one pass {fast:?} != ammonia {slow:?} for {dirty:?}");
    }
}

/// [`html`] of markup without unfit characters and with at most [`MAX_ATTRIBUTES`] a tag, by
/// html5ever and ammonia.
fn with_ammonia(dirty: &str, base: &Url) -> String {
    // Most items' markup cannot reach a bound (known from its bytes): parsing it only to
    // measure would cost more than cleaning it.
    if !budget::surely_within(dirty)
        && let Err(over) = budget::parse(dirty)
    {
        tracing::debug!(%over, bytes = dirty.len(), "upstream markup over budget: keeping its text");
        return text_to_html(&budget::raw_text(dirty));
    }
    HTML.with_borrow_mut(|builder| {
        builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        // Written into a Vec (`to_string` writes one too, then copies it through a formatter
        // into a growing String) and checked by [`prose::utf8`]: std's UTF-8 check reads
        // Arabic at about a byte a nanosecond, a sixth of the whole clean.
        let mut out = Vec::with_capacity(dirty.len() + dirty.len() / 8);
        builder.clean(dirty).write_to(&mut out).expect("writing to a Vec does not fail");
        prose::utf8(&out).map_or_else(|| String::from_utf8_lossy(&out).into_owned(), str::to_owned)
    })
}

/// `text` without the characters no feed of ours carries ([`is_unfit`]: controls XML 1.0
/// forbids or discourages): a JSON Feed may hold them, our XML feeds may not.
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    if Content::holds_unfit(text) { text.replace(is_unfit, "").into() } else { text.into() }
}

/// Plain text as HTML paragraphs, escaped: a blank line separates two.
pub fn text_to_html(text: &str) -> String {
    prose::paragraphs_html(text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()))
}

/// The first `max` bytes of `s`, at a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// At most `max` (≥ 1) characters, the ellipsis included when cut: cut at a word boundary
/// (`prose::cut_at_word`: any whitespace is one, and [`plain_text`] has made all of it
/// single spaces).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    // Whole words up to a space among the first `max - 1` characters (the ellipsis takes the
    // last place), so a space at `max - 2` at the latest: the cut titles have always had. Only
    // a first word longer than that is cut inside, to stay within `max`.
    let head = prose::cut_at_word(text, max.saturating_sub(2)).unwrap_or_else(|| {
        let end = text.char_indices().nth(max.saturating_sub(1)).map_or(text.len(), |(i, _)| i);
        &text[..end]
    });
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_dangerous_and_keeps_direction() {
        let base = Url::parse("https://wire.example/news/1").unwrap();
        let dirty = r#"<p dir="rtl" lang="ar" onclick="steal()" style="color:red">نص <a href="javascript:alert(1)">x</a>
            <a href="/2">y</a><img src="pic.jpg" onerror="x()"></p><script>alert(1)</script><iframe src="https://evil"></iframe>"#;
        let clean = html(dirty, &base);
        for bad in ["onclick", "style", "javascript:", "script", "iframe", "onerror", "alert"] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains(r#"dir="rtl""#) && clean.contains(r#"lang="ar""#), "{clean}");
        assert!(clean.contains(r#"href="https://wire.example/2""#), "{clean}");
        assert!(clean.contains(r#"src="https://wire.example/news/pic.jpg""#), "{clean}");
    }

    #[test]
    fn absurd_nesting_keeps_only_its_text_and_controls_go() {
        let base = Url::parse("https://wire.example/").unwrap();
        let deep = format!("{}نص{}", "<div>".repeat(MAX_DEPTH + 1), "</div>".repeat(MAX_DEPTH + 1));
        assert_eq!(html(&deep, &base), "<p>نص</p>");
        let fine = format!("{}نص<br><img src=a.png>{}", "<div>".repeat(MAX_DEPTH), "</div>".repeat(MAX_DEPTH));
        assert!(html(&fine, &base).starts_with("<div><div>"), "void elements and {MAX_DEPTH} levels are fine");
        assert_eq!(plain_text("a\u{7}b\u{0}c\u{1b}[31m", false, MAX_TITLE_CHARS), "abc[31m");
        assert_eq!(html("<p>x\u{c}y</p>", &base), "<p>xy</p>");
    }

    #[test]
    fn titles_are_plain_text() {
        assert_eq!(plain_text("<b>عاجل</b>: &amp; <script>x</script>  خبر", true, MAX_TITLE_CHARS), "عاجل: & خبر");
        // Text that is not HTML is still read as HTML by some readers: no tag opens in it.
        assert_eq!(plain_text("a <b> c", false, MAX_TITLE_CHARS), "a < b> c");
        assert_eq!(text_to_html("one\n\ntwo < three"), "<p>one</p>\n<p>two &lt; three</p>");
    }

    fn base() -> Url {
        Url::parse("https://wire.example/").unwrap()
    }

    /// `html(dirty)`, checked: what comes out is itself within every bound, and keeps the text
    /// of what went in.
    fn clean(dirty: &str) -> String {
        let out = html(dirty, &base());
        budget::parse(&out).unwrap_or_else(|e| panic!("{e}: {out:.100}"));
        // Foster parenting moves text before its table: the same words, not in the same order.
        let words = |html: &str| {
            let mut words: Vec<String> = budget::raw_text(html).split_whitespace().map(String::from).collect();
            words.sort_unstable();
            words
        };
        assert!(words(&out) == words(&attributes::cap(dirty)), "text lost: {dirty:.100} → {out:.100}");
        out
    }

    // Each input below took html5ever or ammonia time quadratic in its size (minutes in a
    // debug build); bounded, each is linear.

    #[test]
    fn end_tags_that_close_nothing_do_not_hide_nesting() {
        // html5ever ignores `</span>` with no span open: every div stays open.
        let stray = format!("{}x", "<div></span>".repeat(100_000));
        assert_eq!(clean(&stray), "<p>x</p>");
        assert_eq!(plain_text(&stray, true, usize::MAX), "x");
        let closed = "<div>x</div>".repeat(10_000);
        assert!(clean(&closed) == closed, "end tags that close something still do");
        // `/>` closes no HTML element either.
        assert_eq!(clean(&format!("{}x", "<div/>".repeat(100_000))), "<p>x</p>");
    }

    #[test]
    fn too_many_elements_keep_only_their_text() {
        let at_most = "<i>a</i> ".repeat(MAX_NODES);
        assert!(clean(&at_most) == at_most, "elements lost");
        let over = format!("{at_most}<i>a</i>");
        assert!(clean(&over) == format!("<p>{}</p>", "a ".repeat(MAX_NODES + 1).trim_end()), "elements kept");
    }

    /// An input: a prefix, `unit(i)` for i in 0..40,000, a suffix.
    type Construct = (&'static str, fn(usize) -> String, &'static str);

    #[test]
    fn every_known_quadratic_construct_stays_within_bounds() {
        let constructs: [Construct; 11] = [
            // The adoption agency with a furthest block: it keeps nesting.
            ("", |_| "<b><div>x</b>".into(), ""),
            ("", |_| "<b><i>x</b></i>".into(), ""),
            // Formatting elements a block closed are reopened at the next text, all of them.
            ("", |i| format!("<div><b id={i}>x</div>"), ""),
            ("", |i| format!("<a href=/{i}><div>x"), ""),
            // Foster parenting: each goes before the table, which ammonia's DOM looks for.
            ("<table>", |_| "<b>x</b>".into(), "</table>"),
            ("<table>", |_| "x<br>".into(), "</table>"),
            ("", |_| "<button><p>x".into(), ""),
            ("<select>", |_| "<option>x".into(), "</select>"),
            ("<nobr>", |_| "<nobr>x".into(), ""),
            // Noah's Ark compares each new `<b>` with the open ones, attributes sorted.
            ("", |i| if i < 250 { format!("<b id=a{i} c=d>x") } else { "<b id=z>x</b>".into() }, ""),
            // Each `<html>` merges its attributes into the root's, hashed anew each time.
            ("", |i| format!("<html a{i}>x"), ""),
        ];
        // These two are linear in html5ever already (an `<option>` closes the one before, and
        // `<nobr>` nests no deeper than Noah's Ark allows): within budget, and cleaned in full.
        let linear = ["<select>", "<nobr>"];
        for (prefix, unit, suffix) in constructs {
            let body: String = (0..40_000).map(unit).collect();
            let input = format!("{prefix}{body}{suffix}");
            let over = budget::parse(&attributes::cap(&input)).is_err();
            let expected = !linear.iter().any(|l| input.starts_with(l));
            assert_eq!(over, expected, "{:.40}: over budget {over}", input);
            clean(&input);
        }
    }

    #[test]
    fn text_the_serializer_would_scan_quadratically_is_written_out_linearly() {
        // html5ever's serializer looks for the next `<` or `>` after every `&` it escapes.
        // (Not `clean`: what comes out would cost as much to write out again.)
        let amps = "&amp;".repeat(200_000);
        assert!(html(&amps, &base()) == format!("<p>{amps}</p>"), "written out by ammonia");
        assert_eq!(clean("a &amp; b"), "a &amp; b");
    }

    #[test]
    fn a_tag_keeps_its_first_attributes() {
        let names: String = (0..100_000).map(|i| format!(" a{i}")).collect();
        let out = clean(&format!("<b{names}>x</b>"));
        assert!(out.starts_with("<b>a128 a129 ") && out.ends_with(" a99999&gt;x</b>"), "{out:.100}");
    }

    #[test]
    fn titles_and_names_are_capped_and_bounded() {
        let long = "كلمة ".repeat(10_000);
        let title = plain_text(&long, true, MAX_TITLE_CHARS);
        let chars = title.chars().count();
        assert!(title.ends_with('…') && (MAX_TITLE_CHARS - 10..=MAX_TITLE_CHARS).contains(&chars), "{chars}");
        assert_eq!(
            plain_text(&"n".repeat(1_000), false, MAX_NAME_CHARS),
            format!("{}…", "n".repeat(MAX_NAME_CHARS - 1))
        );
        // Only the first 6 bytes per character are read.
        assert_eq!(plain_text(&format!("{}x", " ".repeat(6 * MAX_NAME_CHARS)), true, MAX_NAME_CHARS), "");
        // Titles go through the same bounds as bodies.
        let deep = format!("{}title{}", "<b>".repeat(MAX_DEPTH + 1), "</b>".repeat(MAX_DEPTH + 1));
        assert_eq!(plain_text(&deep, true, MAX_TITLE_CHARS), "title");
    }

    #[test]
    fn cut_keeps_whole_words_and_its_ellipsis_within_max() {
        assert_eq!(cut("ab cd", 5), "ab cd");
        // "ab cd…" would fit in 6, but the space at 5 is past the first max - 1 characters.
        assert_eq!(cut("ab cd ef", 6), "ab…");
        assert_eq!(cut("ab cd ef", 7), "ab cd…");
        // A first word too long for the cap is cut inside.
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("xy", 1), "…");
    }
}
