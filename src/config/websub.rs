//! The `[websub]` table: the WebSub hub feedpub's feeds name, so readers that accept pushes
//! (FreshRSS, Inoreader, NewsBlur, Feedly) subscribe there instead of polling.

use serde::Deserialize;
use url::Url;

/// The table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebSub {
    hub: Option<String>,
}

/// Where readers subscribe to pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hub {
    /// An outside hub (`hub = "https://…"`): every feed names it, and feedpub tells it when a
    /// feed changed (`hub.mode=publish`).
    External(Url),
}

impl Hub {
    /// The hub's URL, as feeds and `Link` headers name it.
    pub fn url(&self) -> &Url {
        match self {
            Hub::External(url) => url,
        }
    }
}

impl RawWebSub {
    /// The hub, if one is named; the message says what is wrong with `hub` otherwise.
    pub(super) fn validate(self) -> Result<Option<Hub>, String> {
        let Some(hub) = self.hub else { return Ok(None) };
        // The value is not repeated in the message: it may hold a password.
        let url = Url::parse(hub.trim()).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err("a hub is an http(s) URL".into());
        }
        // Every feed names the hub: a user name, password or query in it would be published.
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err("every feed publishes the hub's URL: it may hold no user name, password or query".into());
        }
        Ok(Some(Hub::External(url)))
    }
}
