//! ATTRIBUTES: no tag reaching html5ever has more than [`MAX_ATTRIBUTES`] attributes. Its
//! tokenizer checks each new attribute name against every earlier one of the same tag, so one
//! tag of n attributes costs n²: a 1 MiB tag, 150,000 attributes, is 10¹⁰ comparisons.
//!
//! Where a tag starts depends on states only the tree builder knows (is `<b` inside a
//! `<style>`, a comment, an attribute value?), so this pass does not decide: it follows every
//! `<` that could start a tag with a lexer of the tag and attribute states, and since they
//! only depend on the bytes from there on, lexers in the same state at the same byte are one
//! (keeping the higher count). At most ten are alive, so the pass is linear. When one would
//! start attribute number `MAX_ATTRIBUTES + 1`, a `>` goes in first: that ends the tag in every
//! state where an attribute can start, so whichever `<` html5ever takes for a tag, the tag ends
//! there. Elsewhere the `>` is a character of text or of a quoted value.

use std::borrow::Cow;

/// Most attributes a tag keeps; the rest of it is text. SVG and data-heavy markup stays far
/// below; html5ever's check then costs at most 128²/2 comparisons per tag of 128 attributes,
/// a few per byte.
pub const MAX_ATTRIBUTES: usize = 128;

/// The tokenizer's tag states (WHATWG HTML, 13.2.5.8–13.2.5.40), one index each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    TagName,
    BeforeName,
    Name,
    AfterName,
    BeforeValue,
    DoubleQuoted,
    SingleQuoted,
    Unquoted,
    AfterQuoted,
    SelfClosing,
}

const STATES: usize = 10;

/// The state after `b` (`None`: the tag ended), and whether `b` starts an attribute.
fn step(state: State, b: u8) -> (Option<State>, bool) {
    use State::*;
    let space = matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    match (state, b) {
        (DoubleQuoted, b'"') | (SingleQuoted, b'\'') => (Some(AfterQuoted), false),
        (DoubleQuoted | SingleQuoted, _) => (Some(state), false),
        (_, b'>') => (None, false),
        (TagName | Name | Unquoted | AfterQuoted | SelfClosing, _) if space => {
            (Some(if state == Name { AfterName } else { BeforeName }), false)
        }
        (BeforeName | AfterName | BeforeValue, _) if space => (Some(state), false),
        (TagName | BeforeName | Name | AfterName | AfterQuoted | SelfClosing, b'/') => (Some(SelfClosing), false),
        (Name | AfterName, b'=') => (Some(BeforeValue), false),
        (BeforeValue, b'"') => (Some(DoubleQuoted), false),
        (BeforeValue, b'\'') => (Some(SingleQuoted), false),
        (BeforeValue | Unquoted, _) => (Some(Unquoted), false),
        (TagName, _) => (Some(TagName), false),
        (Name, _) => (Some(Name), false),
        // Before an attribute, after one, after a quoted value (a parse error), after a `/`
        // that did not close the tag (one too): anything else starts an attribute.
        (BeforeName | AfterName | AfterQuoted | SelfClosing, _) => (Some(Name), true),
    }
}

/// The lexers alive: the attributes counted so far by the one in each state, which states
/// have one (a bit each: mostly one lexer, or none, is alive), and the most any has counted.
#[derive(Default)]
struct Lexers {
    counts: [usize; STATES],
    alive: u16,
    most: usize,
}

impl Lexers {
    fn feed(&mut self, b: u8) {
        let (mut counts, mut alive, mut most) = ([0; STATES], 0u16, 0);
        let mut bits = self.alive;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let (Some(state), started) = step(STATE_OF[i], b) {
                let count = self.counts[i] + usize::from(started);
                let slot = state as usize;
                counts[slot] = if alive & (1 << slot) != 0 { counts[slot].max(count) } else { count };
                alive |= 1 << slot;
                most = most.max(count);
            }
        }
        *self = Lexers { counts, alive, most };
    }

    fn idle(&self) -> bool {
        self.alive == 0
    }

    fn start(&mut self) {
        let slot = State::TagName as usize;
        if self.alive & (1 << slot) == 0 {
            self.counts[slot] = 0;
            self.alive |= 1 << slot;
        }
    }

    /// Whether `b` would start an attribute beyond the cap.
    fn over(&self, b: u8) -> bool {
        self.most >= MAX_ATTRIBUTES
            && (0..STATES)
                .any(|i| self.alive & (1 << i) != 0 && self.counts[i] >= MAX_ATTRIBUTES && step(STATE_OF[i], b).1)
    }
}

const STATE_OF: [State; STATES] = {
    use State::*;
    [TagName, BeforeName, Name, AfterName, BeforeValue, DoubleQuoted, SingleQuoted, Unquoted, AfterQuoted, SelfClosing]
};

/// `html` with a `>` before what would be attribute [`MAX_ATTRIBUTES`]` + 1` of any tag.
pub fn cap(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let letter = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_alphabetic);
    let mut lexers = Lexers::default();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if lexers.idle() {
            // Text: nothing to follow until the next `<`.
            match super::find_byte(&bytes[i..], |b| b == b'<') {
                Some(skip) => i += skip,
                None => break,
            }
        }
        let b = bytes[i];
        if lexers.over(b) {
            // An attribute starts at an ASCII byte after an ASCII byte: a character boundary.
            out.push_str(&html[copied..i]);
            out.push('>');
            copied = i;
            lexers.feed(b'>');
        }
        lexers.feed(b);
        // `<x` and `</x` may open a tag (a start tag, an end tag in any state). A `/` never
        // starts an attribute: it needs no check.
        if b == b'<' && letter(i + 1) {
            lexers.start();
        } else if b == b'<' && bytes.get(i + 1) == Some(&b'/') && letter(i + 2) {
            lexers.feed(b'/');
            i += 1;
            lexers.start();
        }
        i += 1;
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(attributes: usize) -> String {
        format!("<b{}>", (0..attributes).map(|i| format!(" a{i}")).collect::<String>())
    }

    #[test]
    fn a_tag_keeps_its_first_attributes_and_the_rest_is_text() {
        let fine = tag(MAX_ATTRIBUTES);
        assert_eq!(cap(&fine), fine);
        let over = tag(MAX_ATTRIBUTES + 2);
        let capped = cap(&over);
        let at = fine.len() - 1;
        assert_eq!(capped[..at], fine[..at]);
        assert_eq!(&capped[at..], format!(" >a{} a{}>", MAX_ATTRIBUTES, MAX_ATTRIBUTES + 1));
    }

    #[test]
    fn every_way_an_attribute_starts_is_counted() {
        // After a quoted value without a space, after a `/`, after `=`-less names, in end tags.
        let n = MAX_ATTRIBUTES + 1;
        for unit in [" a", "a=\"\"", "a/", " a=x", "\na"] {
            let names: String = (0..n).map(|i| unit.replace('a', &format!("a{i}"))).collect();
            for html in [format!("<b {names}>"), format!("</b {names}>")] {
                assert!(cap(&html).len() > html.len(), "{unit}: {html:.60}");
            }
        }
    }

    #[test]
    fn quotes_and_other_tags_do_not_hide_a_tag() {
        // html5ever sees `<i …>` as a tag after `</style>`; a single lexer from `<b` would have
        // been inside the quoted value.
        let many: String = (0..MAX_ATTRIBUTES + 1).map(|i| format!(" x{i}")).collect();
        let html = format!("<style><b a=\"</style><i{many}>\"");
        assert!(cap(&html).contains(&format!("x{} >x{}", MAX_ATTRIBUTES - 1, MAX_ATTRIBUTES)), "{}", cap(&html));
        // Quoted `>` and spaces never end or count.
        let quoted = format!("<img alt=\"{}\">", "a b > c ".repeat(1000));
        assert_eq!(cap(&quoted), quoted);
        assert_eq!(cap("x < y, a<b"), "x < y, a<b");
    }
}
