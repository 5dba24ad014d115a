//! Evidence about what a document is really in, for when what it declares is in doubt: how
//! much of it is UTF-8, and how implausible a reading of it looks as text.
//!
//! Both are only consulted off the common path (bytes that are not what they say), and the
//! implausibility scan reads a bounded prefix, so a large document costs no more than a small one.

use encoding_rs::Encoding;

/// How much of the decoded text the implausibility scan reads, from its first non-ASCII word.
const SCAN_CHARS: usize = 16 * 1024;

/// How many bytes the UTF-8 census reads, around the first that is not UTF-8.
const CENSUS_BYTES: usize = 64 * 1024;

/// Fewer words with non-ASCII letters than this is too little to overrule a declaration on.
const MIN_WORDS: usize = 3;

/// How a document that is not valid UTF-8 splits into UTF-8 and not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    /// Valid multi-byte UTF-8 sequences.
    pub multibyte: usize,
    /// Runs of bytes that are not UTF-8.
    pub invalid: usize,
}

impl Census {
    /// Counts the bytes around the first that is not UTF-8 (up to [`CENSUS_BYTES`]): where a
    /// stray byte sits in UTF-8, or where legacy text starts breaking it.
    pub fn around_first_error(bytes: &[u8]) -> Self {
        let first = Encoding::utf8_valid_up_to(bytes);
        let mut start = first.saturating_sub(CENSUS_BYTES / 2);
        // From a character's start, not its middle (at most three continuation bytes back).
        while start < first && (0x80..0xC0).contains(&bytes[start]) {
            start += 1;
        }
        Self::of(&bytes[start..bytes.len().min(first + CENSUS_BYTES / 2)])
    }

    /// Counts `bytes`.
    pub fn of(mut bytes: &[u8]) -> Self {
        let mut census = Census { multibyte: 0, invalid: 0 };
        loop {
            let valid = Encoding::utf8_valid_up_to(bytes);
            // A lead byte (0xC0 and up) starts each multi-byte sequence, once.
            census.multibyte += bytes[..valid].iter().filter(|&&b| b >= 0xC0).count();
            let Some(rest) = bytes.get(valid + 1..) else { return census };
            census.invalid += 1;
            bytes = rest;
        }
    }

    /// Whether the bytes are UTF-8 with a few stray bytes in something else (an item pasted
    /// from a Latin-1 page, a truncated character) rather than a legacy encoding. Legacy text
    /// forms valid UTF-8 sequences only by chance, and far fewer than it breaks: Arabic in
    /// windows-1256 has a letter pair that is not UTF-8 in nearly every word.
    pub fn mostly_utf8(&self) -> bool {
        self.multibyte > 0 && self.multibyte >= 2 * self.invalid
    }
}

/// `bytes` read as UTF-8 where they are, and byte by byte as `fallback` (single-byte) where
/// they are not: the stray bytes of a mostly-UTF-8 document come out as their author meant,
/// not as U+FFFD. Returns the text and how many bytes were not UTF-8.
pub fn mixed(bytes: &[u8], fallback: &'static Encoding) -> (String, usize) {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut stray = 0;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        stray += chunk.invalid().len();
        text.push_str(&fallback.decode_without_bom_handling(chunk.invalid()).0);
    }
    (text, stray)
}

/// How implausible `text` is as a decoding: the share (0 to 1) of its words with non-ASCII
/// letters that no language writes — a lower-case letter followed by an upper-case one
/// ("пРИВЕТ": koi8-r read as windows-1251), a long word all in capitals ("ЗДРАВСТВУЙ" is how
/// lower-case koi8-r reads), letters of two alphabets side by side, three or more accented Latin
/// letters and no plain one ("ÇáÎÈÑ": Arabic read as windows-1252), or letters run together
/// with symbols ("Ã©", "ÇáÚ×È"). Real text almost never does any of these, which is what keeps
/// a legitimate windows-1252 feed from being "corrected". 0 when there are too few such words
/// to judge. A word here is what whitespace separates, punctuation and all.
pub fn implausibility(text: &str) -> f32 {
    let mut words = 0usize;
    let mut odd = 0usize;
    let mut word = Word::default();
    // Markup and ASCII text before the first non-ASCII letter hold no word to judge.
    let ascii = Encoding::ascii_valid_up_to(text.as_bytes());
    let from = text.as_bytes()[..ascii].iter().rposition(u8::is_ascii_whitespace).unwrap_or(0);
    for c in text[from..].chars().take(SCAN_CHARS).chain(std::iter::once(' ')) {
        if !c.is_whitespace() {
            word.push(c);
            continue;
        }
        if word.non_ascii {
            words += 1;
            odd += usize::from(word.odd());
        }
        word = Word::default();
    }
    if words < MIN_WORDS { 0.0 } else { odd as f32 / words as f32 }
}

/// What [`implausibility`] tracks of one word as it goes.
#[derive(Default)]
struct Word {
    letters: usize,
    /// Whether it has a non-ASCII letter (only such words are judged).
    non_ascii: bool,
    /// Letters that are plain ASCII.
    ascii: usize,
    /// Accented Latin letters (Latin-1 Supplement and Latin Extended).
    accented: usize,
    upper: usize,
    /// The previous character, when it was a letter: its script, and whether it was small.
    last: Option<(Script, bool)>,
    lower_then_upper: bool,
    two_alphabets: bool,
    symbols: bool,
}

impl Word {
    fn push(&mut self, c: char) {
        if !c.is_alphabetic() {
            self.symbols |= odd_symbol(c);
            self.last = None;
            return;
        }
        self.letters += 1;
        let script = if c.is_ascii() { Script::Latin } else { script(c) };
        if c.is_ascii() {
            self.ascii += 1;
        } else {
            self.non_ascii = true;
            self.accented += usize::from(script == Script::Latin);
        }
        let upper = c.is_uppercase();
        self.upper += usize::from(upper);
        if let Some((last, small)) = self.last {
            // A capital right after a small letter: "пРИВЕТ", "ÏðÈâ".
            self.lower_then_upper |= upper && small;
            // Scripts change between words, not inside one (CJK, kana, Hangul mix with anything).
            self.two_alphabets |= last != script && last != Script::Other && script != Script::Other;
        }
        self.last = Some((script, c.is_lowercase()));
    }

    fn odd(&self) -> bool {
        let shouting = self.letters >= 5 && self.upper == self.letters && self.ascii == 0 && self.accented == 0;
        let all_accented = self.accented >= 3 && self.accented == self.letters;
        self.lower_then_upper || self.two_alphabets || shouting || all_accented || self.symbols
    }
}

/// Latin-1 and windows-1252 symbols that text keeps apart from letters but a mis-decoding of
/// letters puts among them (punctuation a language uses, such as « » ¿ ¡ ·, is not one).
fn odd_symbol(c: char) -> bool {
    matches!(c, '\u{A2}'..='\u{A9}' | '\u{AC}'..='\u{B6}' | '\u{B8}' | '\u{B9}' | '\u{BC}'..='\u{BE}')
        || matches!(c, '×' | '÷' | '†' | '‡' | '‰' | 'ƒ' | 'ˆ' | '˜' | '™')
}

/// The alphabets a mis-decoding mixes up; everything else (CJK, kana, Hangul …) is `Other`,
/// which mixes with anything without being odd ("iPhoneを").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Hebrew,
    Arabic,
    Thai,
    Other,
}

fn script(c: char) -> Script {
    match c {
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Script::Latin,
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Script::Greek,
        '\u{0400}'..='\u{052F}' => Script::Cyrillic,
        '\u{0590}'..='\u{05FF}' | '\u{FB1D}'..='\u{FB4F}' => Script::Hebrew,
        '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}' => {
            Script::Arabic
        }
        '\u{0E00}'..='\u{0E7F}' => Script::Thai,
        _ => Script::Other,
    }
}
