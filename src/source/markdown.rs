//! Markdown articles with optional TOML front matter between `+++` lines.

use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::{SourceError, meta::Meta, prose};

/// A Markdown article, rendered and sanitised.
#[derive(Debug, Clone)]
pub struct MarkdownArticle {
    /// The front matter (empty when there is none).
    pub meta: Meta,
    /// The body as sanitised HTML.
    pub body_html: String,
    /// The first paragraph as plain text (the lede).
    pub lede: String,
    /// All text, plain, for date inference.
    pub plain: String,
}

const FENCE: &str = "+++";

/// Splits off and parses the front matter, then renders the body.
pub fn parse(text: &str, path: &Path) -> Result<MarkdownArticle, SourceError> {
    let (meta, body) = split_front_matter(text, path)?;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let events: Vec<Event> = Parser::new_ext(body, options).collect();
    let (lede, plain) = plain_text(&events);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(MarkdownArticle { meta, body_html: sanitize(&html), lede, plain })
}

/// Local articles are trusted more than upstream ones, but raw HTML in Markdown still goes
/// through the same allowlist: feeds are read in other people's software.
pub fn sanitize(html: &str) -> String {
    super::upstream::sanitize::allowlist().clean(html).to_string()
}

fn split_front_matter<'a>(text: &'a str, path: &Path) -> Result<(Meta, &'a str), SourceError> {
    let Some(rest) = text.strip_prefix(FENCE).filter(|r| r.starts_with('\n') || r.starts_with("\r\n")) else {
        return Ok((Meta::default(), text));
    };
    let rest = rest.trim_start_matches('\r').strip_prefix('\n').unwrap_or(rest);
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == FENCE {
            let meta = super::toml_at_line(&rest[..offset], path, 2)?;
            return Ok((meta, &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(SourceError::FrontMatter {
        path: path.to_owned(),
        line: 1,
        message: "front matter opened with +++ is never closed by a +++ line".into(),
    })
}

/// The first paragraph's text and all the text, from the parser's events.
fn plain_text(events: &[Event]) -> (String, String) {
    let (mut lede, mut all) = (String::new(), String::new());
    let (mut in_first, mut seen_first) = (false, false);
    for event in events {
        match event {
            Event::Start(Tag::Paragraph) if !seen_first => in_first = true,
            Event::End(TagEnd::Paragraph) if in_first => {
                in_first = false;
                seen_first = true;
            }
            Event::Text(t) | Event::Code(t) => {
                if in_first {
                    lede.push_str(t);
                }
                all.push_str(t);
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) => {
                if in_first {
                    lede.push(' ');
                }
                all.push('\n');
            }
            _ => {}
        }
    }
    (prose::collapse_whitespace(&lede), all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_body_and_lede() {
        let md = "+++\ntitle = \"T\"\ndate = 2024-01-02\n+++\nFirst *para*\ngraph.\n\nSecond.\n";
        let a = parse(md, Path::new("a.md")).unwrap();
        assert_eq!(a.meta.title.as_deref(), Some("T"));
        assert_eq!(a.lede, "First para graph.");
        assert_eq!(a.body_html, "<p>First <em>para</em>\ngraph.</p>\n<p>Second.</p>\n");
    }

    #[test]
    fn no_front_matter_is_fine() {
        let a = parse("Just text.", Path::new("a.md")).unwrap();
        assert!(a.meta.title.is_none());
        assert_eq!(a.lede, "Just text.");
    }

    #[test]
    fn scripts_go_and_direction_stays() {
        let a = parse(
            "<p dir=\"rtl\" lang=\"ar\" onclick=\"x()\">نص</p><script>alert(1)</script>\n\n[x](javascript:alert(1))",
            Path::new("a.md"),
        )
        .unwrap();
        assert!(a.body_html.contains("dir=\"rtl\""), "{}", a.body_html);
        assert!(a.body_html.contains("lang=\"ar\""), "{}", a.body_html);
        assert!(!a.body_html.contains("script") && !a.body_html.contains("onclick"), "{}", a.body_html);
        assert!(!a.body_html.contains("javascript"), "{}", a.body_html);
    }

    #[test]
    fn front_matter_errors_name_the_file_line() {
        let e = parse("+++\ntitle = \"T\"\nbogus = 1\n+++\nx", Path::new("a.md")).unwrap_err().to_string();
        assert!(e.starts_with("a.md:3: "), "{e}");
        assert!(e.contains("bogus"), "{e}");
        let e = parse("+++\ntitle = \"T\"\n", Path::new("a.md")).unwrap_err().to_string();
        assert!(e.contains("never closed"), "{e}");
    }
}
