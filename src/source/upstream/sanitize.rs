//! SANITIZE: upstream HTML through ammonia's allowlist — no scripts, event handlers,
//! `javascript:` URLs, iframes or styles — keeping `dir` and `lang`, which Arabic and
//! mixed-direction text depends on, with relative URLs made absolute.

use std::cell::RefCell;
use std::collections::HashSet;

use url::Url;

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

/// Cleans upstream HTML; relative URLs are resolved against `base`.
pub fn html(dirty: &str, base: &Url) -> String {
    HTML.with_borrow_mut(|builder| {
        builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        builder.clean(dirty).to_string()
    })
}

/// Plain text for a title: tags dropped and entities decoded when it was HTML, whitespace
/// collapsed.
pub fn plain_text(text: &str, is_html: bool) -> String {
    let text = if is_html {
        let stripped = TEXT.with(|builder| builder.clean(text).to_string());
        html_escape::decode_html_entities(&stripped).into_owned()
    } else {
        text.to_owned()
    };
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
    fn titles_are_plain_text() {
        assert_eq!(plain_text("<b>عاجل</b>: &amp; <script>x</script>  خبر", true), "عاجل: & خبر");
        assert_eq!(plain_text("a <b> c", false), "a <b> c");
        assert_eq!(text_to_html("one\n\ntwo < three"), "<p>one</p>\n<p>two &lt; three</p>");
    }
}
