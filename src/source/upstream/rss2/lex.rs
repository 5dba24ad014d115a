//! The markup of one item, as the events quick-xml gives feed-rs, for text the strict scan
//! ([`split`](crate::source::upstream::split)) has found well-formed. quick-xml checks every
//! event's bytes as UTF-8 again, and escaped HTML is an event per `&lt;`: that check was a
//! third of reading an item. Here the text is a `&str` already, cut only at ASCII.

use memchr::{memchr, memchr2, memmem};

/// One event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// A start tag: its qualified name, and the whole tag (`<name …>`).
    Start(&'a str, &'a str),
    /// An empty-element tag (`<name …/>`).
    Empty(&'a str, &'a str),
    End,
    /// Character data, as written (no reference in it).
    Text(&'a str),
    /// A CDATA section's content.
    CData(&'a str),
    /// A reference's name: `amp`, `#38`, `#x26`.
    Ref(&'a str),
    /// A comment or processing instruction.
    Other,
}

/// The events of `text`, in order; `None` at its end, or where it is not well-formed after
/// all (the caller then leaves the item to feed-rs).
pub(super) struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Lexer { text, at: 0 }
    }

    /// The next event.
    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
        let (text, b, at) = (self.text, self.text.as_bytes(), self.at);
        match b.get(at)? {
            b'<' => {
                let rest = &b[at..];
                let (token, end) = if rest.starts_with(b"<!--") {
                    (Token::Other, at + 4 + memmem::find(&rest[4..], b"-->")? + 3)
                } else if rest.starts_with(b"<![CDATA[") {
                    let len = memmem::find(&rest[9..], b"]]>")?;
                    (Token::CData(&text[at + 9..at + 9 + len]), at + 9 + len + 3)
                } else if rest.starts_with(b"<?") {
                    (Token::Other, at + 2 + memmem::find(&rest[2..], b"?>")? + 2)
                } else if rest.starts_with(b"</") {
                    (Token::End, at + memchr(b'>', rest)? + 1)
                } else {
                    let end = at + tag_end(rest)?;
                    let tag = &text[at..end];
                    let name_end = tag[1..].find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')? + 1;
                    let name = &tag[1..name_end];
                    match tag.ends_with("/>") {
                        true => (Token::Empty(name, tag), end),
                        false => (Token::Start(name, tag), end),
                    }
                };
                self.at = end;
                Some(token)
            }
            b'&' => {
                let semi = at + memchr(b';', &b[at..])?;
                self.at = semi + 1;
                Some(Token::Ref(&text[at + 1..semi]))
            }
            _ => {
                let end = memchr2(b'<', b'&', &b[at..]).map_or(b.len(), |p| at + p);
                self.at = end;
                Some(Token::Text(&text[at..end]))
            }
        }
    }

    /// Skips to the end of the element whose start tag was the last event.
    pub(super) fn skip_element(&mut self) -> Option<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next_token()? {
                Token::Start(..) => depth += 1,
                Token::End => depth -= 1,
                _ => {}
            }
        }
        Some(())
    }
}

/// Where the start tag at the beginning of `rest` ends (past its `>`): the first `>` outside
/// a quoted attribute value.
fn tag_end(rest: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, c) in rest.iter().enumerate() {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(*c),
            (Some(q), c) if q == *c => quote = None,
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// What the reference named `name` stands for, as quick-xml resolves it for feed-rs: a
/// character, or a predefined entity's; any other entity as written. `None` for a character
/// reference outside XML's characters (the scan refuses those first).
pub(super) fn push_reference(out: &mut String, name: &str) -> Option<()> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        // XML's Char production; quick-xml refuses the rest.
        let allowed = matches!(code, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x1_0000..=0x10_FFFF);
        if !allowed || !number.bytes().skip(usize::from(number.starts_with('x'))).all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        out.push(char::from_u32(code)?);
        return Some(());
    }
    match name {
        "lt" => out.push('<'),
        "gt" => out.push('>'),
        "amp" => out.push('&'),
        "apos" => out.push('\''),
        "quot" => out.push('"'),
        other => {
            out.push('&');
            out.push_str(other);
            out.push(';');
        }
    }
    Some(())
}
