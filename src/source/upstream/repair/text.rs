//! Character data: references made ones XML knows, stray markup escaped, forbidden characters
//! dropped; and the byte classes the scanner needs.

use super::Fixes;

/// Whether a name starts at `b[at]`.
pub(super) fn starts_name(b: &[u8], at: usize) -> bool {
    b.get(at).is_some_and(|&c| is_name_start(c)) && forbidden_at(b, at) == 0
}

/// Whether `c` may start a name. Every non-ASCII byte may (XML allows most of Unicode, and a
/// strict reader does not check which) but a forbidden character's, so a name ends only at an
/// ASCII byte or a forbidden character: always on a character boundary.
fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

/// Whether `c` may continue a name.
fn is_name_char(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'-' || c == b'.'
}

/// XML white space.
pub(super) fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first position at or after `at` that is not white space.
pub(super) fn skip_ws(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(|&c| is_ws(c)) {
        at += 1;
    }
    at
}

/// Where the name starting at `at` ends.
pub(super) fn name_end(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(|&c| is_name_char(c)) && forbidden_at(b, at) == 0 {
        at += 1;
    }
    at
}

/// The length of the character XML 1.0 forbids at `at` (a C0 control but tab, LF and CR, or
/// U+FFFE or U+FFFF), 0 when there is none.
pub(super) fn forbidden_at(b: &[u8], at: usize) -> usize {
    match b.get(at..).unwrap_or_default() {
        [c, ..] if *c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') => 1,
        [0xEF, 0xBF, 0xBE | 0xBF, ..] => 3,
        _ => 0,
    }
}

/// The first position of `pat` at or after `from`.
pub(super) fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(pat.len()).position(|w| w == pat).map(|p| from + p)
}

/// The first position of `c` at or after `from`, else the end.
pub(super) fn find_byte(b: &[u8], from: usize, c: u8) -> usize {
    b.get(from..).and_then(|rest| rest.iter().position(|&x| x == c)).map_or(b.len(), |p| from + p)
}

/// Whether `code` is a character XML 1.0 allows.
fn is_xml_char(code: u32) -> bool {
    matches!(code, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// `s` as is, but for the characters XML forbids (in CDATA, PIs, a DOCTYPE).
/// `end` is what ends the construct (`]]>` for CDATA, `?>` for a PI): where a dropped character
/// had bytes of it on both sides (`]\u{1}]>`), a space goes in its place, so none ends early.
pub(super) fn copy_allowed(s: &[u8], end: &[u8], out: &mut Vec<u8>, fixes: &mut Fixes) {
    let (mut run, mut k) = (0, 0);
    while k < s.len() {
        match forbidden_at(s, k) {
            0 => k += 1,
            len => {
                out.extend_from_slice(&s[run..k]);
                fixes.forbidden_chars += 1;
                k += len;
                run = k;
                if out.last().is_some_and(|c| end.contains(c)) && s.get(k).is_some_and(|c| end.contains(c)) {
                    out.push(b' ');
                }
            }
        }
    }
    out.extend_from_slice(&s[run..]);
}

/// A comment's body (between `<!--` and `-->`), with a space into every `--` and after a final
/// `-`, which XML forbids there; and without forbidden characters.
pub(super) fn fix_comment(body: &[u8], out: &mut Vec<u8>, fixes: &mut Fixes) {
    let (mut run, mut k, mut dash) = (0, 0, false);
    while k < body.len() {
        let len = forbidden_at(body, k);
        if len > 0 {
            // `dash` stays: what was on either side of the dropped character now meets.
            out.extend_from_slice(&body[run..k]);
            fixes.forbidden_chars += 1;
            k += len;
            run = k;
            continue;
        }
        if body[k] == b'-' && dash {
            out.extend_from_slice(&body[run..k]);
            out.push(b' ');
            fixes.tags_fixed += 1;
            run = k;
        }
        dash = body[k] == b'-';
        k += 1;
    }
    out.extend_from_slice(&body[run..]);
    if dash {
        out.push(b' ');
        fixes.tags_fixed += 1;
    }
}

/// Text (`quote` None) or an attribute value delimited by `quote`, made well-formed: references
/// fixed, `<` (values) and the `>` of `]]>` (text) escaped, forbidden characters dropped, the
/// delimiter escaped (it can only occur in a value that was unquoted).
pub(super) fn fix_chars(s: &[u8], quote: Option<u8>, out: &mut Vec<u8>, fixes: &mut Fixes) {
    let (mut run, mut k) = (0, 0);
    while k < s.len() {
        let c = s[k];
        let (replacement, next): (&[u8], usize) = match c {
            b'&' => {
                out.extend_from_slice(&s[run..k]);
                k = reference(s, k, out, fixes);
                run = k;
                continue;
            }
            b'<' => {
                fixes.stray_lts += 1;
                (b"&lt;", k + 1)
            }
            b'>' if quote.is_none() => {
                // What is written decides: a dropped character may have joined `]]` and `>`.
                out.extend_from_slice(&s[run..k]);
                run = k;
                if !out.ends_with(b"]]") {
                    k += 1;
                    continue;
                }
                fixes.stray_lts += 1;
                (b"&gt;", k + 1)
            }
            b'"' if quote == Some(b'"') => (b"&#34;", k + 1),
            b'\'' if quote == Some(b'\'') => (b"&#39;", k + 1),
            _ => match forbidden_at(s, k) {
                0 => {
                    k += 1;
                    continue;
                }
                len => {
                    fixes.forbidden_chars += 1;
                    (b"", k + len)
                }
            },
        };
        out.extend_from_slice(&s[run..k]);
        out.extend_from_slice(replacement);
        k = next;
        run = k;
    }
    out.extend_from_slice(&s[run..]);
}

/// The reference (or bare `&`) at `s[at]`, written well-formed to `out`; returns where it ends.
fn reference(s: &[u8], at: usize, out: &mut Vec<u8>, fixes: &mut Fixes) -> usize {
    let rest = &s[at + 1..];
    match rest.first() {
        Some(b'#') => {
            let hex = matches!(rest.get(1), Some(b'x' | b'X'));
            let digits = if hex { 2 } else { 1 };
            let mut end = digits;
            let mut code: u32 = 0;
            while let Some(d) = rest.get(end).and_then(|&c| (c as char).to_digit(if hex { 16 } else { 10 })) {
                // Saturating past the last code point: a run of digits stays invalid, not wrapped.
                code = code.saturating_mul(if hex { 16 } else { 10 }).saturating_add(d).min(0x11_0000);
                end += 1;
            }
            if end == digits || rest.get(end) != Some(&b';') {
                return bare(at, out, fixes);
            }
            if !is_xml_char(code) {
                fixes.forbidden_chars += 1;
            } else if rest[1] == b'X' {
                // HTML allows `&#X41;`, XML only the lower case.
                fixes.html_entities += 1;
                out.extend_from_slice(format!("&#x{code:X};").as_bytes());
            } else {
                out.extend_from_slice(&s[at..at + end + 2]);
            }
            at + end + 2
        }
        Some(_) if starts_name(rest, 0) => {
            let end = name_end(rest, 0);
            if rest.get(end) != Some(&b';') {
                return bare(at, out, fixes);
            }
            let name = &rest[..end];
            if matches!(name, b"amp" | b"lt" | b"gt" | b"quot" | b"apos") {
                out.extend_from_slice(&s[at..at + end + 2]);
            } else if let Some(value) = html_entity(name) {
                fixes.html_entities += 1;
                for ch in value.chars() {
                    // ASCII punctuation (`&AMP;`, `&lsqb;`, `&Tab;`) as a reference, so it can
                    // never be markup or be normalised away in an attribute.
                    if ch.is_ascii() && !ch.is_ascii_alphanumeric() {
                        out.extend_from_slice(format!("&#x{:X};", ch as u32).as_bytes());
                    } else {
                        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                }
            } else {
                // Never expanded, whatever a DOCTYPE declared: it reads as the text it was.
                fixes.unknown_entities += 1;
                out.extend_from_slice(b"&amp;");
                out.extend_from_slice(&rest[..=end]);
            }
            at + end + 2
        }
        _ => bare(at, out, fixes),
    }
}

/// A bare `&`, escaped.
fn bare(at: usize, out: &mut Vec<u8>, fixes: &mut Fixes) -> usize {
    fixes.bare_amps += 1;
    out.extend_from_slice(b"&amp;");
    at + 1
}

/// The characters of the HTML named reference `&name;` (html-escape's copy of the WHATWG table).
fn html_entity(name: &[u8]) -> Option<&'static str> {
    let table = &html_escape::NAMED_ENTITIES;
    table.binary_search_by(|(n, _)| n.cmp(&name)).ok().map(|i| table[i].1)
}
