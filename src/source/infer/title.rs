//! Derives a title from an article's lede when its metadata gives none.
//!
//! The title is the lede's main clause: its first sentence, up to the first comma or semicolon
//! that starts a new clause. A comma followed by a complementiser (`أن`, `إن`, `that`) does not
//! end the clause: in "أكد فلان، أن …" the comma only sets off the speaker. When the clause is
//! longer than the limit it is cut at a word boundary — never mid-word — and gets an ellipsis;
//! an uncut title has none.

use super::fold_arabic;
use crate::source::prose;

/// Titles are cut to at most this many characters (before the ellipsis).
pub const MAX_TITLE_CHARS: usize = 110;

/// Words that continue a clause after a comma (compared after [`fold_arabic`]).
const COMPLEMENTISERS: &[&str] = &["ان", "انه", "انها", "بان", "بانه", "بانها", "that"];

const SENTENCE_ENDS: &[char] = &['.', '!', '?', '؟', '…'];
const CLAUSE_MARKS: &[char] = &['،', ',', '؛', ';'];
/// Punctuation a title should not end on.
const TRAILING: &[char] = &['،', ',', '؛', ';', ':', '-', '–', '—', '.', ' '];

/// The title for a lede, or `None` when the lede has no words.
pub fn derive_title(lede: &str) -> Option<String> {
    let clause = main_clause(first_sentence(lede.trim()));
    let clause = clause.trim_end_matches(TRAILING);
    if clause.is_empty() {
        return None;
    }
    if clause.chars().count() <= MAX_TITLE_CHARS {
        return Some(clause.to_owned());
    }
    let cut = cut_at_word(clause, MAX_TITLE_CHARS);
    Some(if cut.len() == clause.len() { cut.to_owned() } else { format!("{cut}…") })
}

/// Up to the first sentence end that is followed by whitespace or the end of the text
/// (so decimals such as `3.5` do not end a sentence).
fn first_sentence(text: &str) -> &str {
    for (i, c) in text.char_indices() {
        if SENTENCE_ENDS.contains(&c) {
            let rest = &text[i + c.len_utf8()..];
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                return &text[..i];
            }
        }
    }
    text
}

fn main_clause(sentence: &str) -> &str {
    for (i, c) in sentence.char_indices() {
        if CLAUSE_MARKS.contains(&c) {
            let next = sentence[i + c.len_utf8()..].split_whitespace().next().unwrap_or("");
            let next = fold_arabic(next.trim_matches(|c: char| !c.is_alphanumeric())).to_lowercase();
            if !COMPLEMENTISERS.contains(&next.as_str()) {
                return &sentence[..i];
            }
        }
    }
    sentence
}

/// The longest run of whole words within `max` characters, without trailing punctuation.
/// A first word longer than `max` is kept whole: cutting inside a word is never right.
fn cut_at_word(text: &str, max: usize) -> &str {
    let first_word = || &text[..text.find(char::is_whitespace).unwrap_or(text.len())];
    prose::cut_at_word(text, max).unwrap_or_else(first_word).trim_end_matches(TRAILING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_title_is_its_main_clause_cut_at_a_word() {
        let seed = include_str!("../../../feeds/russia-islamic-world/000_216685895bd1f649.txt");
        let lede = seed.lines().next().unwrap();
        let title = derive_title(lede).unwrap();
        assert!(title.starts_with("أكد رئيس هيئة الأركان المشتركة لـ \"منظمة معاهدة الأمن الجماعي\""), "{title}");
        assert!(title.ends_with('…'), "{title}");
        let body = title.trim_end_matches('…');
        assert!(body.chars().count() <= MAX_TITLE_CHARS);
        // The cut falls between two words of the lede.
        assert!(lede.starts_with(body));
        assert!(lede[body.len()..].starts_with(' '), "cut mid-word: {title}");
        // The clause goes past the speaker's comma (followed by أن).
        assert!(body.contains("سيدوروف، أن"), "{title}");
    }

    #[test]
    fn short_clauses_are_not_cut_and_get_no_ellipsis() {
        assert_eq!(derive_title("Rain falls in Cairo, and the Nile rises.").unwrap(), "Rain falls in Cairo");
        assert_eq!(derive_title("قال الوزير إن الاتفاق صامد.").unwrap(), "قال الوزير إن الاتفاق صامد");
        assert_eq!(derive_title("The rate rose 3.5 percent. Then it fell.").unwrap(), "The rate rose 3.5 percent");
        assert_eq!(derive_title("He said, that is all").unwrap(), "He said, that is all");
        assert_eq!(derive_title("وقال، بأن الأمر انتهى، وذلك أمس").unwrap(), "وقال، بأن الأمر انتهى");
    }

    #[test]
    fn long_clauses_are_cut_between_words() {
        let lede = "word ".repeat(40);
        let title = derive_title(&lede).unwrap();
        assert_eq!(title, format!("{}…", "word ".repeat(22).trim_end()));
        let giant = "x".repeat(200);
        assert_eq!(derive_title(&giant).unwrap(), giant);
        assert_eq!(derive_title(&format!("{giant} y")).unwrap(), format!("{giant}…"));
    }

    #[test]
    fn nothing_to_title() {
        assert_eq!(derive_title("  "), None);
        assert_eq!(derive_title("، ."), None);
    }
}
