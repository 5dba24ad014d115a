//! SUBSCRIBE: the subscriber's side of WebSub for upstream sources — asking a hub for pushes
//! (§5.1), reading its verification of intent (§5.3), and checking the signature of what it
//! pushes (§8). Pure apart from [`ask`]; the pipeline keeps the state.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use url::Url;

use crate::model::redact;

/// What a request asks of the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ask {
    /// `hub.mode=subscribe`.
    Subscribe,
    /// `hub.mode=unsubscribe`.
    Unsubscribe,
}

impl Ask {
    /// The `hub.mode` value, and the metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Ask::Subscribe => "subscribe",
            Ask::Unsubscribe => "unsubscribe",
        }
    }
}

/// The hub did not take a request.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// The SSRF guard refused the hub's address; nothing was sent.
    #[error("{}: refused: {reason}", redact::for_logs(.hub))]
    Refused {
        /// The hub.
        hub: Url,
        /// Why.
        reason: String,
    },
    /// It could not be reached.
    #[error("{}: {message}", redact::for_logs(.hub))]
    Unreachable {
        /// The hub.
        hub: Url,
        /// Why (the client's error, without the URL).
        message: String,
    },
    /// It answered something other than 2xx.
    #[error("{}: HTTP {status}", redact::for_logs(.hub))]
    Status {
        /// The hub.
        hub: Url,
        /// Its answer.
        status: u16,
    },
}

/// One request to a hub.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// Subscribe or unsubscribe.
    pub ask: Ask,
    /// The hub.
    pub hub: &'a Url,
    /// The topic.
    pub topic: &'a Url,
    /// Where the hub calls back (a capability: never logged).
    pub callback: &'a Url,
    /// `hub.secret` (subscribe only).
    pub secret: &'a str,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The callback is a capability URL and the secret a secret: neither is shown.
        f.debug_struct("Request")
            .field("ask", &self.ask)
            .field("hub", &redact::for_logs(self.hub))
            .field("callback", &redact::capability(self.callback))
            .finish_non_exhaustive()
    }
}

/// Sends `request` with `client` (which goes through the SSRF guard); `Ok` when the hub took it
/// (2xx, usually 202: it verifies later, by calling back). `refused` is the guard's verdict on
/// the hub's address, when it is a literal the guard refuses.
pub async fn ask(client: &reqwest::Client, request: Request<'_>, refused: Option<String>) -> Result<(), AskError> {
    let hub = request.hub;
    if let Some(reason) = refused {
        return Err(AskError::Refused { hub: hub.clone(), reason });
    }
    let body = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("hub.mode", request.ask.as_str())
            .append_pair("hub.topic", request.topic.as_str())
            .append_pair("hub.callback", request.callback.as_str());
        if request.ask == Ask::Subscribe {
            form.append_pair("hub.secret", request.secret);
        }
        form.finish()
    };
    let sent = client
        .post(hub.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    // reqwest's message names the URL, which may carry a token: said without it.
    let response =
        sent.map_err(|e| AskError::Unreachable { hub: hub.clone(), message: e.without_url().to_string() })?;
    match response.status() {
        s if s.is_success() => Ok(()),
        s => Err(AskError::Status { hub: hub.clone(), status: s.as_u16() }),
    }
}

/// What a hub's verification request (a GET to the callback) asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Confirm a subscription (or its renewal) for `lease`.
    Subscribe {
        /// `hub.topic`.
        topic: String,
        /// `hub.challenge`, to echo.
        challenge: String,
        /// `hub.lease_seconds`, when given.
        lease: Option<Duration>,
    },
    /// Confirm the end of a subscription.
    Unsubscribe {
        /// `hub.topic`.
        topic: String,
        /// `hub.challenge`, to echo.
        challenge: String,
    },
    /// The hub refused the subscription (§5.2).
    Denied {
        /// `hub.topic`.
        topic: String,
        /// `hub.reason`, when given: said in the log, bounded.
        reason: Option<String>,
    },
}

/// Longest challenge echoed: hubs send 32 to 64 characters; a megabyte is not echoed.
pub const MAX_CHALLENGE: usize = 1024;

/// Reads a verification request's query; the error names the parameter.
pub fn verification(query: &str) -> Result<Verification, String> {
    let (mut mode, mut topic, mut challenge, mut lease, mut reason) = (None, None, None, None, None);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "hub.mode" => &mut mode,
            "hub.topic" => &mut topic,
            "hub.challenge" => &mut challenge,
            "hub.lease_seconds" => &mut lease,
            "hub.reason" => &mut reason,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(format!("{name} is given twice"));
        }
    }
    let topic = topic.ok_or("hub.topic is missing")?;
    let challenge = || -> Result<String, String> {
        let c = challenge.clone().filter(|c| !c.is_empty()).ok_or("hub.challenge is missing")?;
        if c.len() > MAX_CHALLENGE {
            return Err(format!("hub.challenge is longer than {MAX_CHALLENGE} bytes"));
        }
        Ok(c)
    };
    match mode.as_deref() {
        Some("subscribe") => {
            let lease = match lease {
                None => None,
                Some(l) => Some(Duration::from_secs(
                    l.trim().parse::<u64>().map_err(|_| "hub.lease_seconds is not a whole number of seconds")?,
                )),
            };
            Ok(Verification::Subscribe { topic, challenge: challenge()?, lease })
        }
        Some("unsubscribe") => Ok(Verification::Unsubscribe { topic, challenge: challenge()? }),
        Some("denied") => {
            let reason = reason.map(|r| r.chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect());
            Ok(Verification::Denied { topic, reason })
        }
        Some(other) => Err(format!("hub.mode {:?} is not subscribe, unsubscribe or denied", redact::in_text(other))),
        None => Err("hub.mode is missing".into()),
    }
}

/// Why a push is not taken (§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    /// No `X-Hub-Signature`: every subscription is made with a secret, so every push is signed.
    #[error("the push is not signed (no X-Hub-Signature)")]
    Missing,
    /// Not `method=hex`, or a method other than sha1, sha256, sha384 and sha512.
    #[error("X-Hub-Signature is not sha1=, sha256=, sha384= or sha512= with a hex digest")]
    Malformed,
    /// The HMAC does not match the body.
    #[error("X-Hub-Signature does not match the body")]
    Mismatch,
}

/// Checks `header` (the value of `X-Hub-Signature`) against the HMAC of `body` keyed with
/// `secret`, in constant time, with whichever of the four methods of §8 the hub used.
pub fn check_signature(header: Option<&str>, secret: &[u8], body: &[u8]) -> Result<(), BadSignature> {
    let (method, hex) = header.ok_or(BadSignature::Missing)?.trim().split_once('=').ok_or(BadSignature::Malformed)?;
    let digest = from_hex(hex).ok_or(BadSignature::Malformed)?;
    fn verify<M: Mac + KeyInit>(secret: &[u8], body: &[u8], digest: &[u8]) -> Result<(), BadSignature> {
        let mut mac = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(body);
        mac.verify_slice(digest).map_err(|_| BadSignature::Mismatch)
    }
    match method.to_ascii_lowercase().as_str() {
        "sha1" => verify::<hmac::Hmac<sha1::Sha1>>(secret, body, &digest),
        "sha256" => verify::<hmac::Hmac<sha2::Sha256>>(secret, body, &digest),
        "sha384" => verify::<hmac::Hmac<sha2::Sha384>>(secret, body, &digest),
        "sha512" => verify::<hmac::Hmac<sha2::Sha512>>(secret, body, &digest),
        _ => Err(BadSignature::Malformed),
    }
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || hex.len() > 128 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign<M: Mac + KeyInit>(secret: &[u8], body: &[u8]) -> String {
        let mut mac = <M as KeyInit>::new_from_slice(secret).unwrap();
        mac.update(body);
        crate::model::digest::hex(&mac.finalize().into_bytes())
    }

    #[test]
    fn every_method_of_section_8_is_checked() {
        let (secret, body) = (b"s3cret".as_slice(), b"<rss/>".as_slice());
        let cases = [
            ("sha1", sign::<hmac::Hmac<sha1::Sha1>>(secret, body)),
            ("sha256", sign::<hmac::Hmac<sha2::Sha256>>(secret, body)),
            ("sha384", sign::<hmac::Hmac<sha2::Sha384>>(secret, body)),
            ("SHA512", sign::<hmac::Hmac<sha2::Sha512>>(secret, body)),
        ];
        for (method, hex) in cases {
            let header = format!("{method}={hex}");
            assert_eq!(check_signature(Some(&header), secret, body), Ok(()), "{method}");
            assert_eq!(check_signature(Some(&header), b"other", body), Err(BadSignature::Mismatch), "{method}");
            assert_eq!(check_signature(Some(&header), secret, b"<rss />"), Err(BadSignature::Mismatch));
        }
        // RFC 2202's first HMAC-SHA1 vector: an independent check of the sha1 path.
        let key = [0x0b_u8; 20];
        let header = "sha1=b617318655057264e28bc0b6fb378c8ef146be00";
        assert_eq!(check_signature(Some(header), &key, b"Hi There"), Ok(()));
    }

    #[test]
    fn unsigned_and_malformed_signatures_are_refused() {
        assert_eq!(check_signature(None, b"s", b"x"), Err(BadSignature::Missing));
        for bad in ["", "sha256", "md5=00", "sha256=zz", "sha256=abc", &format!("sha256={}", "0".repeat(1000))] {
            assert_eq!(check_signature(Some(bad), b"s", b"x"), Err(BadSignature::Malformed), "{bad:?}");
        }
        assert_eq!(check_signature(Some("sha256=00"), b"s", b"x"), Err(BadSignature::Mismatch));
    }

    #[test]
    fn verification_requests_are_read() {
        let v = verification(
            "hub.mode=subscribe&hub.topic=https%3A%2F%2Fa.example%2F&hub.challenge=abc&hub.lease_seconds=600",
        );
        let lease = Some(Duration::from_secs(600));
        assert_eq!(
            v,
            Ok(Verification::Subscribe { topic: "https://a.example/".into(), challenge: "abc".into(), lease })
        );
        let v = verification("hub.mode=denied&hub.topic=t&hub.reason=no%0Away");
        assert_eq!(v, Ok(Verification::Denied { topic: "t".into(), reason: Some("no way".into()) }));
        assert!(verification("hub.mode=unsubscribe&hub.topic=t").unwrap_err().contains("hub.challenge"));
        assert!(verification("hub.mode=subscribe&hub.challenge=c").unwrap_err().contains("hub.topic"));
        assert!(verification("hub.mode=publish&hub.topic=t").unwrap_err().contains("hub.mode"));
        assert!(verification("hub.mode=subscribe&hub.topic=t&hub.challenge=c&hub.lease_seconds=-1").is_err());
        assert!(verification("hub.mode=subscribe&hub.mode=unsubscribe&hub.topic=t").unwrap_err().contains("twice"));
        let long = format!("hub.mode=subscribe&hub.topic=t&hub.challenge={}", "c".repeat(MAX_CHALLENGE + 1));
        assert!(verification(&long).unwrap_err().contains("longer"));
    }
}
