//! The built-in WebSub hub (`[websub] hub = "builtin"`, W3C WebSub Recommendation): `serve`
//! takes subscriptions at `<base_url>websub`, verifies each with its callback, and pushes each
//! new version of a feed document, the bytes readers get, to every live subscriber, signed
//! with its secret. Subscriptions live in the store, so they survive restarts and every
//! replica serves them; a version is distributed once, by the replica that claims it.
//!
//! The hub knows when a feed changes (it rendered it), so it needs no `hub.mode=publish`.

mod deliver;
mod distribute;
mod metrics;
pub mod request;
mod verify;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{Semaphore, mpsc};
use url::Url;

pub use deliver::{Document, RETRY_PAUSES, signature};
pub use distribute::Served;
pub use metrics::HubMetrics;
use request::{Mode, Refused, Request};

use crate::config::Leases;
use crate::publish::websub::Guard;
use crate::shutdown::Shutdown;
use crate::store::{DistributionClaim, HubSecret, Owed, StoreError, Subscription};

/// The hub's state in the store (blocking calls: the hub makes them off the async threads).
pub trait Subscriptions: Send + Sync + 'static {
    /// Records a verified subscription for `lease` from now; `false` when it is a new callback
    /// of a host that already has `per_host` subscriptions to `path`.
    fn subscribe(
        &self,
        path: &str,
        callback: &Url,
        secret: Option<&HubSecret>,
        lease: Duration,
        per_host: i64,
    ) -> Result<bool, StoreError>;
    /// Ends one; whether it existed.
    fn unsubscribe(&self, path: &str, callback: &Url) -> Result<bool, StoreError>;
    /// The live subscriptions to `path`.
    fn subscribers(&self, path: &str) -> Result<Vec<Subscription>, StoreError>;
    /// Live subscriptions to `path` from `callback`'s host, other than `callback`'s own.
    fn others_at_host(&self, path: &str, callback: &Url) -> Result<i64, StoreError>;
    /// Whether `holder` distributes `path` at `etag`, rendered at store change `seq`: only
    /// the one caller that moves a known topic to a new version does. A claim marks each live
    /// subscriber as owed that version, sent by `holder`, held for `hold`.
    fn claim(
        &self,
        path: &str,
        etag: &str,
        seq: i64,
        holder: &str,
        hold: Duration,
    ) -> Result<DistributionClaim, StoreError>;
    /// Holds `owed` for `holder` for `hold` more: the subscription as it is now, or `None` when
    /// it is not `holder`'s to send any more (superseded, ended, or taken over).
    fn hold(&self, owed: &Owed, holder: &str, hold: Duration) -> Result<Option<Subscription>, StoreError>;
    /// These deliveries by `holder` are over.
    fn settle(&self, done: &[Owed], holder: &str) -> Result<(), StoreError>;
    /// Deliveries whose sender's hold ran out.
    fn overdue(&self) -> Result<Vec<(Subscription, Owed)>, StoreError>;
    /// Takes one of them over for `holder`, for `hold`; whether it got it.
    fn take_overdue(&self, owed: &Owed, holder: &str, hold: Duration) -> Result<bool, StoreError>;
    /// The version of each topic claimed last, by path.
    fn claimed_versions(&self) -> Result<HashMap<String, String>, StoreError>;
    /// Drops the subscriptions whose lease ended; how many.
    fn expire(&self) -> Result<u64, StoreError>;
    /// Live subscriptions per topic path.
    fn counts(&self) -> Result<Vec<(String, i64)>, StoreError>;
}

/// Verifications waiting or under way at once; past this, requests get 503 and Retry-After
/// (a flood of subscription requests must not become a flood of requests to callbacks).
const PENDING_VERIFICATIONS: usize = 1024;

/// Subscriptions to one topic from one callback host (whatever the scheme and port), at most:
/// more are denied (5.2). A reader service needs one callback per topic; a host with hundreds is
/// multiplying the hub's pushes.
const MAX_PER_HOST: i64 = 100;

/// Verifications and distributions in flight at once.
const IN_FLIGHT: usize = 64;

/// Longest a verification or a distribution may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How long after a verification the subscribers are recounted (once for a burst).
const RECOUNT_AFTER: Duration = Duration::from_secs(1);

/// How often ended leases are dropped and the subscriber counts refreshed.
const MAINTAIN_EVERY: Duration = Duration::from_secs(60);

/// How the hub is set up.
pub struct HubOptions {
    /// Its public URL.
    pub url: Url,
    /// The site's `base_url`: a topic is a URL under it.
    pub base: Url,
    /// Lease bounds.
    pub leases: Leases,
    /// `[poll] allow_private_networks`: lifts the SSRF guard on callbacks.
    pub allow_private_networks: bool,
}

/// The hub.
pub struct Hub {
    url: Url,
    base: Url,
    leases: Leases,
    store: Arc<dyn Subscriptions>,
    client: reqwest::Client,
    guard: Guard,
    pending: Arc<Semaphore>,
    in_flight: Arc<Semaphore>,
    /// Deliveries under way in this process, by (topic, callback): the hold in the store
    /// covers them, but a recovery here must not take what this process is still sending.
    sending: Mutex<HashMap<Owed, usize>>,
    /// Deliveries that are over, to settle in the store in batches.
    settled: mpsc::UnboundedSender<Owed>,
    settled_rx: Mutex<Option<mpsc::UnboundedReceiver<Owed>>>,
    /// Who sends in the store's ledger: this process (a random name).
    holder: String,
    /// A recount of the subscribers is scheduled: a burst of verifications is counted once.
    recount: AtomicBool,
    metrics: HubMetrics,
    shutdown: Shutdown,
}

impl Hub {
    /// A hub keeping its state in `store`; its tasks stop at `shutdown`.
    pub fn new(options: HubOptions, store: Arc<dyn Subscriptions>, shutdown: Shutdown) -> reqwest::Result<Self> {
        let guard = Guard::new(options.allow_private_networks);
        let client = guard.client(&options.base, TIMEOUT)?;
        let (settled, settled_rx) = mpsc::unbounded_channel();
        Ok(Self {
            url: options.url,
            base: options.base,
            leases: options.leases,
            store,
            client,
            guard,
            pending: Arc::new(Semaphore::new(PENDING_VERIFICATIONS)),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            sending: Mutex::new(HashMap::new()),
            settled,
            settled_rx: Mutex::new(Some(settled_rx)),
            holder: crate::model::digest::random_hex(),
            recount: AtomicBool::new(false),
            metrics: HubMetrics::default(),
            shutdown,
        })
    }

    /// Its public URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Its counters, to register on `/metrics`.
    pub fn metrics(&self) -> &HubMetrics {
        &self.metrics
    }

    /// The path on the site of a topic URL under `base_url`.
    pub fn path_of(&self, topic: &Url) -> Option<String> {
        let rest = topic.as_str().strip_prefix(self.base.as_str())?;
        (topic.query().is_none() && topic.fragment().is_none()).then(|| format!("/{rest}"))
    }

    /// Answers a subscription request (a form body): 202 and verification in the background,
    /// or the status and text of a refusal. `is_topic` says whether a path is a subscription
    /// document of the site being served.
    pub fn request(self: &Arc<Self>, body: &[u8], is_topic: impl Fn(&str) -> bool) -> (StatusCode, String) {
        let topic_path = |url: &Url| self.path_of(url).filter(|p| is_topic(p));
        let parsed = request::parse(body, topic_path, |callback| self.guard.refuses(callback));
        let request = match parsed {
            Ok(r) => r,
            Err(Refused(why)) => {
                self.metrics.request("unknown", "refused");
                return (StatusCode::BAD_REQUEST, format!("{why}\n"));
            }
        };
        let mode = request.mode.as_str();
        let Ok(slot) = self.pending.clone().try_acquire_owned() else {
            self.metrics.request(mode, "refused");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many subscriptions waiting for verification; retry in a minute\n".into(),
            );
        };
        self.metrics.request(mode, "accepted");
        let (hub, shutdown) = (self.clone(), self.shutdown.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = hub.verify_and_apply(request) => {}
                () = shutdown.wait() => {}
            }
            drop(slot);
        });
        (StatusCode::ACCEPTED, "accepted: the hub now asks the callback to confirm\n".into())
    }

    async fn verify_and_apply(self: Arc<Self>, r: Request) {
        let lease = (r.mode == Mode::Subscribe).then(|| self.leases.grant(r.lease_seconds));
        let refused = self.guard.refuses(&r.callback);
        if r.mode == Mode::Subscribe && refused.is_none() {
            let store = self.store.clone();
            let (path, callback) = (r.path.clone(), r.callback.clone());
            let others = tokio::task::spawn_blocking(move || store.others_at_host(&path, &callback)).await;
            // 5.2: a subscription the hub will not take is denied at its callback. A host
            // with this many callbacks for one topic is multiplying the hub's pushes.
            // (Checked again when it is recorded; this spares the verification.)
            match others {
                Ok(Ok(n)) if n >= MAX_PER_HOST => return self.deny(&r).await,
                Ok(Err(e)) => tracing::warn!("counting a host's subscriptions: {e}"),
                _ => {}
            }
        }
        let confirmed = match refused {
            Some(why) => Err(why),
            None => {
                let _permit = self.in_flight.acquire().await;
                verify::confirm(&self.client, &r.callback, r.mode, &r.topic, lease).await
            }
        };
        let (mode, callback) = (r.mode.as_str(), crate::model::redact::capability(&r.callback));
        if let Err(why) = confirmed {
            self.metrics.verification(mode, "failed");
            tracing::info!(topic = %r.path, %callback, mode, why, "the callback did not confirm; nothing changed");
            return;
        }
        let store = self.store.clone();
        let applied = tokio::task::spawn_blocking(move || match lease {
            Some(lease) => {
                store.subscribe(&r.path, &r.callback, r.secret.as_ref(), lease, MAX_PER_HOST).map(|ok| (r, ok))
            }
            None => store.unsubscribe(&r.path, &r.callback).map(|_| (r, true)),
        })
        .await;
        match applied {
            // Others from its host were verified meanwhile.
            Ok(Ok((r, false))) => self.deny(&r).await,
            Ok(Ok((r, true))) => {
                self.metrics.verification(mode, "verified");
                tracing::info!(topic = %r.path, %callback, mode, lease_seconds = lease.map(|l| l.as_secs()), "subscription verified");
                self.recount_soon();
            }
            // Not denied: it may be a renewal whose subscription stays live, and the
            // subscriber renews again before its lease ends.
            Ok(Err(e)) => {
                self.metrics.verification(mode, "store_error");
                tracing::error!(%callback, mode, "the store did not take a verified subscription: {e}");
            }
            Err(e) => {
                self.metrics.verification(mode, "store_error");
                tracing::error!(error = %e, "recording a subscription panicked");
            }
        }
    }

    /// 5.2: tells `r`'s callback its subscription is denied, with the reason: its host holds
    /// [`MAX_PER_HOST`] callbacks for the topic already.
    async fn deny(&self, r: &Request) {
        self.metrics.verification(r.mode.as_str(), "denied");
        let reason = format!("at most {MAX_PER_HOST} subscriptions to a topic from one host");
        let callback = crate::model::redact::capability(&r.callback);
        tracing::info!(topic = %r.path, %callback, "subscription denied: {reason}");
        let _permit = self.in_flight.acquire().await;
        verify::deny(&self.client, &r.callback, &r.topic, &reason).await;
    }

    /// The hub's upkeep until shutdown: settles finished deliveries in the store, takes over
    /// what a sender left overdue every few seconds, and every minute claims versions a failed
    /// claim left unclaimed, drops ended leases and recounts subscribers. `served` is what
    /// this process serves.
    pub async fn maintain(self: Arc<Self>, served: impl Served) {
        self.start_settling();
        let mut recover = tokio::time::interval(distribute::RECOVER_EVERY);
        let mut every = tokio::time::interval(MAINTAIN_EVERY);
        // After a long pass, the next waits its turn rather than following at once.
        recover.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = recover.tick() => {
                    self.recover(&served).await;
                    continue;
                }
                _ = every.tick() => {}
                () = self.shutdown.wait() => return,
            }
            self.reconcile(&served).await;
            let store = self.store.clone();
            match tokio::task::spawn_blocking(move || store.expire()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(subscriptions = n, "leases ended"),
                Ok(Err(e)) => tracing::warn!("dropping ended leases: {e}"),
                Err(e) => tracing::error!(error = %e, "dropping ended leases panicked"),
            }
            self.refresh_counts().await;
        }
    }

    /// Recounts the subscribers a second from now, unless a recount is already scheduled:
    /// counting is a scan of every subscription, and after each of a burst of n verifications
    /// it made the burst cost O(n²) (0.21 s for 1,000).
    fn recount_soon(self: &Arc<Self>) {
        if self.recount.swap(true, Ordering::SeqCst) {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(RECOUNT_AFTER) => {}
                () = hub.shutdown.wait() => return,
            }
            // Cleared first: a verification that lands during the count schedules another.
            hub.recount.store(false, Ordering::SeqCst);
            hub.refresh_counts().await;
        });
    }

    async fn refresh_counts(&self) {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.counts()).await {
            Ok(Ok(counts)) => self.metrics.set_subscribers(&counts),
            Ok(Err(e)) => tracing::warn!("counting subscribers: {e}"),
            Err(e) => tracing::error!(error = %e, "counting subscribers panicked"),
        }
    }
}
