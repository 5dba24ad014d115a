//! The `[websub] hub` table: where readers that accept pushes (FreshRSS, Inoreader, NewsBlur,
//! Feedly) subscribe instead of polling: an outside hub, or the one `serve` runs itself.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// The table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebSub {
    hub: Option<String>,
    lease_seconds: Option<u64>,
    min_lease_seconds: Option<u64>,
    max_lease_seconds: Option<u64>,
}

/// Where readers subscribe to pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hub {
    /// An outside hub (`hub = "https://…"`): every feed names it, and feedpub tells it when a
    /// feed changed (`hub.mode=publish`).
    External(Url),
    /// `serve`'s own hub (`hub = "builtin"`), at `<base_url>websub`.
    Builtin(Builtin),
}

/// The built-in hub's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtin {
    /// Its public URL: `<base_url>websub`.
    pub url: Url,
    /// How long subscriptions last.
    pub leases: Leases,
}

/// How long a subscription lasts before its subscriber must renew it. The Recommendation
/// forbids perpetual leases and suggests ten days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leases {
    /// Granted when the subscriber asks for none (`lease_seconds`, default 10 days).
    pub default: Duration,
    /// The shortest granted (`min_lease_seconds`, default 1 hour): a shorter request gets this.
    pub min: Duration,
    /// The longest granted (`max_lease_seconds`, default 30 days).
    pub max: Duration,
}

impl Leases {
    /// The lease granted for a request of `asked` seconds.
    pub fn grant(&self, asked: Option<u64>) -> Duration {
        asked.map_or(self.default, Duration::from_secs).clamp(self.min, self.max)
    }
}

/// The path of the built-in hub under `base_url`, as `serve` routes it. (A feed whose slug is
/// `websub` keeps its pages, at `/websub/`.)
pub const BUILTIN_PATH: &str = "/websub";

impl Hub {
    /// The hub's URL, as feeds and `Link` headers name it.
    pub fn url(&self) -> &Url {
        match self {
            Hub::External(url) => url,
            Hub::Builtin(b) => &b.url,
        }
    }
}

const DAY: u64 = 24 * 3600;

impl RawWebSub {
    /// The hub, if one is named; the key and what is wrong with it otherwise.
    pub(super) fn validate(self, base_url: &Url) -> Result<Option<Hub>, (&'static str, String)> {
        let keys = [
            ("websub.lease_seconds", self.lease_seconds),
            ("websub.min_lease_seconds", self.min_lease_seconds),
            ("websub.max_lease_seconds", self.max_lease_seconds),
        ];
        // The first lease key the config sets, to name in an error.
        let set = keys.iter().find(|(_, v)| v.is_some()).map(|(k, _)| *k);
        let Some(hub) = self.hub else {
            return match set {
                Some(key) => Err((key, "leases are the built-in hub's: set hub = \"builtin\"".into())),
                None => Ok(None),
            };
        };
        if hub.trim() == "builtin" {
            let leases = Leases {
                default: Duration::from_secs(self.lease_seconds.unwrap_or(10 * DAY)),
                min: Duration::from_secs(self.min_lease_seconds.unwrap_or(3600)),
                max: Duration::from_secs(self.max_lease_seconds.unwrap_or(30 * DAY)),
            };
            // The key to blame: of two bounds that disagree, the one the config set.
            let either = |a: usize, b: usize| if keys[a].1.is_some() { keys[a].0 } else { keys[b].0 };
            // A year at most: the Recommendation forbids perpetual leases.
            let wrong = if leases.min.is_zero() {
                Some(keys[1].0)
            } else if leases.max.as_secs() > 365 * DAY {
                Some(keys[2].0)
            } else if leases.min > leases.default {
                Some(either(1, 0))
            } else if leases.default > leases.max {
                Some(either(0, 2))
            } else {
                None
            };
            if let Some(key) = wrong {
                let need = "need 0 < min_lease_seconds <= lease_seconds <= max_lease_seconds <= 31536000 (a year)";
                return Err((key, need.into()));
            }
            let url = base_url.join(&BUILTIN_PATH[1..]).map_err(|e| ("websub.hub", e.to_string()))?;
            return Ok(Some(Hub::Builtin(Builtin { url, leases })));
        }
        if let Some(key) = set {
            return Err((key, "an outside hub sets its own leases".into()));
        }
        // The value is not repeated in the message: it may hold a password.
        let bad = |m: String| ("websub.hub", m);
        let url = Url::parse(hub.trim()).map_err(|e| bad(format!("not a URL (nor \"builtin\"): {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(bad("a hub is \"builtin\" or an http(s) URL".into()));
        }
        // Every feed names the hub: a user name, password or query in it would be published.
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(bad("every feed publishes the hub's URL: it may hold no user name, password or query".into()));
        }
        Ok(Some(Hub::External(url)))
    }
}
