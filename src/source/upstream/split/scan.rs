//! The strict XML scan behind [`super::split`]: one pass over the bytes that finds each item's
//! span and checks well-formedness as far as reading a feed needs — every element closed by its
//! own name, one root, nothing but markup and space outside it, quoted attributes, no `<` in
//! an attribute value, and no entity but the five XML defines and valid character references.
//!
//! Hand-written rather than quick-xml's: quick-xml makes an event of every `&lt;` in escaped
//! HTML (65,000 in a 4 MB feed of 1,000 items), and that cost more than parsing what a re-poll
//! reads. Text is skipped with memchr here, and only its `&`s are looked at.

use std::ops::Range;

use memchr::{memchr, memmem};

use super::{IllFormed, MAX_DEPTH, Scan, is_context, is_item, local_name};

/// An open element: its start tag and, within it, its name.
struct Open {
    tag: Range<usize>,
    name: Range<usize>,
}

pub(super) fn scan(text: &str, limit: usize) -> Result<Scan, IllFormed> {
    let b = text.as_bytes();
    let fail = |at: usize, message: &str| Err(IllFormed::at(text, at, message));
    let mut open: Vec<Open> = Vec::new();
    let mut item: Option<(usize, usize)> = None;
    // Past the limit only the first start and the last end are kept, and the count.
    let (mut items, mut rest): (Vec<_>, Option<(std::ops::Range<usize>, usize)>) = (Vec::new(), None);
    let mut found = |span: Range<usize>, open: &[Open]| {
        if items.len() < limit {
            items.push((span, open.iter().map(|o| o.tag.clone()).collect()));
        } else if let Some((r, n)) = &mut rest {
            (r.end, *n) = (span.end, *n + 1);
        } else {
            rest = Some((span, 1));
        }
    };
    let (mut context, mut in_context): (Vec<Range<usize>>, Option<(usize, usize)>) = (Vec::new(), None);
    let mut root = String::new();
    let (mut seen_root, mut root_closed) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let lt = memchr(b'<', &b[i..]).map_or(b.len(), |p| i + p);
        if lt > i {
            let run = &text[i..lt];
            if open.is_empty() {
                if !run.bytes().all(|c| c.is_ascii_whitespace()) {
                    let what = if seen_root { "text after the root element" } else { "text before the root element" };
                    return fail(i, what);
                }
            } else {
                references(text, i, lt)?;
            }
        }
        if lt == b.len() {
            break;
        }
        let rest = &b[lt..];
        i = if rest.starts_with(b"<!--") {
            after(b, lt + 4, b"-->").ok_or_else(|| IllFormed::at(text, lt, "a comment never closed"))?
        } else if rest.starts_with(b"<![CDATA[") {
            if open.is_empty() {
                return fail(lt, "text outside the root element");
            }
            after(b, lt + 9, b"]]>").ok_or_else(|| IllFormed::at(text, lt, "a CDATA section never closed"))?
        } else if rest.starts_with(b"<?") {
            let end = after(b, lt + 2, b"?>")
                .ok_or_else(|| IllFormed::at(text, lt, "a processing instruction never closed"))?;
            let target = &rest[2..rest.len().min(5)];
            if lt > 0
                && target.eq_ignore_ascii_case(b"xml")
                && rest.get(5).is_none_or(|c| c.is_ascii_whitespace() || *c == b'?')
            {
                return fail(lt, "a second XML declaration");
            }
            end
        } else if rest.starts_with(b"<!") {
            if seen_root {
                return fail(lt, "a DOCTYPE inside the document");
            }
            doctype_end(b, lt).ok_or_else(|| IllFormed::at(text, lt, "a DOCTYPE never closed"))?
        } else if rest.starts_with(b"</") {
            let name_end =
                lt + 2 + rest[2..].iter().position(|c| c.is_ascii_whitespace() || *c == b'>').unwrap_or(rest.len() - 2);
            let close = memchr(b'>', &b[name_end..])
                .map(|p| name_end + p)
                .ok_or_else(|| IllFormed::at(text, lt, "an end tag never closed"))?;
            if !b[name_end..close].iter().all(u8::is_ascii_whitespace)
                || !b[lt + 2..name_end].iter().all(|c| is_name_byte(*c))
            {
                return fail(lt, "junk in an end tag");
            }
            let Some(top) = open.pop() else { return fail(lt, "an end tag with no element open") };
            if b[top.name.clone()] != b[lt + 2..name_end] {
                let message = format!("</{}> closes <{}>", &text[lt + 2..name_end], &text[top.name.clone()]);
                return Err(IllFormed::at(text, lt, message));
            }
            if let Some((at, depth)) = in_context
                && depth == open.len()
            {
                context.push(at..close + 1);
                in_context = None;
            }
            if let Some((at, depth)) = item
                && depth == open.len()
            {
                found(at..close + 1, &open);
                item = None;
            }
            root_closed = open.is_empty();
            close + 1
        } else {
            if root_closed {
                return fail(lt, "a second root element");
            }
            let (end, name, empty) = start_tag(text, lt)?;
            let local = local_name(&text[name.clone()]);
            if !seen_root {
                root = local.to_owned();
            }
            seen_root = true;
            let parent = open.last().map(|o| local_name(&text[o.name.clone()]));
            let is_new_item = item.is_none() && is_item(local, open.len(), parent, &root);
            let is_new_context = item.is_none() && in_context.is_none() && is_context(local, open.len(), &root);
            if empty {
                root_closed = open.is_empty();
                if is_new_item {
                    found(lt..end, &open);
                } else if is_new_context {
                    context.push(lt..end);
                }
            } else {
                if open.len() >= MAX_DEPTH {
                    return Err(IllFormed::at(text, lt, format!("elements nest deeper than {MAX_DEPTH}")));
                }
                if is_new_item {
                    item = Some((lt, open.len()));
                } else if is_new_context {
                    in_context = Some((lt, open.len()));
                }
                open.push(Open { tag: lt..end, name });
            }
            end
        };
    }
    if !open.is_empty() {
        return Err(IllFormed::at(text, text.len(), format!("{} elements never closed", open.len())));
    }
    if !seen_root {
        return fail(text.len(), "no root element");
    }
    Ok(Scan { items, rest, context })
}

/// Just past the first `needle` at or after `from`.
fn after(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memmem::find(b.get(from..)?, needle).map(|p| from + p + needle.len())
}

/// Just past the `>` that ends the DOCTYPE (or other `<!` declaration) at `lt`: quotes and an
/// internal subset in brackets may hold a `>`.
fn doctype_end(b: &[u8], lt: usize) -> Option<usize> {
    let (mut i, mut depth, mut quote) = (lt + 2, 0usize, None);
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            // Comments and processing instructions in the internal subset may hold anything.
            None if depth > 0 && b[i..].starts_with(b"<!--") => i = after(b, i + 4, b"-->")? - 1,
            None if depth > 0 && b[i..].starts_with(b"<?") => i = after(b, i + 2, b"?>")? - 1,
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return Some(i + 1),
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// The start tag at `lt`: where it ends, its name, and whether it is empty (`/>`).
fn start_tag(text: &str, lt: usize) -> Result<(usize, Range<usize>, bool), IllFormed> {
    let b = text.as_bytes();
    let malformed = |at: usize| IllFormed::at(text, at, "a malformed tag");
    let name_end = lt
        + 1
        + b[lt + 1..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
            .unwrap_or(b.len() - lt - 1);
    if name_end == lt + 1 || !name_start(text[lt + 1..].chars().next()) {
        return Err(IllFormed::at(text, lt, "a '<' that starts no markup"));
    }
    if !b[lt + 1..name_end].iter().all(|c| is_name_byte(*c)) {
        return Err(malformed(lt));
    }
    let mut i = name_end;
    loop {
        let spaced = i < b.len() && b[i].is_ascii_whitespace();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i) {
            None => return Err(IllFormed::at(text, lt, "a tag never closed")),
            Some(b'>') => return Ok((i + 1, lt + 1..name_end, false)),
            Some(b'/') if b.get(i + 1) == Some(&b'>') => return Ok((i + 2, lt + 1..name_end, true)),
            Some(_) if !spaced => return Err(malformed(i)),
            Some(_) => {
                // name = "value" or 'value'
                let eq = memchr(b'=', &b[i..]).map(|p| i + p).ok_or_else(|| malformed(i))?;
                let name = text[i..eq].trim_end();
                if name.is_empty()
                    || name.bytes().any(|c| c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'/' | b'"' | b'\''))
                {
                    return Err(malformed(i));
                }
                let mut q = eq + 1;
                while q < b.len() && b[q].is_ascii_whitespace() {
                    q += 1;
                }
                let quote = *b.get(q).filter(|c| matches!(c, b'"' | b'\'')).ok_or_else(|| malformed(q))?;
                let close = memchr(quote, &b[q + 1..]).map(|p| q + 1 + p).ok_or_else(|| malformed(q))?;
                if memchr(b'<', &b[q + 1..close]).is_some() {
                    return Err(IllFormed::at(text, q, "a '<' in an attribute value"));
                }
                references(text, q + 1, close)?;
                i = close + 1;
            }
        }
    }
}

/// Whether `c` may start an XML name (ASCII letters, `_`, `:`, and anything beyond ASCII).
fn name_start(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii())
}

/// Checks every `&` in `text[from..to]`: the five entities XML defines, or a character
/// reference to a character XML allows.
fn references(text: &str, from: usize, to: usize) -> Result<(), IllFormed> {
    let b = &text.as_bytes()[..to];
    let mut i = from;
    while let Some(p) = memchr(b'&', &b[i..]) {
        let amp = i + p;
        i = match b.get(amp + 1) {
            Some(b'#') => char_ref(b, amp).ok_or_else(|| IllFormed::at(text, amp, "an invalid character reference"))?,
            _ => {
                // A name, then `;`: any name longer than XML's five is undefined anyway.
                let len = b[amp + 1..].iter().take(64).position(|c| !is_name_byte(*c));
                let Some(len) = len.filter(|l| *l > 0 && b.get(amp + 1 + l) == Some(&b';')) else {
                    return Err(IllFormed::at(text, amp, "a bare '&'"));
                };
                let name = &text[amp + 1..amp + 1 + len];
                if !matches!(name, "lt" | "gt" | "amp" | "apos" | "quot") {
                    return Err(IllFormed::at(text, amp, format!("undefined entity &{name};")));
                }
                amp + len + 2
            }
        };
    }
    Ok(())
}

/// Just past the character reference at `amp` (`&#65;`, `&#x41;`, any number of leading
/// zeros), when it is one to a character XML allows.
fn char_ref(b: &[u8], amp: usize) -> Option<usize> {
    let hex = b.get(amp + 2) == Some(&b'x');
    let (radix, start) = if hex { (16, amp + 3) } else { (10, amp + 2) };
    let mut n: u32 = 0;
    let mut i = start;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix)) {
        n = n.saturating_mul(radix).saturating_add(d);
        i += 1;
    }
    if i == start || b.get(i) != Some(&b';') {
        return None;
    }
    let c = char::from_u32(n)?;
    let allowed = matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'));
    allowed.then_some(i + 1)
}

/// Whether `c` may be in an XML name: ASCII letters, digits, `-._:`, and anything beyond ASCII.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b':') || c >= 0x80
}
