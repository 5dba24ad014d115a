//! The WebSub subscriber of `serve`: sources whose documents advertise a hub are subscribed
//! at it, with a secret, and what the hub pushes is stored as a poll would store it. State is
//! in the store (table `websub_upstream`), so any replica can answer a callback and a restart
//! forgets nothing.
//!
//! Every decision rides on the poll: a round that fetched a source's document (this replica
//! claimed it) subscribes, renews, re-asks or unsubscribes it. A subscribed source is polled
//! at its longest interval, and no later than its renewal time, so nothing is missed if pushes
//! stop and the lease never lapses unnoticed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use super::poll::{self, PollStatus, Pushed, SourceOutcome};
use crate::config::Config;
use crate::model::{UpstreamSource, redact};
use crate::publish::serve::callback::{
    Answer, Answering, Callbacks, Outcome, Push, PushResult, SubscriberMetrics, callback_path,
};
use crate::publish::websub::Guard;
use crate::source::upstream::discover::Advertised;
use crate::source::upstream::guard;
use crate::source::upstream::subscribe::{self, Ask, BadSignature, Verification};
use crate::store::{self, HubSecret, SqlStore, Store as _, StoreError, UpstreamState, UpstreamSubscription};

/// How long a hub has to verify a request before it is sent again (at the source's next
/// poll), and to confirm an unsubscription before it is forgotten.
const VERIFY_WAIT: TimeDelta = TimeDelta::minutes(10);

/// The lease assumed when a hub's verification names none (§5.3 says it must).
const DEFAULT_LEASE: Duration = Duration::from_secs(24 * 3600);

/// Bounds on a lease taken from a hub: one shorter than a minute would renew at every tick,
/// one longer than a year is not believed.
const MIN_LEASE: Duration = Duration::from_secs(60);
const MAX_LEASE: Duration = Duration::from_secs(365 * 24 * 3600);

/// Longest a request to a hub may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the subscriber could not start.
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
    /// A connection of its own: a callback never waits for a render or a poll's transaction.
    store: Mutex<SqlStore>,
    client: reqwest::Client,
    guard: Guard,
    config: Arc<Config>,
    /// Asks `serve` for a re-render once a push stored something.
    wake: Box<dyn Fn() + Send + Sync>,
    metrics: SubscriberMetrics,
}

/// The subscriber, unless `[poll] websub = false` or `base_url` is not an address a hub could
/// call back (opens a store connection: blocking).
pub(super) fn open(
    config: &Arc<Config>,
    wake: Box<dyn Fn() + Send + Sync>,
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
    }))
}

/// Why a hub could not call `base_url` back, when it could not: an address the SSRF guard
/// refuses, or a name only this machine resolves, while the guard is on.
fn unreachable(base_url: &Url, guard: &Guard) -> Option<String> {
    if let Some(why) = guard.refuses(base_url) {
        return Some(why);
    }
    let host = base_url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let local = host == "localhost" || host.ends_with(".localhost") || !host.contains('.');
    (local && guard.refuses(&Url::parse("http://127.0.0.1/").expect("a URL")).is_some())
        .then(|| format!("{host} is not a public name; set {}=true to allow it", guard::ALLOW_PRIVATE_ENV))
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

    /// Acts on what a polling round read: subscribes sources that advertise a hub, renews
    /// leases that are due, unsubscribes sources that no longer advertise one. Failures are
    /// logged: the source is polled as before, and asked again at a later poll.
    pub(super) async fn after_round(self: &Arc<Self>, outcomes: &[SourceOutcome]) {
        let polled = |o: &&SourceOutcome| matches!(o.status, PollStatus::Fetched | PollStatus::NotModified);
        for o in outcomes.iter().filter(polled) {
            let Some(src) = &o.source else { continue };
            let result = match &o.websub {
                // 304: the document, and so its hub, is as it was.
                Advertised::Unread => self.subscribe(o, src, None).await,
                Advertised::NoHub => self.unsubscribe_if_subscribed(o).await,
                Advertised::Hub { hub, topic } => self.subscribe(o, src, Some((hub.clone(), topic.clone()))).await,
            };
            if let Err(e) = result {
                tracing::warn!(feed = %o.feed, url = %o.url, "WebSub subscription: {e}");
            }
        }
    }

    /// Subscribes `o`'s source at `advertised` (hub, topic), or renews or re-asks its
    /// subscription when that is due; `None`: at the hub and topic it is subscribed at, if any.
    async fn subscribe(
        self: &Arc<Self>,
        o: &SourceOutcome,
        src: &UpstreamSource,
        advertised: Option<(Url, Url)>,
    ) -> Result<(), SubscriberError> {
        let (feed, source, src) = (o.feed.clone(), src.url.clone(), src.clone());
        let due = self
            .with(move |s| {
                let now = s.clock()?;
                let existing = s.upstream_subscription(&feed, &source)?;
                let (hub, topic) = match (advertised, &existing) {
                    (Some(at), _) => at,
                    (None, Some(e)) => (e.hub.clone(), e.topic.clone()),
                    (None, None) => return Ok(None),
                };
                let ask = match existing {
                    Some(e) if e.hub == hub && e.topic == topic && e.state != UpstreamState::Unsubscribing => {
                        let due = match (e.state, e.renew_at) {
                            (UpstreamState::Active, Some(renew)) if renew > now => {
                                // Polled only to catch what pushes missed, and to renew.
                                s.poll_source_at(&feed, &source, renew.min(put_off(now, &src)))?;
                                false
                            }
                            // Due for renewal: asked at every poll (on the source's own
                            // schedule) until the hub verifies it again.
                            (UpstreamState::Active, _) => true,
                            _ => e.requested_at + VERIFY_WAIT <= now,
                        };
                        due.then_some(e)
                    }
                    // New, at another hub or topic, or being ended: a fresh id and secret, so
                    // the old callback (and whoever learnt it) gets nothing more.
                    _ => Some(fresh(feed, source, hub, topic, now)?),
                };
                if let Some(ask) = &ask {
                    s.request_upstream(ask)?;
                }
                Ok(ask)
            })
            .await?;
        if let Some(s) = due {
            self.ask(Ask::Subscribe, &s).await;
        }
        Ok(())
    }

    async fn unsubscribe_if_subscribed(self: &Arc<Self>, o: &SourceOutcome) -> Result<(), SubscriberError> {
        let (feed, source) = (o.feed.clone(), o.source.as_ref().map(|s| s.url.clone()).expect("polled"));
        let ending = self
            .with(move |s| {
                let now = s.clock()?;
                let Some(mut e) = s.upstream_subscription(&feed, &source)? else { return Ok(None) };
                match e.state {
                    UpstreamState::Unsubscribing if e.requested_at + VERIFY_WAIT > now => Ok(None),
                    // The hub never confirmed: forgotten, its pushes answered 410.
                    UpstreamState::Unsubscribing => Ok(s.end_upstream(&e.callback_id).map(|_| None)?),
                    _ => {
                        e.state = UpstreamState::Unsubscribing;
                        s.request_upstream(&e)?;
                        Ok(Some(e))
                    }
                }
            })
            .await?;
        if let Some(e) = ending {
            self.ask(Ask::Unsubscribe, &e).await;
        }
        Ok(())
    }

    /// Sends one request to `s`'s hub; a failure is logged and counted (the next poll asks
    /// again, once [`VERIFY_WAIT`] has passed).
    async fn ask(&self, ask: Ask, s: &UpstreamSubscription) {
        let callback = match self.config.base_url.join(&callback_path(&s.callback_id)) {
            Ok(url) => url,
            Err(e) => return tracing::error!("no callback URL under base_url: {e}"),
        };
        let request =
            subscribe::Request { ask, hub: &s.hub, topic: &s.topic, callback: &callback, secret: s.secret.expose() };
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

    async fn verify_inner(self: Arc<Self>, id: String, query: String) -> Answer {
        let v = match subscribe::verification(&query) {
            Ok(v) => v,
            Err(why) => return answer(400, format!("{why}\n")),
        };
        let topic = match &v {
            Verification::Subscribe { topic, .. }
            | Verification::Unsubscribe { topic, .. }
            | Verification::Denied { topic, .. } => topic.clone(),
        };
        let found = match self.with(move |s| Ok(s.upstream_by_callback(&id)?)).await {
            Ok(found) => found.filter(|s| s.topic.as_str() == topic),
            Err(e) => return self.store_failed(&e),
        };
        let ask = match v {
            Verification::Unsubscribe { .. } => Ask::Unsubscribe,
            _ => Ask::Subscribe,
        };
        // §5.3: confirm only what was asked for — a subscription not requested (or of another
        // topic) is refused, so nobody can subscribe or unsubscribe feedpub in its name.
        let sub = match (found, &v) {
            (Some(s), Verification::Subscribe { .. }) if s.state != UpstreamState::Unsubscribing => s,
            (Some(s), Verification::Unsubscribe { .. } | Verification::Denied { .. }) => s,
            _ => {
                self.metrics.verification(ask, Outcome::Refused);
                return answer(404, "no such subscription\n".into());
            }
        };
        let id = sub.callback_id.clone();
        let result = match v {
            Verification::Subscribe { challenge, lease, .. } => {
                let lease = lease.unwrap_or(DEFAULT_LEASE).clamp(MIN_LEASE, MAX_LEASE);
                // Renewed at four fifths of the lease: time for a hub that is down to come back.
                let (l, r) = (delta(lease), delta(lease.mul_f64(0.8)));
                let (feed, source, this) = (sub.feed.clone(), sub.source.clone(), self.clone());
                let done = self
                    .with(move |s| {
                        let Some(renew) = s.activate_upstream(&id, l, r)? else { return Ok(()) };
                        // From now on the source is polled only to catch what pushes missed
                        // and to renew: at its longest interval, and no later than the renewal.
                        if let Some(src) = poll::source_definition(&this.config, s, &feed, &source)? {
                            s.poll_source_at(&feed, &source, renew.min(put_off(s.clock()?, &src)))?;
                        }
                        Ok(())
                    })
                    .await;
                tracing::info!(feed = %sub.feed, hub = %redact::for_logs(&sub.hub), lease_seconds = lease.as_secs(), "WebSub subscription verified");
                done.map(|_| (Outcome::Accepted, challenge))
            }
            Verification::Unsubscribe { challenge, .. } => {
                if sub.state != UpstreamState::Unsubscribing {
                    self.metrics.verification(Ask::Unsubscribe, Outcome::Refused);
                    return answer(404, "this subscription is not being ended\n".into());
                }
                self.with(move |s| Ok(s.end_upstream(&id)?)).await.map(|_| (Outcome::Accepted, challenge))
            }
            Verification::Denied { reason, .. } => {
                let reason = reason.unwrap_or_default();
                tracing::warn!(feed = %sub.feed, hub = %redact::for_logs(&sub.hub), reason, "the WebSub hub denied the subscription; polling only");
                self.with(move |s| Ok(s.end_upstream(&id)?)).await.map(|_| (Outcome::Denied, String::new()))
            }
        };
        match result {
            Ok((outcome, echo)) => {
                self.metrics.verification(ask, outcome);
                Answer { status: axum::http::StatusCode::OK, text: echo }
            }
            Err(e) => self.store_failed(&e),
        }
    }

    async fn push_inner(self: Arc<Self>, id: String, push: Push) -> Answer {
        let sub = match self.with(move |s| Ok(s.upstream_by_callback(&id)?)).await {
            Ok(Some(sub)) => sub,
            Ok(None) => {
                self.metrics.push(PushResult::UnknownCallback);
                return answer(410, "no such subscription\n".into());
            }
            Err(e) => return self.store_failed(&e),
        };
        if let Err(bad) = subscribe::check_signature(push.signature.as_deref(), sub.secret.expose(), &push.body) {
            let result = if bad == BadSignature::Missing { PushResult::Unsigned } else { PushResult::BadSignature };
            self.metrics.push(result);
            tracing::warn!(feed = %sub.feed, hub = %redact::for_logs(&sub.hub), "WebSub push refused: {bad}");
            return answer(403, format!("{bad}\n"));
        }
        let this = self.clone();
        let stored = self
            .with(move |s| {
                let pushed = Pushed {
                    feed: &sub.feed,
                    source: &sub.source,
                    topic: &sub.topic,
                    bytes: push.body.to_vec(),
                    charset: push.charset,
                };
                let outcome = poll::receive(s, &this.config, pushed)?;
                // The push put the next poll off to the longest interval; the renewal rides on
                // that poll, so it comes no later than the renewal is due.
                if let (Some(o), Some(renew)) = (&outcome, sub.renew_at)
                    && o.next_poll.is_some_and(|next| next > renew)
                {
                    s.poll_source_at(&sub.feed, &sub.source, renew)?;
                }
                Ok(outcome)
            })
            .await;
        match stored {
            Ok(Some(o)) if o.status == PollStatus::Fetched => {
                self.metrics.push(PushResult::Stored);
                let (added, updated) = (o.report.added, o.report.updated);
                tracing::info!(feed = %o.feed, url = %o.url, added, updated, "WebSub push stored");
                if o.changed() {
                    (self.wake)();
                }
                answer(200, format!("stored: {added} added, {updated} updated\n"))
            }
            Ok(Some(o)) if o.status == PollStatus::Elsewhere => {
                self.metrics.push(PushResult::Busy);
                answer(503, "the source is being polled right now; push again later\n".into())
            }
            Ok(Some(o)) if o.status == PollStatus::Retired => {
                self.metrics.push(PushResult::UnknownCallback);
                answer(410, "the source is gone (410) and no longer polled\n".into())
            }
            Ok(Some(o)) => {
                self.metrics.push(PushResult::Unreadable);
                tracing::warn!(feed = %o.feed, url = %o.url, status = %o.status, "WebSub push not read");
                // 2xx all the same: the hub delivered; the next poll comes soon (a failure).
                answer(202, format!("not read: {}\n", o.status))
            }
            Ok(None) => {
                self.metrics.push(PushResult::UnknownCallback);
                answer(410, "the source is no longer configured\n".into())
            }
            Err(e) => {
                self.metrics.push(PushResult::StoreError);
                self.store_failed(&e)
            }
        }
    }

    fn store_failed(&self, e: &SubscriberError) -> Answer {
        tracing::error!("WebSub callback: the store failed: {e}");
        answer(503, "the store is unavailable; try again later\n".into())
    }
}

impl Callbacks for Subscriber {
    fn verify(self: Arc<Self>, id: String, query: String) -> Answering {
        Box::pin(self.verify_inner(id, query))
    }

    fn knows(
        self: Arc<Self>,
        id: String,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, Answer>> + Send>> {
        Box::pin(async move {
            match self.with(move |s| Ok(s.upstream_by_callback(&id)?)).await {
                Ok(found) => Ok(found.is_some()),
                Err(e) => Err(self.store_failed(&e)),
            }
        })
    }

    fn push(self: Arc<Self>, id: String, push: Push) -> Answering {
        Box::pin(self.push_inner(id, push))
    }

    fn metrics(&self) -> &SubscriberMetrics {
        &self.metrics
    }
}

/// When a subscribed source is polled next, from `now`: at its longest interval.
fn put_off(now: DateTime<Utc>, src: &UpstreamSource) -> DateTime<Utc> {
    now + TimeDelta::minutes(i64::from(src.max_interval_minutes))
}

/// A new subscription of `source`: a random callback id and secret.
fn fresh(
    feed: crate::model::Slug,
    source: Url,
    hub: Url,
    topic: Url,
    now: DateTime<Utc>,
) -> Result<UpstreamSubscription, SubscriberError> {
    let random = crate::model::digest::secure_random_hex::<32>;
    Ok(UpstreamSubscription {
        feed,
        source,
        callback_id: random()?,
        hub,
        topic,
        secret: HubSecret::new(random()?),
        state: UpstreamState::Requested,
        requested_at: now,
        lease_until: None,
        renew_at: None,
    })
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

fn answer(status: u16, text: String) -> Answer {
    Answer { status: axum::http::StatusCode::from_u16(status).expect("a valid status"), text }
}
