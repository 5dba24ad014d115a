//! Plain-text articles: paragraphs are the non-empty lines; trailer lines at the end (the
//! publisher's name, a photo credit, the source attribution) are lifted out of the body.

use crate::model::Credit;

/// A plain-text article split into body and trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextArticle {
    /// Body paragraphs, trimmed, in order.
    pub paragraphs: Vec<String>,
    /// `Photo: …` / `الصورة: …`.
    pub photo_credit: Option<Credit>,
    /// `Source: …` / `المصدر: …`.
    pub source: Option<Credit>,
    /// Whether the publisher's name stood as a trailer line.
    pub publisher_line: bool,
}

const PHOTO_LABELS: &[&str] = &["Photo", "Photo credit", "Image", "الصورة", "صورة"];
const SOURCE_LABELS: &[&str] = &["Source", "المصدر", "مصدر"];

/// Splits `text` into paragraphs and trailers; `publisher` is the feed's publisher name.
///
/// Trailers are only recognised in a run at the end of the article, each kind once, so a
/// paragraph that happens to begin with "Source:" in the middle of the text stays body.
pub fn parse(text: &str, publisher: &str) -> TextArticle {
    let mut paragraphs: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    let mut article = TextArticle { paragraphs: Vec::new(), photo_credit: None, source: None, publisher_line: false };
    while let Some(last) = paragraphs.last() {
        if !article.publisher_line && last == publisher.trim() {
            article.publisher_line = true;
        } else if let (None, Some(c)) = (&article.photo_credit, labelled(last, PHOTO_LABELS)) {
            article.photo_credit = Some(c);
        } else if let (None, Some(c)) = (&article.source, labelled(last, SOURCE_LABELS)) {
            article.source = Some(c);
        } else {
            break;
        }
        paragraphs.pop();
    }
    article.paragraphs = paragraphs;
    article
}

/// `Label: value` with one of `labels` (ASCII case ignored) and a non-empty value.
fn labelled(line: &str, labels: &[&str]) -> Option<Credit> {
    let (label, value) = line.split_once(':')?;
    let value = value.trim();
    let known = labels.iter().any(|l| l.eq_ignore_ascii_case(label.trim()));
    (known && !value.is_empty()).then(|| Credit { line: line.to_owned(), value: value.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHER: &str = "مجموعة الرؤية الإستراتيجية \"روسيا - العالم الإسلامي\"";

    #[test]
    fn the_seed_splits_into_five_paragraphs_and_three_trailers() {
        let seed = include_str!("../../feeds/russia-islamic-world/000_216685895bd1f649.txt");
        let a = parse(seed, PUBLISHER);
        assert_eq!(a.paragraphs.len(), 5);
        assert!(a.paragraphs[0].starts_with("أكد رئيس هيئة الأركان"));
        assert!(a.publisher_line);
        let photo = a.photo_credit.unwrap();
        assert_eq!(photo.line, "Photo: Public Domain/Collective Security Treaty Organization");
        assert_eq!(photo.value, "Public Domain/Collective Security Treaty Organization");
        assert_eq!(a.source.unwrap().value, "تاس");
    }

    #[test]
    fn trailers_in_any_order_and_blank_lines() {
        let a = parse("One.\n\n  Two.  \r\nالمصدر: رويترز\n\nالصورة: أ ف ب\n", "Pub");
        assert_eq!(a.paragraphs, ["One.", "Two."]);
        assert_eq!(a.source.unwrap().value, "رويترز");
        assert_eq!(a.photo_credit.unwrap().value, "أ ف ب");
        assert!(!a.publisher_line);
    }

    #[test]
    fn labels_inside_the_body_stay_body() {
        let a = parse("Source: of the Nile is far.\nIt is long.", "Pub");
        assert_eq!(a.paragraphs.len(), 2);
        assert!(a.source.is_none());
        // Each kind is taken once; a second source line is body.
        let a = parse("Body.\nSource: A\nSource: B", "Pub");
        assert_eq!(a.source.unwrap().value, "B");
        assert_eq!(a.paragraphs, ["Body.", "Source: A"]);
        // An empty value is not a credit.
        assert_eq!(parse("Body.\nPhoto:", "Pub").paragraphs.len(), 2);
    }
}
