//! The tags, references and raw text [`clean`](super::clean) follows, read as html5ever's
//! tokenizer reads them, or not at all (`None`).

use html5ever::data::NAMED_ENTITIES;

use super::push_text;

/// A start tag as html5ever reads it: its name (lowercase), attributes (names lowercase, values
/// with references resolved, the first of a repeated name), whether it ends with `/>`, and its
/// length.
pub(super) struct StartTag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    /// Attributes as written, repeated names included.
    pub written: usize,
    pub self_closing: bool,
    pub len: usize,
}

/// HTML's whitespace in tags.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0c')
}

/// A tag or attribute name of ASCII letters, digits, `-` and `_`, starting with a letter.
pub(super) fn is_name(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// The start tag at the beginning of `rest` (`<` and a letter), when it has the plain shape.
pub(super) fn start_tag(rest: &str) -> Option<StartTag> {
    let b = rest.as_bytes();
    let name_end = 1 + b[1..].iter().position(|c| is_space(*c) || matches!(c, b'/' | b'>'))?;
    let name = &rest[1..name_end];
    if !is_name(name) {
        return None;
    }
    let mut tag =
        StartTag { name: name.to_ascii_lowercase(), attributes: Vec::new(), written: 0, self_closing: false, len: 0 };
    let mut i = name_end;
    loop {
        while b.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        match b.get(i)? {
            b'>' => {
                tag.len = i + 1;
                return Some(tag);
            }
            b'/' if b.get(i + 1) == Some(&b'>') => {
                (tag.self_closing, tag.len) = (true, i + 2);
                return Some(tag);
            }
            _ => {}
        }
        let attr_end = i + b[i..].iter().position(|c| is_space(*c) || matches!(c, b'/' | b'>' | b'='))?;
        let attr = &rest[i..attr_end];
        if !is_name(attr) {
            return None;
        }
        i = attr_end;
        let value = if b[i] == b'=' {
            i += 1;
            let (raw, after) = match b.get(i)? {
                q @ (b'"' | b'\'') => {
                    let len = rest[i + 1..].find(*q as char)?;
                    (&rest[i + 1..i + 1 + len], i + 1 + len + 1)
                }
                _ => {
                    let len = b[i..].iter().position(|c| is_space(*c) || *c == b'>').unwrap_or(b.len() - i);
                    let raw = &rest[i..i + len];
                    if raw.is_empty() || raw.bytes().any(|c| matches!(c, b'"' | b'\'' | b'<' | b'=' | b'`')) {
                        return None;
                    }
                    (raw, i + len)
                }
            };
            i = after;
            let mut value = String::with_capacity(raw.len());
            let mut at = 0;
            while let Some(amp) = raw[at..].find('&') {
                value.push_str(&raw[at..at + amp]);
                at = reference(raw, at + amp, &mut value, true)?;
            }
            value.push_str(&raw[at..]);
            value
        } else {
            // `name =value` is a value too: not followed.
            let next = b[i..].iter().position(|c| !is_space(*c)).map(|p| b[i + p]);
            if next == Some(b'=') {
                return None;
            }
            String::new()
        };
        // The first of a repeated name wins.
        tag.written += 1;
        let attr = attr.to_ascii_lowercase();
        if !tag.attributes.iter().any(|(a, _)| *a == attr) {
            tag.attributes.push((attr, value));
        }
        // Attributes are separated by whitespace.
        if b.get(i).is_some_and(|c| !is_space(*c) && !matches!(c, b'/' | b'>')) {
            return None;
        }
    }
}

/// The content of a `<script>` or `<style>` (`name`) that `rest` starts with, and where its
/// end tag ends.
pub(super) fn raw_text<'a>(rest: &'a str, name: &str) -> Option<(&'a str, usize)> {
    let b = rest.as_bytes();
    let mut at = 0;
    loop {
        let lt = at + rest[at..].find("</")?;
        let after = lt + 2 + name.len();
        if b.get(lt + 2..after).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes())) {
            return match b.get(after) {
                Some(b'>') => Some((&rest[..lt], after + 1)),
                // `</script >`, `</script/>`: html5ever ends it too; not followed.
                Some(c) if is_space(*c) || *c == b'/' => None,
                _ => {
                    at = lt + 2;
                    continue;
                }
            };
        }
        at = lt + 2;
    }
}

/// Resolves the reference at `html[at]` (an `&`) into `out` (as text, escaped for where it
/// goes: text is escaped by [`push_text`] here, attribute values later), and returns where it
/// ends: a numeric reference to a printable character, or a name with its `;` in HTML's
/// table. `&` before what names no reference is an `&`. `None` for a reference not followed.
pub(super) fn reference(html: &str, at: usize, out: &mut String, in_attribute: bool) -> Option<usize> {
    let b = html.as_bytes();
    let push = |out: &mut String, c: char| match in_attribute {
        true => out.push(c),
        false => push_text(out, c.encode_utf8(&mut [0; 4])),
    };
    match b.get(at + 1) {
        Some(b'#') => {
            let semi = at + html[at..].find(';')?;
            let digits = &html[at + 2..semi];
            let code = match digits.strip_prefix(['x', 'X']) {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit()) && hex.len() <= 6 => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                None if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) && digits.len() <= 7 => {
                    digits.parse().ok()?
                }
                _ => return None,
            };
            // Printable characters only: html5ever replaces or reports the rest.
            let plain = matches!(code, 0x9 | 0xA | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0xFFFD)
                || (0x1_0000..=0x10_FFFF).contains(&code) && code & 0xFFFE != 0xFFFE;
            if !plain {
                return None;
            }
            push(out, char::from_u32(code)?);
            Some(semi + 1)
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            let len = b[at + 1..].iter().position(|c| !c.is_ascii_alphanumeric()).unwrap_or(b.len() - at - 1);
            match b.get(at + 1 + len) {
                // A name with its `;` in html5ever's table is the longest match there is, in text
                // and in attributes alike. Without the `;`, a prefix may match a legacy name
                // (`&copy2023` is ©2023): not followed.
                Some(b';') => {
                    let (first, second) = *NAMED_ENTITIES.get(&html[at + 1..at + len + 2])?;
                    push(out, char::from_u32(first)?);
                    if second != 0 {
                        push(out, char::from_u32(second)?);
                    }
                    Some(at + len + 2)
                }
                // In an attribute, no reference is read before `=` (a query string's `&b=2`).
                Some(b'=') if in_attribute => {
                    out.push('&');
                    Some(at + 1)
                }
                _ => None,
            }
        }
        _ => {
            push(out, '&');
            Some(at + 1)
        }
    }
}
