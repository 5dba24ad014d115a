//! The built-in hub's side of `serve` (`[websub] hub = "builtin"`): its state on a store
//! connection of its own, and the feed documents a re-render changed, ready to distribute.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use super::hot::HotRenderer;
use crate::config::{Config, Hub as HubConfig};
use crate::publish::hub::{Document, Hub, HubOptions, Served, Subscriptions};
use crate::publish::serve::{App, Site};
use crate::shutdown::Shutdown;
use crate::store::{self, DistributionClaim, HubSecret, Owed, SqlStore, StoreError, Subscription};

/// The hub's store: a connection of its own, so a subscription never waits for a render.
struct Store(Mutex<SqlStore>);

impl Store {
    fn with<T>(&self, f: impl FnOnce(&mut SqlStore) -> Result<T, StoreError>) -> Result<T, StoreError> {
        // A panic while holding the lock leaves the connection as usable as before.
        let mut store = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut store)
    }
}

impl Subscriptions for Store {
    fn subscribe(
        &self,
        path: &str,
        callback: &Url,
        secret: Option<&HubSecret>,
        lease: Duration,
        per_host: i64,
    ) -> Result<bool, StoreError> {
        self.with(|s| s.subscribe(path, callback, secret, lease, per_host).map(|e| e.is_some()))
    }
    fn unsubscribe(&self, path: &str, callback: &Url) -> Result<bool, StoreError> {
        self.with(|s| s.unsubscribe(path, callback))
    }
    fn subscribers(&self, path: &str) -> Result<Vec<Subscription>, StoreError> {
        self.with(|s| s.subscribers(path))
    }
    fn others_at_host(&self, path: &str, callback: &Url) -> Result<i64, StoreError> {
        self.with(|s| s.others_at_host(path, callback))
    }
    fn claim(
        &self,
        path: &str,
        etag: &str,
        seq: i64,
        holder: &str,
        hold: Duration,
    ) -> Result<DistributionClaim, StoreError> {
        self.with(|s| s.claim_distribution(path, etag, seq, holder, hold))
    }
    fn hold(&self, owed: &Owed, holder: &str, hold: Duration) -> Result<Option<Subscription>, StoreError> {
        self.with(|s| s.hold_owed(owed, holder, hold))
    }
    fn settle(&self, done: &[Owed], holder: &str) -> Result<(), StoreError> {
        self.with(|s| s.settle_owed(done, holder))
    }
    fn overdue(&self) -> Result<Vec<(Subscription, Owed)>, StoreError> {
        self.with(|s| s.overdue())
    }
    fn take_overdue(&self, owed: &Owed, holder: &str, hold: Duration) -> Result<bool, StoreError> {
        self.with(|s| s.take_overdue(owed, holder, hold))
    }
    fn claimed_versions(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        self.with(|s| s.claimed_versions())
    }
    fn expire(&self) -> Result<u64, StoreError> {
        self.with(SqlStore::expire_subscriptions)
    }
    fn counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.with(|s| s.subscriber_counts())
    }
}

/// Why the built-in hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// Its store connection.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Its HTTP client.
    #[error("the WebSub hub's client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The built-in hub, when the config asks for it (opens a store connection: blocking).
pub(super) fn open(config: &Config, shutdown: &Shutdown) -> Result<Option<Hub>, HubError> {
    let Some(HubConfig::Builtin(builtin)) = &config.hub else { return Ok(None) };
    let store = Arc::new(Store(Mutex::new(store::open_sql(&config.database)?)));
    let options = HubOptions {
        url: builtin.url.clone(),
        base: config.base_url.clone(),
        leases: builtin.leases,
        allow_private_networks: config.poll.allow_private_networks,
    };
    Ok(Some(Hub::new(options, store, shutdown.clone())?))
}

/// What this process serves, for the hub's upkeep.
pub(super) struct ServedSite {
    pub app: Arc<App>,
    pub renderer: Arc<HotRenderer>,
}

impl Served for ServedSite {
    fn document(&self, path: &str) -> Option<Document> {
        document(&self.app.site(), path)
    }

    fn versions(&self) -> (Vec<(String, String)>, i64) {
        let site = self.app.site();
        let seq = self.renderer.seen().map_or(0, |head| head.seq);
        let versions = site
            .resources()
            .iter()
            .filter(|(_, r)| r.kind.is_topic(r.archived))
            .filter_map(|(path, r)| Some((path.clone(), r.variants[0].etag_header.to_str().ok()?.to_owned())))
            .collect();
        (versions, seq)
    }
}

/// The subscription document `site` serves at `path`, as the hub distributes it.
pub(super) fn document(site: &Site, path: &str) -> Option<Document> {
    let r = site.resources().get(path)?;
    if !r.kind.is_topic(r.archived) {
        return None;
    }
    let identity = &r.variants[0];
    Some(Document {
        path: path.to_owned(),
        etag: identity.etag_header.to_str().ok()?.to_owned(),
        content_type: r.content_type.clone(),
        link: r.link.clone()?,
        bytes: identity.bytes.clone(),
    })
}

/// The subscription documents of `after` whose bytes `before` did not have, as the hub
/// distributes them.
pub(super) fn documents(before: &Site, after: &Site) -> Vec<Document> {
    super::websub::changed(before, after).into_iter().filter_map(|(path, _)| document(after, path)).collect()
}
