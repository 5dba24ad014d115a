//! The subscriber's answers at `/websub/callback/<id>`: the hub's verification of intent
//! (WebSub 5.3) and its pushes (7, 8). The HTTP is `publish::serve::callback`'s.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::OwnedSemaphorePermit;
use url::Url;

use super::{Subscriber, SubscriberError, put_off};
use crate::model::{UpstreamSource, redact};
use crate::pipeline::poll::{self, PollStatus, Pushed, SourceOutcome};
use crate::publish::serve::callback::{
    Answer, Answering, Callbacks, Knowing, Outcome, Push, PushResult, SubscriberMetrics,
};
use crate::source::upstream::subscribe::{self, Ask, BadSignature, Verification};
use crate::store::{Store as _, UpstreamState, UpstreamSubscription};

/// Callback requests answered at once; past this, 503 (each may hold a 15 MiB push, and every
/// one waits on the subscriber's one store connection).
pub(super) const ANSWERING: usize = 32;

/// The lease assumed when a hub's verification names none (5.3 says it must).
const DEFAULT_LEASE: Duration = Duration::from_secs(24 * 3600);

/// Bounds on a lease taken from a hub: one shorter than a minute would renew at every tick,
/// one longer than a year is not believed.
const MIN_LEASE: Duration = Duration::from_secs(60);
const MAX_LEASE: Duration = Duration::from_secs(365 * 24 * 3600);

/// How long a push waits for a poll of its source that holds it, before a 503.
const WAIT_FOR_POLL: Duration = Duration::from_secs(10);
const WAIT_STEP: Duration = Duration::from_millis(250);

/// Whether `id` could be a callback id (64 lowercase hex digits): anything else is answered
/// without touching the store.
fn plausible(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Subscriber {
    async fn lookup(self: &Arc<Self>, id: String) -> Result<Option<UpstreamSubscription>, SubscriberError> {
        if !plausible(&id) {
            return Ok(None);
        }
        self.with(move |s| Ok(s.upstream_by_callback(&id)?)).await
    }

    async fn verify_inner(self: Arc<Self>, id: String, query: String) -> Answer {
        let v = match subscribe::verification(&query) {
            Ok(v) => v,
            Err(why) => return answer(StatusCode::BAD_REQUEST, format!("{why}\n")),
        };
        let (ask, topic) = match &v {
            Verification::Subscribe { topic, .. } | Verification::Denied { topic, .. } => (Ask::Subscribe, topic),
            Verification::Unsubscribe { topic, .. } => (Ask::Unsubscribe, topic),
        };
        // Compared as URLs, so an escaping the hub normalised still matches.
        let topic = Url::parse(topic).ok();
        let found = match self.lookup(id).await {
            Ok(found) => found.filter(|s| topic.as_ref() == Some(&s.topic)),
            Err(e) => return self.store_failed(&e),
        };
        // 5.3: confirm only what was asked for — a subscription not requested (or of another
        // topic) is refused, so nobody can subscribe or unsubscribe feedpub in its name. An
        // active one may be confirmed again: hubs re-verify at renewals of their own.
        use UpstreamState::{Active, Requested, Unsubscribing};
        let sub = match (found, &v) {
            (Some(s), Verification::Subscribe { .. } | Verification::Denied { .. })
                if matches!(s.state, Requested | Active) =>
            {
                s
            }
            (Some(s), Verification::Unsubscribe { .. }) if s.state == Unsubscribing => s,
            _ => {
                self.metrics.verification(ask, Outcome::Refused);
                return answer(StatusCode::NOT_FOUND, "no such subscription is pending\n".into());
            }
        };
        let id = sub.callback_id.clone();
        let (outcome, result) = match v {
            Verification::Subscribe { challenge, lease, .. } => {
                let lease = lease.unwrap_or(DEFAULT_LEASE).clamp(MIN_LEASE, MAX_LEASE);
                // Renewed at four fifths of the lease: time for a hub that is down to come back.
                let renew = lease.mul_f64(0.8);
                let (feed, source, this) = (sub.feed.clone(), sub.source.clone(), self.clone());
                let done = self
                    .with(move |s| {
                        let Some(renew) = s.activate_upstream(&id, renew)? else { return Ok(false) };
                        // From now on the source is polled only to catch what pushes missed
                        // and to renew: at its longest interval, and no later than the renewal.
                        if let Some(src) = poll::source_definition(&this.config, s, &feed, &source)? {
                            s.poll_source_at(&feed, &source, renew.min(put_off(s.clock()?, &src)))?;
                        }
                        Ok(true)
                    })
                    .await;
                if matches!(done, Ok(true)) {
                    tracing::info!(feed = %sub.feed, hub = %redact::for_logs(&sub.hub), lease_seconds = lease.as_secs(), "WebSub subscription verified");
                }
                (Outcome::Accepted, done.map(|ok| ok.then_some(challenge)))
            }
            Verification::Unsubscribe { challenge, .. } => {
                (Outcome::Accepted, self.with(move |s| Ok(s.end_upstream(&id)?.then_some(challenge))).await)
            }
            Verification::Denied { reason, .. } => {
                let reason = reason.unwrap_or_default();
                tracing::warn!(feed = %sub.feed, hub = %redact::for_logs(&sub.hub), reason, "the WebSub hub denied the subscription; polling only");
                (Outcome::Denied, self.with(move |s| Ok(s.deny_upstream(&id)?.then(String::new))).await)
            }
        };
        match result {
            Ok(Some(echo)) => {
                self.metrics.verification(ask, outcome);
                answer(StatusCode::OK, echo)
            }
            // Changed meanwhile (ended on another replica).
            Ok(None) => {
                self.metrics.verification(ask, Outcome::Refused);
                answer(StatusCode::NOT_FOUND, "no such subscription is pending\n".into())
            }
            Err(e) => self.store_failed(&e),
        }
    }

    async fn push_inner(self: Arc<Self>, id: String, push: Push) -> Answer {
        let sub = match self.lookup(id).await {
            Ok(Some(sub)) if sub.state != UpstreamState::Denied => sub,
            Ok(_) => {
                self.metrics.push(PushResult::UnknownCallback);
                return answer(StatusCode::GONE, "no such subscription\n".into());
            }
            Err(e) => return self.store_failed(&e),
        };
        if let Err(bad) = subscribe::check_signature(push.signature.as_deref(), sub.secret.expose(), &push.body) {
            let result = if bad == BadSignature::Missing { PushResult::Unsigned } else { PushResult::BadSignature };
            self.metrics.push(result);
            tracing::warn!(feed = %sub.feed, hub = %redact::for_logs(&sub.hub), "WebSub push refused: {bad}");
            return answer(StatusCode::FORBIDDEN, format!("{bad}\n"));
        }
        // Its definition, read once: the claim below may be tried many times.
        let (feed, source, this) = (sub.feed.clone(), sub.source.clone(), self.clone());
        let src = match self.with(move |s| Ok(poll::source_definition(&this.config, s, &feed, &source)?)).await {
            Ok(Some(src)) => Arc::new(src),
            Ok(None) => {
                self.forget(&sub).await;
                return answer(StatusCode::GONE, "the source is no longer configured\n".into());
            }
            Err(e) => {
                self.metrics.push(PushResult::StoreError);
                return self.store_failed(&e);
            }
        };
        let (sub, push) = (Arc::new(sub), Arc::new(push));
        let started = tokio::time::Instant::now();
        // A poll of the source holds it for one fetch: the push waits for it, a little.
        let stored = loop {
            let stored = self.store_push(sub.clone(), src.clone(), push.clone()).await;
            let busy = matches!(&stored, Ok(o) if o.status == PollStatus::Elsewhere);
            if !busy || started.elapsed() >= WAIT_FOR_POLL {
                break stored;
            }
            tokio::time::sleep(WAIT_STEP).await;
        };
        match stored {
            Ok(o) if o.status == PollStatus::Fetched => {
                self.metrics.push(PushResult::Stored);
                let (added, updated) = (o.report.added, o.report.updated);
                tracing::info!(feed = %o.feed, url = %o.url, added, updated, "WebSub push stored");
                if o.changed() {
                    (self.wake)();
                }
                answer(StatusCode::OK, format!("stored: {added} added, {updated} updated\n"))
            }
            Ok(o) if o.status == PollStatus::Elsewhere => {
                self.metrics.push(PushResult::Busy);
                answer(StatusCode::SERVICE_UNAVAILABLE, "the source is being polled; push again later\n".into())
            }
            Ok(o) if o.status == PollStatus::Retired => {
                self.forget(&sub).await;
                answer(StatusCode::GONE, "the source is gone (410) and no longer polled\n".into())
            }
            Ok(o) => {
                self.metrics.push(PushResult::Unreadable);
                tracing::warn!(feed = %o.feed, url = %o.url, status = %o.status, "WebSub push not read");
                // 2xx all the same: the hub delivered; the next poll comes soon (a failure).
                answer(StatusCode::ACCEPTED, format!("not read: {}\n", o.status))
            }
            Err(e) => {
                self.metrics.push(PushResult::StoreError);
                self.store_failed(&e)
            }
        }
    }

    /// Forgets the subscription of a source that is retired or no longer configured; the 410
    /// the push gets ends it at the hub (7).
    async fn forget(self: &Arc<Self>, sub: &UpstreamSubscription) {
        self.metrics.push(PushResult::UnknownCallback);
        let id = sub.callback_id.clone();
        if let Err(e) = self.with(move |s| Ok(s.end_upstream(&id)?)).await {
            tracing::warn!("forgetting the subscription of a source no longer polled: {e}");
        }
    }

    /// Stores `push` for `src`, `sub`'s source, as a poll would (see [`poll::receive`]).
    async fn store_push(
        self: &Arc<Self>,
        sub: Arc<UpstreamSubscription>,
        src: Arc<UpstreamSource>,
        push: Arc<Push>,
    ) -> Result<SourceOutcome, SubscriberError> {
        let this = self.clone();
        self.with(move |s| {
            let pushed =
                Pushed { feed: &sub.feed, topic: &sub.topic, bytes: &push.body, charset: push.charset.as_deref() };
            let outcome = poll::receive(s, &this.config, &src, pushed)?;
            // The push put the next poll off to the longest interval; the renewal rides on
            // that poll, so it comes no later than the renewal is due.
            if let Some(renew) = sub.renew_at
                && outcome.next_poll.is_some_and(|next| next > renew)
            {
                s.poll_source_at(&sub.feed, &sub.source, renew)?;
            }
            Ok(outcome)
        })
        .await
    }

    fn store_failed(&self, e: &SubscriberError) -> Answer {
        tracing::error!("WebSub callback: {e}");
        answer(StatusCode::SERVICE_UNAVAILABLE, "the store is unavailable; try again later\n".into())
    }
}

impl Callbacks for Subscriber {
    fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.answering.clone().try_acquire_owned().ok()
    }

    fn verify(self: Arc<Self>, id: String, query: String) -> Answering {
        Box::pin(self.verify_inner(id, query))
    }

    fn knows(self: Arc<Self>, id: String) -> Knowing {
        Box::pin(async move {
            match self.lookup(id).await {
                Ok(found) => Ok(found.is_some_and(|s| s.state != UpstreamState::Denied)),
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

fn answer(status: StatusCode, text: String) -> Answer {
    Answer { status, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_feedpub_could_have_made_reach_the_store() {
        assert!(plausible(&"0a".repeat(32)));
        for bad in ["", "abc", &"0A".repeat(32), &"0a".repeat(33), &format!("{}é", "0".repeat(62)), "../../etc/passwd"]
        {
            assert!(!plausible(bad), "{bad}");
        }
    }
}
