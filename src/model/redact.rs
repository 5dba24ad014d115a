//! A source URL is configuration, never content: its `user:password@` and the query values that
//! look like secrets (a private feed's `?token=…`) must not reach an output file, a log line, a
//! metric or an error message. Two views of a URL, one for each kind of place.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// Query keys whose values are secrets when the key *contains* one of these (case-insensitive):
/// `api_key`, `access_token`, `X-Amz-Signature`, `passwd`, `client_secret`, `authkey`, ….
const SECRET_PARTS: &[&str] =
    &["key", "token", "secret", "pass", "pwd", "auth", "sig", "session", "credential", "jwt", "bearer"];
/// Short keys that are secrets only when they are the whole key (`sid`, but not `side`).
const SECRET_KEYS: &[&str] = &["sid", "code", "hash", "otp", "ticket", "nonce", "hmac"];

/// Whether a query key names a secret.
fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_PARTS.iter().any(|p| key.contains(p)) || SECRET_KEYS.contains(&key.as_str())
}

/// `url` for logs and error messages: no userinfo, and every secret-looking query value
/// replaced by `***` (the key stays, so an operator still sees which parameter was sent).
pub fn for_logs(url: &Url) -> Url {
    rewrite(url, |(k, v)| {
        let v = if is_secret(&k) { "***".into() } else { v };
        Some((k, v))
    })
}

/// `url` for published files: no userinfo, and secret-looking query pairs left out.
pub fn for_output(url: &Url) -> Url {
    rewrite(url, |(k, v)| (!is_secret(&k)).then_some((k, v)))
}

/// `url` with no userinfo, query or fragment: what is left of a fetch URL that may carry a
/// secret under any name (`?u=…`).
pub fn bare(url: &Url) -> Url {
    let mut url = url.clone();
    // Fails only for URLs that cannot have userinfo (no host); then there is none to remove.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// A capability URL (a WebSub callback) as logs and `Debug` may show it: scheme and host only,
/// since its path and query are as secret as a password.
pub fn capability(url: &Url) -> String {
    format!("{}://{}/…", url.scheme(), url.host_str().unwrap_or("?"))
}

/// `text` (an error message, a line of a config file) with every URL-like `scheme://user:pw@`
/// and every secret-looking `key=value` query pair redacted: for text that may hold a URL that
/// never parsed, so [`for_logs`] cannot be used. Everything from `://` to the last `@` of a
/// whitespace-free run goes, so a password holding `/` or `@` is hidden too (an `@` in a path
/// hides a little more than needed: a message loses detail, never a secret).
pub fn in_text(text: &str) -> Cow<'_, str> {
    static USERINFO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?i)([a-z][a-z0-9+.-]*://)[^\s"'<>]*@"#).expect("a valid pattern"));
    static PAIRS: LazyLock<Regex> = LazyLock::new(|| {
        let parts = SECRET_PARTS.join("|");
        let keys = SECRET_KEYS.join("|");
        let pattern = format!(r#"(?i)([?&;](?:[^=&\s"'#]*(?:{parts})[^=&\s"'#]*|{keys})=)[^&\s"'#]*"#);
        Regex::new(&pattern).expect("a valid pattern")
    });
    match USERINFO.replace_all(text, "${1}***@") {
        Cow::Borrowed(_) => PAIRS.replace_all(text, "${1}***"),
        Cow::Owned(s) => Cow::Owned(PAIRS.replace_all(&s, "${1}***").into_owned()),
    }
}

impl super::Origin {
    /// The upstream feed's URL as a published file may show it ([`for_output`]): the importer
    /// stores no credentials, and this keeps items stored by earlier releases from showing theirs.
    pub fn shown_feed_url(&self) -> Url {
        for_output(&self.feed_url)
    }
}

type Pair = (String, String);

fn rewrite(url: &Url, keep: impl Fn(Pair) -> Option<Pair>) -> Url {
    let mut out = url.clone();
    let _ = out.set_username("");
    let _ = out.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<Pair> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if pairs.iter().any(|(k, _)| is_secret(k)) {
            let kept: Vec<Pair> = pairs.into_iter().filter_map(keep).collect();
            if kept.is_empty() {
                out.set_query(None);
            } else {
                out.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show() {
        let u = Url::parse("https://user:hunter2@wire.example/feed?Token=s3cret&page=2&X-Amz-Signature=abc&sid=9#top")
            .unwrap();
        let logs = for_logs(&u).to_string();
        assert_eq!(logs, "https://wire.example/feed?Token=***&page=2&X-Amz-Signature=***&sid=***#top");
        assert_eq!(for_output(&u).as_str(), "https://wire.example/feed?page=2#top");
        assert_eq!(bare(&u).as_str(), "https://wire.example/feed");
        let only = Url::parse("https://wire.example/f?api_key=k").unwrap();
        assert_eq!(for_output(&only).as_str(), "https://wire.example/f");
        // Nothing secret: left exactly as it was (no re-encoding of the query).
        let plain = Url::parse("https://wire.example/f?side=left&q=a%20b").unwrap();
        assert_eq!(for_logs(&plain), plain);
        assert_eq!(for_output(&plain), plain);
    }

    #[test]
    fn secrets_in_text_never_show() {
        let line = r#"invalid URL (in `url = "http://u:p@ss@[wire.example/f?a=1&access_token=s3cret&sid=9"`)"#;
        let shown = in_text(line);
        assert!(!shown.contains("p@ss") && !shown.contains("s3cret") && !shown.contains("=9"), "{shown}");
        assert!(shown.contains("http://***@[wire.example/f?a=1&access_token=***&sid=***"), "{shown}");
        assert_eq!(in_text("no secret: https://wire.example/f?side=1"), "no secret: https://wire.example/f?side=1");
    }
}
