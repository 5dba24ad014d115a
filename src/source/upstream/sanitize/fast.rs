//! FAST: ammonia's output, byte for byte, for the markup most items carry, written in one pass
//! without html5ever's tree: well-nested elements of a short list (paragraphs, links, images,
//! emphasis, lists, headings, quotes), plain attributes, character references ending in `;`,
//! comments, and scripts and styles to drop. Anything else answers `None`, and the caller
//! asks ammonia: a tag html5ever would close, reopen or move (a block inside `<p>`, `<li>`
//! outside a list, an end tag that is not the last one open), another element, a reference
//! not in HTML's table, a NUL, a byte order mark first.
//!
//! Why that is ammonia's answer: for such markup html5ever's tree is the tags as written (no
//! element is implied, closed early or reparented, and the adoption agency only pops what is
//! open), ammonia keeps every element here and filters attributes as [`attribute`] does, and
//! its serialiser escapes as [`push_text`] and [`push_value`] do. The tests hold it to ammonia
//! over generated markup.

use url::Url;

use self::allow::{CLOSES_P, ELEMENTS, FORMATTING, HEADINGS, LINK_REL, SCHEMES, VOID};
use self::tag::{is_name, raw_text, reference, start_tag};
use super::attributes::MAX_ATTRIBUTES;
use super::budget::MAX_NODES;
use memchr::{memchr, memchr2, memchr2_iter, memchr3};

/// Deepest nesting followed: well within every bound of `budget`.
const MAX_DEPTH: usize = 64;

/// Longest markup followed: with [`MAX_DEPTH`] and [`MAX_NODES`]` / 2` elements, html5ever's
/// scans of its stacks stay far under `budget`'s bound.
const MAX_BYTES: usize = 256 * 1024;

/// Formatting elements followed, and attributes on each: Noah's Ark's comparisons, as
/// `budget` estimates them (per element, the entries of its name held and created in the last
/// 512 bytes, about 240 at most here, times twice its attributes), stay under its bound of 2²².
const MAX_FORMATTING: usize = 1_000;
const MAX_FORMATTING_ATTRIBUTES: usize = 4;

/// Bound on what html5ever's serialiser scans (from each `&` and U+0080–U+00BF to the next
/// `<` or `>`): half of `budget`'s.
const MAX_ESCAPED: u64 = 1 << 31;

/// ammonia's cleaning of `html` (with relative URLs resolved against `base`), when it has the
/// shape described above.
pub(super) fn clean(html: &str, base: &Url) -> Option<String> {
    // html5ever reads a CR (with the LF after it, if any) as an LF, and drops a byte order mark
    // at the start of its input.
    let lf;
    let html = match memchr(b'\r', html.as_bytes()) {
        Some(_) => {
            lf = html.replace("\r\n", "\n").replace('\r', "\n");
            lf.as_str()
        }
        None => html,
    };
    let b = html.as_bytes();
    if b.len() > MAX_BYTES || memchr(0, b).is_some() || html.starts_with('\u{feff}') {
        return None;
    }
    let scan_starts = memchr2_iter(b'&', 0xc2, b).count() as u64;
    if scan_starts.saturating_mul(b.len() as u64) > MAX_ESCAPED {
        return None;
    }
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut open: Vec<&'static str> = Vec::new();
    let (mut elements, mut formatting) = (0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        let stop = memchr2(b'<', b'&', &b[i..]).map_or(b.len(), |p| i + p);
        push_text(&mut out, &html[i..stop]);
        i = stop;
        if i == b.len() {
            break;
        }
        if b[i] == b'&' {
            i = reference(html, i, &mut out, false)?;
            continue;
        }
        let rest = &html[i..];
        if let Some(body) = rest.strip_prefix("<!--") {
            // A comment: dropped. Not the ones html5ever ends early (`<!-->`, `--!>`).
            let end = body.find("-->")?;
            if body.starts_with('>') || body.starts_with("->") || body[..end].contains("--!") {
                return None;
            }
            i += 4 + end + 3;
            elements += 1;
        } else if let Some(end_tag) = rest.strip_prefix("</") {
            let len = end_tag.find('>')?;
            let name = &end_tag[..len];
            if !is_name(name) || open.last().is_none_or(|top| !top.eq_ignore_ascii_case(name)) {
                return None;
            }
            out.push_str("</");
            out.push_str(open.pop().expect("just seen"));
            out.push('>');
            i += 2 + len + 1;
        } else if rest.as_bytes().get(1).is_some_and(u8::is_ascii_alphabetic) {
            let tag = start_tag(rest)?;
            i += tag.len;
            elements += 1;
            if elements > MAX_NODES / 2 || tag.written > MAX_ATTRIBUTES {
                return None;
            }
            if matches!(tag.name.as_str(), "script" | "style") {
                // Dropped with what it holds, to its end tag (a comment in a script switches
                // the tokenizer to states not followed here).
                let (body, after) = raw_text(&html[i..], &tag.name)?;
                if tag.name == "script" && body.contains("<!--") {
                    return None;
                }
                i += after;
                continue;
            }
            let (name, kept) = ELEMENTS.iter().find(|(n, _)| *n == tag.name)?;
            if FORMATTING.contains(name) {
                formatting += 1;
                if formatting > MAX_FORMATTING || tag.written > MAX_FORMATTING_ATTRIBUTES {
                    return None;
                }
            }
            let void = VOID.contains(name);
            if tag.self_closing && !void
                || CLOSES_P.contains(name) && open.contains(&"p")
                || HEADINGS.contains(name) && open.iter().any(|o| HEADINGS.contains(o))
                || *name == "li" && !matches!(open.last(), Some(&"ul" | &"ol"))
                || *name == "a" && open.contains(&"a")
            {
                return None;
            }
            out.push('<');
            out.push_str(name);
            for (attr, value) in &tag.attributes {
                let Some(value) = attribute(kept, attr, value, base)? else { continue };
                out.push(' ');
                out.push_str(attr);
                out.push_str("=\"");
                push_value(&mut out, &value);
                out.push('"');
            }
            if *name == "a" {
                out.push_str(" rel=\"");
                out.push_str(LINK_REL);
                out.push('"');
            }
            out.push('>');
            if !void {
                open.push(name);
                if open.len() > MAX_DEPTH {
                    return None;
                }
            }
        } else if rest.as_bytes().get(1).is_none_or(|c| !matches!(c, b'!' | b'?' | b'/')) {
            // A `<` that opens no tag is text.
            out.push_str("&lt;");
            i += 1;
        } else {
            return None;
        }
    }
    // html5ever closes what is still open at the end, and the serialiser writes the end tags.
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some(out)
}

/// The value ammonia writes for the attribute `attr` of an element that keeps `kept` besides
/// the generic ones: `Some(None)` when it drops it; `None` when ammonia would drop it
/// in a way that reorders the attributes after it (a relative URL that does not join).
fn attribute(kept: &[&str], attr: &str, value: &str, base: &Url) -> Option<Option<String>> {
    if !matches!(attr, "lang" | "title" | "dir") && !kept.contains(&attr) {
        return Some(None);
    }
    // ammonia's URL attributes among those kept.
    if attr != "href" && attr != "src" {
        return Some(Some(value.to_owned()));
    }
    match Url::parse(value) {
        Ok(url) => Some(SCHEMES.contains(&url.scheme()).then(|| value.to_owned())),
        Err(url::ParseError::RelativeUrlWithoutBase) => base.join(value).ok().map(|u| Some(u.into())),
        Err(_) => Some(None),
    }
}

/// Text as html5ever's serialiser writes it.
fn push_text(out: &mut String, text: &str) {
    let b = text.as_bytes();
    // U+0080–U+00BF start with C2: rare outside Latin text, where each is checked for U+00A0.
    if memchr(0xc2, b).is_some() {
        return push_escaped(out, text, |c, next| match c {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            0xc2 if next == Some(0xa0) => Some("&nbsp;"),
            _ => None,
        });
    }
    let mut at = 0;
    while let Some(p) = memchr3(b'&', b'<', b'>', &b[at..]) {
        out.push_str(&text[at..at + p]);
        out.push_str(match b[at + p] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        at += p + 1;
    }
    out.push_str(&text[at..]);
}

/// `text`, each byte `escape` (given it and the next) names a replacement for replaced by it;
/// `0xc2` stands for the two bytes of U+00A0.
fn push_escaped(out: &mut String, text: &str, escape: impl Fn(u8, Option<u8>) -> Option<&'static str>) {
    let b = text.as_bytes();
    let mut at = 0;
    for (i, c) in b.iter().enumerate() {
        let Some(escaped) = escape(*c, b.get(i + 1).copied()) else { continue };
        out.push_str(&text[at..i]);
        out.push_str(escaped);
        at = i + if *c == 0xc2 { 2 } else { 1 };
    }
    out.push_str(&text[at..]);
}

/// An attribute value as html5ever's serialiser writes it.
fn push_value(out: &mut String, value: &str) {
    push_escaped(out, value, |c, next| match c {
        b'&' => Some("&amp;"),
        b'"' => Some("&quot;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        0xc2 if next == Some(0xa0) => Some("&nbsp;"),
        _ => None,
    });
}

mod allow;
mod tag;
#[cfg(test)]
mod tests;
