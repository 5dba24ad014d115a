//! SIMPLE: the text html5ever's tree holds for markup that leaves its tree builder nothing to
//! move, drop or add, read in one pass without it: tags with plain attributes, a few character
//! references, and no element that changes how text is read (scripts, styles, raw text,
//! templates, tables, whose stray text moves before them, foreign content, frames) or a
//! comment. Anything else answers `None`, and the caller asks html5ever.
//!
//! ammonia's output is such markup (its serialiser quotes attributes and writes text with
//! `&amp;`, `&lt;`, `&gt;` and `&nbsp;`), and so are most titles: a summary costs a scan of
//! what [`super::html`] made, not a second parse.
//!
//! Why the text is html5ever's: in the body of a fragment its tree builder inserts every
//! character it is given except U+0000 and a line feed right after `<pre>` or `<listing>`
//! (both refused here), and only foster parenting (tables) moves text out of document order;
//! reopening formatting elements and the adoption agency (`<b>1<p>2</b>3`) clone and move
//! elements along the last open ones, which keeps the order of the text. The tokenizer reads a
//! CR as a line feed (done here too), drops a tag cut by the end of the input, and writes a `<`
//! that opens no tag as text. Markup over budget keeps its text from html5ever's tokenizer,
//! which gives the same text for such markup.

use super::find_byte;

/// Elements this scan does not follow: their content is not text a reader sees, is read in
/// another tokenizer state, or moves (foster parenting), or they switch the tree builder into
/// a mode that drops text; and `pre`/`listing` drop a line feed after them (see [`text`]).
const REFUSED: &[&str] = &[
    "script",
    "style",
    "noscript",
    "noembed",
    "noframes",
    "iframe",
    "template",
    "textarea",
    "title",
    "xmp",
    "plaintext",
    "svg",
    "math",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "col",
    "colgroup",
    "select",
    "option",
    "optgroup",
    "html",
    "head",
    "body",
    "frameset",
    "frame",
    "isindex",
];

/// The text html5ever's tree builder makes of `html` parsed as a fragment (`budget::parse`,
/// then `Tree::text`), or `None` when `html` is not simple enough to know it without parsing.
pub fn text(html: &str) -> Option<String> {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    loop {
        let Some(skip) = find_byte(&b[i..], |x| matches!(x, b'<' | b'&' | b'\r' | 0)) else {
            out.push_str(&html[i..]);
            return Some(out);
        };
        let at = i + skip;
        out.push_str(&html[i..at]);
        i = match b[at] {
            b'&' => reference(&b[at..], &mut out)? + at,
            b'\r' => {
                out.push('\n');
                at + if b.get(at + 1) == Some(&b'\n') { 2 } else { 1 }
            }
            b'<' => match (b.get(at + 1), b.get(at + 2)) {
                // A `<` that opens nothing is text, also at the very end.
                (None, _) => {
                    out.push('<');
                    return Some(out);
                }
                (Some(&c), _) if !c.is_ascii_alphabetic() && !matches!(c, b'!' | b'/' | b'?') => {
                    out.push('<');
                    at + 1
                }
                (Some(c), _) if c.is_ascii_alphabetic() => match tag(html, at + 1)? {
                    Tag::Cut => return Some(out),
                    Tag::Start("pre" | "listing", end) => {
                        // html5ever drops a line feed right after them, also one from `&#10;`.
                        if matches!(b.get(end), Some(b'\n' | b'\r' | b'&')) {
                            return None;
                        }
                        end
                    }
                    Tag::Start(_, end) => end,
                },
                (Some(b'/'), None) => {
                    out.push_str("</");
                    return Some(out);
                }
                (Some(b'/'), Some(c)) if c.is_ascii_alphabetic() => match tag(html, at + 2)? {
                    Tag::Cut => return Some(out),
                    Tag::Start(_, end) => end,
                },
                // Comments, `<!DOCTYPE`, `<?…`, `</ …`: html5ever's business.
                _ => return None,
            },
            _ => return None,
        };
    }
}

/// What follows a tag's `<` or `</`.
enum Tag<'a> {
    /// A tag of this (lowercase) name, ending before byte `end`.
    Start(&'a str, usize),
    /// The input ends inside the tag: html5ever drops it, and the text ends.
    Cut,
}

/// Reads the tag whose name starts at byte `start` of `html`: its name and where it ends, when
/// its name and attributes are plain (`name`, `name=value`, `name="value"`, `name='value'`,
/// spaces between) and its element is not [`REFUSED`].
fn tag(html: &str, start: usize) -> Option<Tag<'_>> {
    let b = html.as_bytes();
    let plain = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.');
    let run = |mut j: usize, f: &dyn Fn(u8) -> bool| {
        while b.get(j).is_some_and(|&c| f(c)) {
            j += 1;
        }
        j
    };
    let mut j = run(start, &plain);
    let name = &html[start..j];
    // Names are short; one that is not plain ASCII html5ever reads as it reads it.
    let lower = name.to_ascii_lowercase();
    if REFUSED.contains(&lower.as_str()) {
        return None;
    }
    let name: &'static str = match lower.as_str() {
        "pre" => "pre",
        "listing" => "listing",
        _ => "",
    };
    if j < b.len() && !matches!(b[j], b'>' | b'/') && !b[j].is_ascii_whitespace() {
        return None;
    }
    loop {
        j = run(j, &|c: u8| c.is_ascii_whitespace());
        match b.get(j) {
            None => return Some(Tag::Cut),
            Some(b'>') => return Some(Tag::Start(name, j + 1)),
            Some(b'/') => match b.get(j + 1) {
                None => return Some(Tag::Cut),
                Some(b'>') => return Some(Tag::Start(name, j + 2)),
                Some(_) => return None,
            },
            Some(&c) if plain(c) => {}
            Some(_) => return None,
        }
        j = run(j, &plain);
        let after_name = run(j, &|c: u8| c.is_ascii_whitespace());
        if b.get(after_name) != Some(&b'=') {
            // A name alone; what follows is read at the top.
            continue;
        }
        j = run(after_name + 1, &|c: u8| c.is_ascii_whitespace());
        match b.get(j) {
            None => return Some(Tag::Cut),
            Some(&q @ (b'"' | b'\'')) => match b[j + 1..].iter().position(|&c| c == q) {
                None => return Some(Tag::Cut),
                Some(len) => j += len + 2,
            },
            Some(_) => {
                j = run(j, &|c: u8| !c.is_ascii_whitespace() && c != b'>');
                if b[after_name + 1..j].iter().any(|c| matches!(c, b'"' | b'\'' | b'<' | b'=' | b'`')) {
                    return None;
                }
            }
        }
        // After a value: a space, the end of the tag, or the end of the input.
        if b.get(j).is_some_and(|&c| !c.is_ascii_whitespace() && c != b'>' && c != b'/') {
            return None;
        }
    }
}

/// Decodes the character reference at the start of `b` (which starts with `&`) into `out`, and
/// returns its length: the references ammonia writes and numeric ones with a `;`, or a `&` that
/// starts none. Others (`&eacute;`, `&amp` without `;`) are left to html5ever.
fn reference(b: &[u8], out: &mut String) -> Option<usize> {
    match b.get(1) {
        Some(&c) if c.is_ascii_alphanumeric() => {
            for (name, decoded) in
                [("amp;", '&'), ("lt;", '<'), ("gt;", '>'), ("quot;", '"'), ("apos;", '\''), ("nbsp;", '\u{a0}')]
            {
                if b[1..].starts_with(name.as_bytes()) {
                    out.push(decoded);
                    return Some(1 + name.len());
                }
                // Cut by the end of the input (a summary reads a prefix): the name without its
                // `;` still decodes (these are legacy names); less of it is text.
                if name.as_bytes().starts_with(&b[1..]) && decoded != '\'' {
                    match b.len() == name.len() {
                        true => out.push(decoded),
                        false => out.push_str(std::str::from_utf8(b).ok()?),
                    }
                    return Some(b.len());
                }
            }
            None
        }
        Some(b'#') => {
            let hex = matches!(b.get(2), Some(b'x' | b'X'));
            let digits = if hex { 3 } else { 2 };
            let end = digits + b[digits..].iter().take(8).take_while(|c| c.is_ascii_hexdigit()).count();
            let text = std::str::from_utf8(&b[digits..end]).ok()?;
            let value = u32::from_str_radix(text, if hex { 16 } else { 10 }).ok()?;
            // html5ever maps or replaces the rest (NUL, C1 controls, surrogates, too large).
            let c = char::from_u32(value).filter(|&c| matches!(c, '\t' | '\n' | ' '..='~' | '\u{a0}'..))?;
            if b.get(end) != Some(&b';') {
                return None;
            }
            out.push(c);
            Some(end + 1)
        }
        // `&` before anything else (a space, the end) is text.
        _ => {
            out.push('&');
            Some(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{attributes, budget, html};
    use super::*;

    /// What `plain_text` reads from html5ever when the scan answers `None`.
    fn parsed(html: &str) -> String {
        budget::parse(html).map_or_else(|_| budget::raw_text(html), |tree| tree.text())
    }

    #[test]
    fn reads_tags_and_references_and_refuses_what_it_cannot_know() {
        assert_eq!(text("a <b class=\"x > y\">b</b> &amp;&lt;&gt;&nbsp;&#x41;&#66; c").unwrap(), "a b &<>\u{a0}AB c");
        assert_eq!(text("1 < 2 & 3 <<i>x").unwrap(), "1 < 2 & 3 <x");
        assert_eq!(text("a\r\nb\rc").unwrap(), "a\nb\nc");
        // A tag cut by the end is dropped; a `<` or `</` at the end is text.
        assert_eq!(text("x <a href=\"/y").unwrap(), "x ");
        assert_eq!(text("x <").unwrap(), "x <");
        assert_eq!(text("x </").unwrap(), "x </");
        assert_eq!(text("x &amp").unwrap(), "x &");
        assert_eq!(text("x &nbs").unwrap(), "x &nbs");
        for refused in ["<script>x</script>", "<!--x-->", "<table>x", "&eacute;", "&amp x", "<pre>\nx", "a\0b", "</ x>"]
        {
            assert_eq!(text(refused), None, "{refused}");
        }
        assert_eq!(text("<pre>x\n</pre>").unwrap(), "x\n");
    }

    use crate::source::upstream::xorshift::Rng;

    // Split at `|`: misnested formatting, stray end tags, references, cut-looking tags, spaces.
    const PIECES: &str = "a|b c|كلمة| |\n|\r|\r\n|\t|\u{a0}|&amp;|&lt;|&gt;|&nbsp;|&quot;|&#39;|&#x41;|&#10;|&#13;|&#128;|&|&x|\
        <|>|</|/|=|\"|'|<b>|</b>|<i>|</i>|<a href=\"/x\">|</a>|<a href='y' title=\"a > b\">|<p>|</p>|<div>|</div>|\
        <p dir=\"rtl\" lang=\"ar\">|<br>|</br>|<img src=x alt=\"\">|<pre>|</pre>|<listing>|<li>|<ul>|</ul>|<h2>|\
        <button>|<nobr>|<font>|<strong>|<em>|<span>|</span>|<table>|<td>|<script>|</script>|<!--|-->|<svg>|\
        <template>|<B ID=\"x\">|<b/>|<x-y>|<a:b c>";

    #[test]
    fn the_scan_reads_what_html5ever_reads() {
        let pieces: Vec<&str> = PIECES.split('|').collect();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut read = 0;
        for _ in 0..20_000 {
            let n = 1 + rng.below(14);
            let input: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
            let input = attributes::cap(&input);
            if let Some(scanned) = text(&input) {
                assert_eq!(scanned, parsed(&input), "{input:?}");
                read += 1;
            }
        }
        assert!(read > 5_000, "only {read} read without html5ever");
    }

    #[test]
    fn the_scan_reads_every_start_of_what_ammonia_writes() {
        let pieces: Vec<&str> = PIECES.split('|').collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut read, mut cuts) = (0, 0);
        for _ in 0..300 {
            let n = 1 + rng.below(30);
            let dirty: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
            let clean = html(&dirty, &url::Url::parse("https://wire.example/").unwrap());
            for end in (0..=clean.len()).filter(|&e| clean.is_char_boundary(e)) {
                let cut = &clean[..end];
                cuts += 1;
                if let Some(scanned) = text(cut) {
                    assert_eq!(scanned, parsed(cut), "{cut:?} of {dirty:?}");
                    read += 1;
                }
            }
        }
        assert!(read * 10 > cuts * 9, "only {read} of {cuts} read without html5ever");
    }
}
