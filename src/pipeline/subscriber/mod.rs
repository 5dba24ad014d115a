//! The WebSub subscriber of `serve`: sources whose documents advertise a hub are subscribed
//! at it, with a secret, and what the hub pushes is stored as a poll would store it
//! ([`callback`]). State is in the store (table `websub_upstream`), so any replica can answer
//! a callback and a restart forgets nothing.
//!
//! Every decision rides on the poll: a round that read a source's document (this replica
//! claimed it) subscribes, renews, re-asks or unsubscribes it. A subscribed source is polled
//! at its longest interval, and no later than its renewal time, so nothing is missed if pushes
//! stop and the lease never lapses unnoticed.

mod callback;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Semaphore;
use url::{Host, Url};

use super::poll::{self, PollStatus, SourceOutcome};
use crate::config::Config;
use crate::model::{Slug, UpstreamSource, redact};
use crate::publish::serve::callback::{Outcome, SubscriberMetrics, callback_path};
use crate::publish::websub::Guard;
use crate::shutdown::Shutdown;
use crate::source::upstream::discover::Advertised;
use crate::source::upstream::guard;
use crate::source::upstream::subscribe::{self, Ask};
use crate::store::{self, HubSecret, SqlStore, Store as _, StoreError, UpstreamState, UpstreamSubscription};

/// How long a hub has to verify a request before it is sent again (at the source's next
/// poll), and to confirm an unsubscription before it is forgotten.
const VERIFY_WAIT: TimeDelta = TimeDelta::minutes(10);

/// How long a hub that denied a subscription is left alone (WebSub 5.2: the subscription is
/// not possible); after that, or when the document names another hub, it is asked again.
const DENIED_WAIT: TimeDelta = TimeDelta::days(1);

/// Requests to hubs in flight at once, after a round: a dead hub holds one for its timeout.
const ASKING: usize = 8;

/// Longest a request to a hub may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the subscriber could not start, or one of its steps failed.
#[derive(Debug, thiserror::Error)]
pub enum SubscriberError {
    /// Its store connection.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Its HTTP client.
    #[error("the WebSub subscriber's client: {0}")]
    Client(#[from] reqwest::Error),
    /// Storing a push failed beyond the store (its definitions could not be read).
    #[error(transparent)]
    Poll(#[from] poll::PollError),
    /// No random callback id or secret could be made.
    #[error("no randomness for a WebSub callback: {0}")]
    Random(#[from] getrandom::Error),
    /// A store call panicked (a bug).
    #[error("a WebSub store call panicked: {0}")]
    Panicked(String),
}

/// Subscribes sources at their hubs and takes what the hubs push.
pub struct Subscriber {
    /// A connection of its own, so a callback does not queue behind a render. (On SQLite,
    /// writes still take turns with the poller's.)
    store: Mutex<SqlStore>,
    client: reqwest::Client,
    guard: Guard,
    config: Arc<Config>,
    /// Asks `serve` for a re-render once a push stored something.
    wake: Box<dyn Fn() + Send + Sync>,
    metrics: SubscriberMetrics,
    /// Callback requests being answered at once (see [`callback`]).
    answering: Arc<Semaphore>,
    asking: Arc<Semaphore>,
    shutdown: Shutdown,
}

/// The subscriber, unless `[poll] websub = false` or `base_url` is not an address a hub could
/// call back (opens a store connection: blocking).
pub(super) fn open(
    config: &Arc<Config>,
    wake: Box<dyn Fn() + Send + Sync>,
    shutdown: &Shutdown,
) -> Result<Option<Subscriber>, SubscriberError> {
    if !config.poll.websub {
        return Ok(None);
    }
    let guard = Guard::new(config.poll.allow_private_networks);
    if let Some(why) = unreachable(&config.base_url, &guard) {
        tracing::info!(base_url = %config.base_url, "sources' WebSub hubs are not subscribed: {why}; polling only");
        return Ok(None);
    }
    Ok(Some(Subscriber {
        store: Mutex::new(store::open_sql(&config.database)?),
        client: guard.client(&config.base_url, TIMEOUT)?,
        guard,
        config: config.clone(),
        wake,
        metrics: SubscriberMetrics::default(),
        answering: Arc::new(Semaphore::new(callback::ANSWERING)),
        asking: Arc::new(Semaphore::new(ASKING)),
        shutdown: shutdown.clone(),
    }))
}

/// Why a hub could not call `base_url` back, when it could not: an address the SSRF guard
/// refuses, or a name only this machine resolves, while the guard is on.
fn unreachable(base_url: &Url, guard: &Guard) -> Option<String> {
    if let Some(why) = guard.refuses(base_url) {
        return Some(why);
    }
    let Some(Host::Domain(host)) = base_url.host() else { return None };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let local = host == "localhost" || host.ends_with(".localhost") || !host.contains('.');
    (local && !guard.allows_private_networks())
        .then(|| format!("{host} is not a public name; set {}=true to allow it", guard::ALLOW_PRIVATE_ENV))
}

/// What a round read of one source, for the subscriber.
struct Read {
    feed: Slug,
    src: UpstreamSource,
    websub: Advertised,
}

impl Subscriber {
    /// Runs `f` on the subscriber's store, on the blocking pool.
    async fn with<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut SqlStore) -> Result<T, SubscriberError> + Send + 'static,
    ) -> Result<T, SubscriberError> {
        let this = self.clone();
        let run = move || {
            // A panic while holding the lock leaves the connection as usable as before.
            let mut store = this.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut store)
        };
        tokio::task::spawn_blocking(run).await.unwrap_or_else(|e| Err(SubscriberError::Panicked(e.to_string())))
    }

    /// Acts on what a polling round read, in the background (a hub that does not answer must
    /// not hold up the next round): subscribes sources that advertise a hub, renews leases
    /// that are due, unsubscribes sources that no longer advertise one, [`ASKING`] at once.
    /// Failures are logged: the source is polled as before, and asked again at a later poll.
    pub(super) fn after_round(self: &Arc<Self>, outcomes: &[SourceOutcome]) {
        let polled = |o: &&SourceOutcome| matches!(o.status, PollStatus::Fetched | PollStatus::NotModified);
        for o in outcomes.iter().filter(polled) {
            let Some(src) = o.source.clone() else { continue };
            let read = Read { feed: o.feed.clone(), src, websub: o.websub.clone() };
            let this = self.clone();
            tokio::spawn(async move {
                let Ok(_slot) = this.asking.clone().acquire_owned().await else { return };
                let (feed, url) = (read.feed.clone(), redact::for_logs(&read.src.url));
                let result = tokio::select! {
                    result = this.act(read) => result,
                    () = this.shutdown.wait() => return,
                };
                if let Err(e) = result {
                    tracing::warn!(%feed, %url, "WebSub subscription: {e}");
                }
            });
        }
    }

    async fn act(self: &Arc<Self>, read: Read) -> Result<(), SubscriberError> {
        let (ask, s) = match read.websub {
            // 304: the document, and so its hub, is as it was.
            Advertised::Unread => (Ask::Subscribe, self.subscription(read.feed, read.src, None).await?),
            Advertised::NoHub => (Ask::Unsubscribe, self.ending(read.feed, read.src).await?),
            Advertised::Hub { hub, topic } => {
                (Ask::Subscribe, self.subscription(read.feed, read.src, Some((hub, topic))).await?)
            }
        };
        if let Some(s) = s {
            self.ask(ask, &s).await;
        }
        self.metrics.reviewed();
        Ok(())
    }

    /// Decides whether `src` of `feed` is to be subscribed (or renewed, or asked again) at
    /// `advertised` (hub, topic) — `None`: where it is subscribed, if anywhere — and records
    /// the request; the subscription to ask for, if one is due.
    async fn subscription(
        self: &Arc<Self>,
        feed: Slug,
        src: UpstreamSource,
        advertised: Option<(Url, Url)>,
    ) -> Result<Option<UpstreamSubscription>, SubscriberError> {
        let plain_http = self.guard.allows_private_networks();
        self.with(move |s| {
            let now = s.clock()?;
            let existing = s.upstream_subscription(&feed, &src.url)?;
            let (hub, topic) = match (advertised, &existing) {
                (Some(at), _) => at,
                (None, Some(e)) => (e.hub.clone(), e.topic.clone()),
                (None, None) => return Ok(None),
            };
            // WebSub 5.1: the secret only over HTTPS — plain http only where private networks
            // are allowed (a hub on the LAN, tests).
            if hub.scheme() != "https" && !plain_http {
                tracing::info!(%feed, hub = %redact::for_logs(&hub), "not subscribing at a hub without https; polling only");
                return Ok(None);
            }
            let same = |e: &UpstreamSubscription| e.hub == hub && e.topic == topic;
            let ask = match existing {
                Some(e) if same(&e) && e.state == UpstreamState::Denied => {
                    (e.requested_at + DENIED_WAIT <= now).then(|| fresh(feed.clone(), &src, hub, topic, now)).transpose()?
                }
                Some(e) if same(&e) && e.state != UpstreamState::Unsubscribing => {
                    let asked_long_ago = e.requested_at + VERIFY_WAIT <= now;
                    let due = match (e.state, e.renew_at) {
                        (UpstreamState::Active, Some(renew)) if renew > now => {
                            // Polled only to catch what pushes missed, and to renew.
                            s.poll_source_at(&feed, &src.url, renew.min(put_off(now, &src)))?;
                            false
                        }
                        // Requested and not verified, or due for renewal: asked again at a
                        // poll once the hub has had its time to verify.
                        _ => asked_long_ago,
                    };
                    due.then_some(e)
                }
                // New, at another hub or topic, or being ended: a fresh id and secret, so the
                // old callback (and whoever learnt it) gets nothing more.
                _ => Some(fresh(feed, &src, hub, topic, now)?),
            };
            if let Some(ask) = &ask {
                s.request_upstream(ask)?;
            }
            Ok(ask)
        })
        .await
    }

    /// Marks `src`'s subscription as being ended, when it has one to end; it, when the hub is
    /// to be asked.
    async fn ending(
        self: &Arc<Self>,
        feed: Slug,
        src: UpstreamSource,
    ) -> Result<Option<UpstreamSubscription>, SubscriberError> {
        self.with(move |s| {
            let now = s.clock()?;
            let Some(mut e) = s.upstream_subscription(&feed, &src.url)? else { return Ok(None) };
            match e.state {
                UpstreamState::Unsubscribing if e.requested_at + VERIFY_WAIT > now => Ok(None),
                // Never confirmed, or denied: forgotten, its pushes answered 410.
                UpstreamState::Unsubscribing | UpstreamState::Denied => {
                    s.end_upstream(&e.callback_id)?;
                    Ok(None)
                }
                UpstreamState::Requested | UpstreamState::Active => {
                    e.state = UpstreamState::Unsubscribing;
                    s.request_upstream(&e)?;
                    Ok(Some(e))
                }
            }
        })
        .await
    }

    /// Sends one request to `s`'s hub; a failure is logged and counted (a later poll asks
    /// again, once [`VERIFY_WAIT`] has passed).
    async fn ask(&self, ask: Ask, s: &UpstreamSubscription) {
        let callback = match self.config.base_url.join(&callback_path(&s.callback_id)) {
            Ok(url) => url,
            Err(e) => return tracing::error!("no callback URL under base_url: {e}"),
        };
        let request = subscribe::Request {
            ask,
            hub: &s.hub,
            topic: &s.topic,
            callback: &callback,
            secret: s.secret.expose_str(),
        };
        match subscribe::ask(&self.client, request, self.guard.refuses(&s.hub)).await {
            Ok(()) => {
                self.metrics.request(ask, Outcome::Accepted);
                tracing::info!(feed = %s.feed, hub = %redact::for_logs(&s.hub), mode = ask.as_str(), "asked the WebSub hub");
            }
            Err(e) => {
                self.metrics.request(ask, Outcome::Refused);
                tracing::warn!(feed = %s.feed, mode = ask.as_str(), "the WebSub hub did not take the request: {e}");
            }
        }
    }
}

/// When a subscribed source is polled next, from `now`: at its longest interval.
fn put_off(now: DateTime<Utc>, src: &UpstreamSource) -> DateTime<Utc> {
    now + TimeDelta::minutes(i64::from(src.max_interval_minutes))
}

/// A new subscription of `src`: a random callback id and secret, 256 bits each.
fn fresh(
    feed: Slug,
    src: &UpstreamSource,
    hub: Url,
    topic: Url,
    now: DateTime<Utc>,
) -> Result<UpstreamSubscription, SubscriberError> {
    let random = crate::model::digest::secure_random_hex::<32>;
    Ok(UpstreamSubscription {
        feed,
        source: src.url.clone(),
        callback_id: random()?,
        hub,
        topic,
        secret: HubSecret::new(random()?),
        state: UpstreamState::Requested,
        requested_at: now,
        renew_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_a_hub_cannot_reach_are_told_apart() {
        if guard::lifted_by_env() {
            return; // The guard is off for the whole process: nothing to tell apart.
        }
        let on = Guard::new(false);
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(unreachable(&url("http://localhost:8080/"), &on).is_some());
        assert!(unreachable(&url("http://127.0.0.1/"), &on).is_some());
        assert!(unreachable(&url("http://intranet/"), &on).is_some());
        assert!(unreachable(&url("https://example.org/news/"), &on).is_none());
        assert!(unreachable(&url("http://[2606:4700::1111]/"), &on).is_none(), "a public IPv6 literal");
        assert!(unreachable(&url("http://localhost:8080/"), &Guard::new(true)).is_none());
    }
}
