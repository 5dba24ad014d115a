//! Verification of intent (W3C WebSub 5.3): before a subscription starts or ends, the hub asks
//! the callback, with a random single-use challenge, whether it really asked. Only a callback
//! that echoes the challenge changes anything.

use std::time::Duration;

use super::request::Mode;

/// Longest challenge echo read (the challenge is 32 characters).
const MAX_ECHO: usize = 1024;

/// Asks `callback` to confirm `mode` of `topic`, with `lease` when subscribing; `Ok` when it
/// answered 2xx with the challenge as its body (surrounding white space aside), else why not.
pub(super) async fn confirm(
    client: &reqwest::Client,
    callback: &url::Url,
    mode: Mode,
    topic: &url::Url,
    lease: Option<Duration>,
) -> Result<(), String> {
    // 5.3 and 8: random and single-use; 128 bits from the operating system, since whoever
    // could guess it could confirm a subscription for a callback they do not control.
    let challenge =
        crate::model::digest::secure_random_hex::<16>().map_err(|e| format!("no randomness for the challenge: {e}"))?;
    let mut url = callback.clone();
    {
        // 5.1.1: the callback's own query is kept; ours is appended after it.
        let mut query = url.query_pairs_mut();
        query.append_pair("hub.mode", mode.as_str());
        query.append_pair("hub.topic", topic.as_str());
        query.append_pair("hub.challenge", &challenge);
        if let Some(lease) = lease {
            query.append_pair("hub.lease_seconds", &lease.as_secs().to_string());
        }
    }
    let mut answer = client.get(url).send().await.map_err(|e| e.without_url().to_string())?;
    if !answer.status().is_success() {
        return Err(format!("answered HTTP {}", answer.status()));
    }
    let mut echo = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|e| e.without_url().to_string())? {
        echo.extend_from_slice(&chunk);
        if echo.len() > MAX_ECHO {
            return Err("answered with more than the challenge".into());
        }
    }
    match echo.trim_ascii() == challenge.as_bytes() {
        true => Ok(()),
        false => Err("did not echo the challenge".into()),
    }
}

/// Tells `callback` its subscription to `topic` is denied, and why (5.2): a GET with
/// `hub.mode=denied`, after the callback's own query. Its answer changes nothing.
pub(super) async fn deny(client: &reqwest::Client, callback: &url::Url, topic: &url::Url, reason: &str) {
    let mut url = callback.clone();
    url.query_pairs_mut()
        .append_pair("hub.mode", "denied")
        .append_pair("hub.topic", topic.as_str())
        .append_pair("hub.reason", reason);
    if let Err(e) = client.get(url).send().await {
        tracing::debug!(error = %e.without_url(), "a denial did not reach its callback");
    }
}
