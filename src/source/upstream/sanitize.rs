//! SANITIZE: upstream HTML through ammonia's allowlist — no scripts, event handlers,
//! `javascript:` URLs, iframes or styles — keeping `dir` and `lang`, which Arabic and
//! mixed-direction text depends on, with relative URLs made absolute.

mod attributes;

use std::cell::RefCell;
use std::collections::HashSet;

use url::Url;

pub use attributes::MAX_ATTRIBUTES;

use crate::model::is_unfit;

thread_local! {
    // Building an allowlist fills a dozen hash sets: as costly as cleaning a short item, so
    // each thread builds its two once (a builder is not `Sync`; only the base URL changes).
    static HTML: RefCell<ammonia::Builder<'static>> = RefCell::new({
        let mut builder = ammonia::Builder::default();
        builder
            .add_generic_attributes(["dir", "lang"])
            // Links leave the publisher's site: no referrer, no window.opener.
            .link_rel(Some("noopener noreferrer nofollow"));
        builder
    });
    static TEXT: ammonia::Builder<'static> = {
        let mut builder = ammonia::Builder::empty();
        builder.tags(HashSet::new());
        builder
    };
}

/// Deepest element nesting sanitised as HTML; deeper markup keeps only its text. html5ever's
/// tree builder scans the stack of open elements at every tag, so its time grows with the
/// square of the depth: one item of 100,000 nested `<div>`s took 287 s. Browsers stop nesting
/// at 512 too (Chromium's parser limit).
const MAX_DEPTH: usize = 512;

/// Cleans upstream HTML; relative URLs are resolved against `base`.
pub fn html(dirty: &str, base: &Url) -> String {
    let dirty = xml_safe(dirty);
    let dirty = attributes::cap(&dirty);
    if let Some(text) = too_deep(&dirty) {
        return text_to_html(&text);
    }
    HTML.with_borrow_mut(|builder| {
        builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        builder.clean(&dirty).to_string()
    })
}

/// `text` without the characters no feed of ours carries ([`is_unfit`]: controls XML 1.0
/// forbids or discourages): a JSON Feed may hold them, our XML feeds may not.
pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(is_unfit) { text.replace(is_unfit, "").into() } else { text.into() }
}

/// The text of `html` when its elements nest deeper than [`MAX_DEPTH`]; found with html5ever's
/// tokenizer, which is linear.
fn too_deep(html: &str) -> Option<String> {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};

    #[derive(Default)]
    struct Depth {
        depth: std::cell::Cell<usize>,
        max: std::cell::Cell<usize>,
        text: RefCell<String>,
    }
    impl TokenSink for Depth {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            match token {
                Token::TagToken(tag) => {
                    // Void elements never open anything (HTML's list).
                    let void = matches!(
                        &*tag.name,
                        "area"
                            | "base"
                            | "br"
                            | "col"
                            | "embed"
                            | "hr"
                            | "img"
                            | "input"
                            | "link"
                            | "meta"
                            | "param"
                            | "source"
                            | "track"
                            | "wbr"
                    );
                    match tag.kind {
                        TagKind::StartTag if !tag.self_closing && !void => {
                            self.depth.set(self.depth.get() + 1);
                            self.max.set(self.max.get().max(self.depth.get()));
                        }
                        TagKind::EndTag if !void => self.depth.set(self.depth.get().saturating_sub(1)),
                        _ => {}
                    }
                }
                Token::CharacterTokens(t) => self.text.borrow_mut().push_str(&t),
                _ => {}
            }
            TokenSinkResult::Continue
        }
    }
    let tokenizer = Tokenizer::new(Depth::default(), Default::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    (tokenizer.sink.max.get() > MAX_DEPTH).then(|| tokenizer.sink.text.take())
}

/// Plain text for a title: tags dropped and entities decoded when it was HTML, whitespace
/// collapsed.
pub fn plain_text(text: &str, is_html: bool) -> String {
    let text = if is_html {
        let stripped = TEXT.with(|builder| builder.clean(&attributes::cap(text)).to_string());
        html_escape::decode_html_entities(&stripped).into_owned()
    } else {
        text.to_owned()
    };
    let text = xml_safe(&text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text as HTML paragraphs, escaped.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", html_escape::encode_text(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_dangerous_and_keeps_direction() {
        let base = Url::parse("https://wire.example/news/1").unwrap();
        let dirty = r#"<p dir="rtl" lang="ar" onclick="steal()" style="color:red">نص <a href="javascript:alert(1)">x</a>
            <a href="/2">y</a><img src="pic.jpg" onerror="x()"></p><script>alert(1)</script><iframe src="https://evil"></iframe>"#;
        let clean = html(dirty, &base);
        for bad in ["onclick", "style", "javascript:", "script", "iframe", "onerror", "alert"] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains(r#"dir="rtl""#) && clean.contains(r#"lang="ar""#), "{clean}");
        assert!(clean.contains(r#"href="https://wire.example/2""#), "{clean}");
        assert!(clean.contains(r#"src="https://wire.example/news/pic.jpg""#), "{clean}");
    }

    #[test]
    fn absurd_nesting_keeps_only_its_text_and_controls_go() {
        let base = Url::parse("https://wire.example/").unwrap();
        let deep = format!("{}نص{}", "<div>".repeat(MAX_DEPTH + 1), "</div>".repeat(MAX_DEPTH + 1));
        assert_eq!(html(&deep, &base), "<p>نص</p>");
        let fine = format!("{}نص<br><img src=a.png>{}", "<div>".repeat(MAX_DEPTH), "</div>".repeat(MAX_DEPTH));
        assert!(html(&fine, &base).starts_with("<div><div>"), "void elements and {MAX_DEPTH} levels are fine");
        assert_eq!(plain_text("a\u{7}b\u{0}c\u{1b}[31m", false), "abc[31m");
        assert_eq!(html("<p>x\u{c}y</p>", &base), "<p>xy</p>");
    }

    #[test]
    fn titles_are_plain_text() {
        assert_eq!(plain_text("<b>عاجل</b>: &amp; <script>x</script>  خبر", true), "عاجل: & خبر");
        assert_eq!(plain_text("a <b> c", false), "a <b> c");
        assert_eq!(text_to_html("one\n\ntwo < three"), "<p>one</p>\n<p>two &lt; three</p>");
    }
}
