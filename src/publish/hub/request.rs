//! A subscription request (W3C WebSub 5.1): the form a subscriber POSTs to the hub, read and
//! checked before anything is sent anywhere. Every refusal says what is wrong in plain text
//! (5.1.2), and none repeats the secret.

use url::Url;

use crate::store::HubSecret;

/// `hub.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Start, or renew, a subscription.
    Subscribe,
    /// End one.
    Unsubscribe,
}

impl Mode {
    /// As `hub.mode` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A request that passed every check; verification of intent comes next.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// What the subscriber asks for.
    pub mode: Mode,
    /// The topic as the subscriber named it (the `self` URL it discovered).
    pub topic: Url,
    /// The topic's path on the site.
    pub path: String,
    /// Where to verify and distribute.
    pub callback: Url,
    /// `hub.lease_seconds`, if given.
    pub lease_seconds: Option<u64>,
    /// `hub.secret`, if given.
    pub secret: Option<HubSecret>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The callback is a capability URL; the secret hides itself.
        f.debug_struct("Request")
            .field("mode", &self.mode)
            .field("path", &self.path)
            .field("callback", &crate::model::redact::capability(&self.callback))
            .field("lease_seconds", &self.lease_seconds)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// Longest request body read: a subscription form is a few hundred bytes.
pub const MAX_BODY: usize = 16 << 10;

/// Longest callback URL accepted (browsers and servers agree on far less than this).
const MAX_CALLBACK: usize = 2048;

/// Why a request was refused: a 4xx, with this text as its body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(message.into()))
}

/// Reads a form body. `topic_path` maps a topic URL to its path on the site when it is one of
/// the site's subscription documents; `private_refused` says why a callback's address is not
/// allowed (the SSRF guard, for an address literal: a name is checked when connecting).
pub fn parse(
    body: &[u8],
    topic_path: impl Fn(&Url) -> Option<String>,
    private_refused: impl Fn(&Url) -> Option<String>,
) -> Result<Request, Refused> {
    let (mut mode, mut topic, mut callback, mut lease, mut secret) = (None, None, None, None, None);
    for (key, value) in url::form_urlencoded::parse(body) {
        let slot = match key.as_ref() {
            "hub.mode" => &mut mode,
            "hub.topic" => &mut topic,
            "hub.callback" => &mut callback,
            "hub.lease_seconds" => &mut lease,
            "hub.secret" => &mut secret,
            // 5.1: hubs ignore parameters they do not understand.
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return refuse(format!("{key} is given twice"));
        }
    }
    let mode = match mode.as_deref() {
        Some("subscribe") => Mode::Subscribe,
        Some("unsubscribe") => Mode::Unsubscribe,
        Some("publish") => {
            return refuse("this hub distributes its own feeds when they change: there is nothing to publish");
        }
        Some(_) => return refuse("hub.mode is subscribe or unsubscribe"),
        None => return refuse("hub.mode is missing"),
    };
    let Some(topic) = topic else { return refuse("hub.topic is missing") };
    let topic = Url::parse(&topic).or_else(|e| refuse(format!("hub.topic is not a URL: {e}")))?;
    let Some(path) = topic_path(&topic) else {
        return refuse("hub.topic is not a feed of this site: subscribe to the URL a feed names as rel=\"self\"");
    };
    let Some(callback) = callback else { return refuse("hub.callback is missing") };
    if callback.len() > MAX_CALLBACK {
        return refuse(format!("hub.callback is longer than {MAX_CALLBACK} bytes"));
    }
    let callback = Url::parse(&callback).or_else(|e| refuse(format!("hub.callback is not a URL: {e}")))?;
    if !matches!(callback.scheme(), "http" | "https") || callback.host().is_none() {
        return refuse("hub.callback is an http(s) URL");
    }
    // `host.` and `host` are one host to DNS but two to the per-host count.
    if callback.host_str().is_some_and(|h| h.ends_with('.')) {
        return refuse("hub.callback's host ends with a dot; name it without");
    }
    if !callback.username().is_empty() || callback.password().is_some() {
        return refuse("hub.callback may hold no user name or password");
    }
    if let Some(reason) = private_refused(&callback) {
        return refuse(format!("hub.callback: {reason}"));
    }
    // 5.1: lease and secret belong to a subscription; an unsubscription's are ignored.
    if mode == Mode::Unsubscribe {
        (lease, secret) = (None, None);
    }
    let lease_seconds = match lease.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return refuse("hub.lease_seconds is a positive whole number of seconds"),
        },
    };
    let secret = match secret {
        None => None,
        Some(s) if s.is_empty() => return refuse("hub.secret is empty: leave it out for unsigned distributions"),
        Some(s) if s.len() >= 200 => return refuse("hub.secret must be shorter than 200 bytes"),
        Some(s) => Some(HubSecret::new(s)),
    };
    Ok(Request { mode, topic, path, callback, lease_seconds, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(url: &Url) -> Option<String> {
        url.as_str().strip_prefix("https://e.org/").filter(|p| *p == "news/rss.xml").map(|p| format!("/{p}"))
    }

    fn read(body: &str) -> Result<Request, Refused> {
        parse(body.as_bytes(), topics, |cb| cb.host_str().filter(|h| *h == "10.0.0.1").map(|_| "private".into()))
    }

    const OK: &str = "hub.mode=subscribe&hub.topic=https%3A%2F%2Fe.org%2Fnews%2Frss.xml&hub.callback=https%3A%2F%2Fr.example%2Fcb%3Fid%3D7";

    #[test]
    fn a_subscription_form_is_read() {
        let r = read(&format!("{OK}&hub.lease_seconds=600&hub.secret=s3cret&other=ignored")).unwrap();
        assert_eq!(r.mode, Mode::Subscribe);
        assert_eq!(r.path, "/news/rss.xml");
        assert_eq!(r.callback.as_str(), "https://r.example/cb?id=7");
        assert_eq!(r.lease_seconds, Some(600));
        assert_eq!(r.secret, Some(HubSecret::new("s3cret".into())));
        assert!(!format!("{r:?}").contains("s3cret"), "Debug hides the secret");
        let r = read(&format!("{}&hub.lease_seconds=0&hub.secret=", OK.replace("=subscribe", "=unsubscribe"))).unwrap();
        assert_eq!((r.mode, r.lease_seconds, r.secret), (Mode::Unsubscribe, None, None));
    }

    #[test]
    fn each_bad_field_is_named() {
        let long = "x".repeat(200);
        for (body, says) in [
            ("hub.topic=x".to_owned(), "hub.mode is missing"),
            (OK.replace("=subscribe", "=follow"), "hub.mode is"),
            (OK.replace("=subscribe", "=publish"), "nothing to publish"),
            (format!("{OK}&hub.mode=unsubscribe"), "hub.mode is given twice"),
            (OK.replace("news%2Frss", "other%2Frss"), "hub.topic is not a feed of this site"),
            (OK.replace("https%3A%2F%2Fe.org", "e.org"), "hub.topic is not a URL"),
            (OK.replace("https%3A%2F%2Fr.example", "ftp%3A%2F%2Fr.example"), "hub.callback is an http(s) URL"),
            (OK.replace("r.example", "me%3Apw%40r.example"), "no user name or password"),
            (OK.replace("r.example", "10.0.0.1"), "hub.callback: private"),
            (OK.replace("r.example", "r.example."), "ends with a dot"),
            (format!("{OK}&hub.lease_seconds=-5"), "hub.lease_seconds"),
            (format!("{OK}&hub.lease_seconds=0"), "hub.lease_seconds"),
            (format!("{OK}&hub.secret="), "hub.secret is empty"),
            (format!("{OK}&hub.secret={long}"), "shorter than 200 bytes"),
            (OK.replace("&hub.callback=https%3A%2F%2Fr.example%2Fcb%3Fid%3D7", ""), "hub.callback is missing"),
        ] {
            let e = read(&body).unwrap_err().0;
            assert!(e.contains(says), "{body}: {e}");
            assert!(!e.contains(&long), "the secret is not repeated");
        }
    }
}
