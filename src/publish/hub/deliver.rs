//! Content distribution (W3C WebSub 7): the new document, as readers get it, POSTed to each
//! subscriber's callback, signed when it gave a secret, retried with growing pauses.

use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use hyper::header::{self, HeaderValue};
use sha2::Sha256;

use crate::store::{HubSecret, Subscription};

/// One version of a topic, to distribute.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its path on the site (the store's key for its subscriptions).
    pub path: String,
    /// Its `ETag`: the version.
    pub etag: String,
    /// Its `Content-Type`.
    pub content_type: HeaderValue,
    /// `Link: <hub>; rel="hub", <topic>; rel="self"` (7: every distribution names both).
    pub link: HeaderValue,
    /// The bytes readers get.
    pub bytes: Bytes,
}

/// Pauses before each retry of a failing distribution: eight tries over about 80 minutes
/// (7: "up to self-imposed limits on the number of times and the overall time period").
pub const RETRY_PAUSES: [Duration; 7] = {
    let s = Duration::from_secs;
    [s(1), s(4), s(16), s(64), s(256), s(1024), s(3600)]
};

/// `X-Hub-Signature`'s value: `sha256=` and the HMAC of `body` keyed by `secret`, in hex (7.1).
pub fn signature(secret: &HubSecret, body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", crate::model::digest::hex(&mac.finalize().into_bytes()))
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Attempt {
    /// 2xx.
    Sent,
    /// 410: the subscriber ended the subscription.
    Gone,
    /// Anything else: why.
    Failed(String),
}

/// POSTs `doc` to `sub`'s callback once.
pub(super) async fn attempt(
    client: &reqwest::Client,
    doc: &Document,
    sub: &Subscription,
    signed: Option<&str>,
) -> Attempt {
    let mut request = client
        .post(sub.callback.clone())
        .header(header::CONTENT_TYPE, doc.content_type.clone())
        .header(header::LINK, doc.link.clone())
        .body(doc.bytes.clone());
    if let Some(signature) = signed {
        request = request.header("x-hub-signature", signature);
    }
    match request.send().await {
        Ok(answer) if answer.status().is_success() => Attempt::Sent,
        Ok(answer) if answer.status() == reqwest::StatusCode::GONE => Attempt::Gone,
        Ok(answer) => Attempt::Failed(format!("HTTP {}", answer.status())),
        Err(e) => Attempt::Failed(e.without_url().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        let secret = HubSecret::new("Jefe".into());
        assert_eq!(
            signature(&secret, b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
