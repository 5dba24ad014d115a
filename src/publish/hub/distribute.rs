//! Content distribution (WebSub 7) with the store as the ledger: a claim marks each live
//! subscriber as owed the new version; the sender holds each delivery in the store while it
//! tries, and settles it when done. A newer version overwrites what is owed, which stops the
//! older one's retries on every replica; a sender that dies leaves its deliveries overdue, and
//! whichever replica serves that version delivers them ([`Hub::recover`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use url::Url;

use super::deliver::{self, Document, signature};
use super::{Hub, TIMEOUT};
use crate::model::redact;
use crate::store::{DistributionClaim, StoreError, Subscription};

/// How long a claim holds its first attempts: time to queue for a slot and try once. Only a
/// sender that died lets it run out.
const FIRST_HOLD: Duration = Duration::from_secs(120);

/// Added to every hold: the store's and the clock's slack.
const GRACE: Duration = Duration::from_secs(5);

/// How often deliveries left overdue are looked for.
pub(super) const RECOVER_EVERY: Duration = Duration::from_secs(5);

/// Settled deliveries written at once, at most.
const SETTLE_BATCH: usize = 512;

/// What became of a distribution, after its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivered {
    /// 2xx.
    Sent,
    /// Every retry failed (or the SSRF guard refused the callback).
    Failed,
    /// 410: the subscription ended.
    Gone,
    /// A newer version went instead, or the subscription ended meanwhile.
    Superseded,
}

impl Delivered {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Delivered::Sent => "sent",
            Delivered::Failed => "failed",
            Delivered::Gone => "gone",
            Delivered::Superseded => "superseded",
        }
    }
}

/// A delivery that is over, to settle in the store: (topic, callback, ETag).
pub(super) type Settled = (String, Url, String);

impl Hub {
    /// Distributes each of `docs` (rendered at store change `seq`) to its live subscribers,
    /// in the background: each version once across replicas (the store's claim decides).
    pub fn distribute(self: &Arc<Self>, docs: Vec<Document>, seq: i64) {
        if docs.is_empty() {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            let store = hub.store.clone();
            let claimed = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                for doc in docs {
                    let claim = store.claim(&doc.path, &doc.etag, seq, FIRST_HOLD)?;
                    let subs = match claim {
                        DistributionClaim::Newer => store.subscribers(&doc.path)?,
                        DistributionClaim::First | DistributionClaim::Taken => Vec::new(),
                    };
                    out.push((claim, Arc::new(doc), subs));
                }
                Ok::<_, StoreError>(out)
            })
            .await;
            let claimed = match claimed {
                Ok(Ok(claimed)) => claimed,
                // What was claimed is owed in the store: recovered once the hold runs out.
                Ok(Err(e)) => return tracing::error!("the hub could not claim or read its subscriptions: {e}"),
                Err(e) => return tracing::error!(error = %e, "claiming distributions panicked"),
            };
            for (claim, doc, subs) in claimed {
                hub.metrics.claim(claim);
                if claim != DistributionClaim::Newer {
                    continue;
                }
                tracing::info!(topic = %doc.path, subscribers = subs.len(), "distributing");
                for sub in subs {
                    hub.spawn_delivery(doc.clone(), sub);
                }
            }
        });
    }

    fn spawn_delivery(self: &Arc<Self>, doc: Arc<Document>, sub: Subscription) {
        let key = (sub.topic.clone(), sub.callback.clone());
        *self.sending.lock().expect("never poisoned").entry(key.clone()).or_default() += 1;
        let hub = self.clone();
        tokio::spawn(async move {
            let result = tokio::select! {
                result = hub.deliver(&doc, sub) => Some(result),
                () = hub.shutdown.wait() => None,
            };
            // Shut down mid-delivery: the hold runs out, and a replica (or the next start)
            // delivers it.
            if let Some(result) = result {
                hub.metrics.distribution(result.as_str());
                if result != Delivered::Superseded {
                    let _ = hub.settled.send((key.0.clone(), key.1.clone(), doc.etag.clone()));
                }
            }
            let mut sending = hub.sending.lock().expect("never poisoned");
            if let Some(n) = sending.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    sending.remove(&key);
                }
            }
        });
    }

    /// Holds the delivery of `doc` to `callback` for `hold`: the subscription as it is now,
    /// or `None` when it is not owed `doc` any more. A store that fails holds nothing, and the
    /// attempt goes ahead with what was known.
    async fn hold(&self, doc: &Document, sub: &Subscription, hold: Duration) -> Option<Subscription> {
        let (store, path, callback, etag) =
            (self.store.clone(), doc.path.clone(), sub.callback.clone(), doc.etag.clone());
        match tokio::task::spawn_blocking(move || store.hold(&path, &callback, &etag, hold + GRACE)).await {
            Ok(Ok(now)) => now,
            Ok(Err(e)) => {
                tracing::warn!("the hub could not hold a delivery: {e}");
                Some(sub.clone())
            }
            Err(e) => {
                tracing::error!(error = %e, "holding a delivery panicked");
                Some(sub.clone())
            }
        }
    }

    /// One distribution with its retries. Before each retry the delivery is held again in the
    /// store, which also says whether it is still owed (a newer version or an unsubscription
    /// on any replica stops it) and with which secret.
    async fn deliver(&self, doc: &Document, mut sub: Subscription) -> Delivered {
        let started = Instant::now();
        let mut pauses = self.pauses.iter();
        let callback = redact::capability(&sub.callback);
        let mut first = true;
        loop {
            // The claim held the first attempt, unless it waited long for a slot.
            if !first || started.elapsed() > FIRST_HOLD / 2 {
                match self.hold(doc, &sub, TIMEOUT).await {
                    Some(now) => sub = now,
                    None => return Delivered::Superseded,
                }
            }
            first = false;
            // A callback stored while private networks were allowed is checked again: an
            // address literal never reaches the guarded resolver.
            if let Some(why) = self.guard.refuses(&sub.callback) {
                tracing::warn!(topic = %doc.path, %callback, why, "distribution refused by the SSRF guard");
                return Delivered::Failed;
            }
            let signed = sub.secret.as_ref().map(|s| signature(s, &doc.bytes));
            let attempt = {
                let _permit = self.in_flight.acquire().await;
                deliver::attempt(&self.client, doc, &sub, signed.as_deref()).await
            };
            let why = match attempt {
                deliver::Attempt::Sent => return Delivered::Sent,
                deliver::Attempt::Gone => {
                    // 7: a 410 says the subscriber ended the subscription.
                    let store = self.store.clone();
                    let (topic, cb) = (sub.topic.clone(), sub.callback.clone());
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.unsubscribe(&topic, &cb)).await {
                        tracing::error!(%callback, "ending a subscription its callback said is gone: {e}");
                    }
                    return Delivered::Gone;
                }
                deliver::Attempt::Failed(why) => why,
            };
            let Some(pause) = pauses.next() else {
                tracing::warn!(topic = %doc.path, %callback, why, "distribution failed after every retry");
                return Delivered::Failed;
            };
            self.metrics.retries.inc();
            tracing::debug!(topic = %doc.path, %callback, why, "distribution failed; retrying");
            // Held through the pause and the next attempt; a newer version ends it here.
            match self.hold(doc, &sub, *pause + TIMEOUT).await {
                Some(now) => sub = now,
                None => return Delivered::Superseded,
            }
            tokio::time::sleep(*pause).await;
        }
    }

    /// Writes settled deliveries to the store in batches (one transaction for a burst, not one
    /// per subscriber), until shutdown.
    pub(super) async fn settle(self: Arc<Self>, mut settled: mpsc::UnboundedReceiver<Settled>) {
        let mut batch = Vec::new();
        loop {
            let n = tokio::select! {
                n = settled.recv_many(&mut batch, SETTLE_BATCH) => n,
                () = self.shutdown.wait() => return,
            };
            if n == 0 {
                return;
            }
            let (store, done) = (self.store.clone(), std::mem::take(&mut batch));
            match tokio::task::spawn_blocking(move || store.settle(&done)).await {
                Ok(Ok(())) => {}
                // Left owed: delivered once more after the hold (at least once, never lost).
                Ok(Err(e)) => tracing::warn!("the hub could not settle deliveries: {e}"),
                Err(e) => tracing::error!(error = %e, "settling deliveries panicked"),
            }
        }
    }

    /// Delivers what a sender left overdue (it died, or the store failed to settle), when
    /// this process serves that version now (`current` gives the served document of a path).
    pub(super) async fn recover(self: &Arc<Self>, current: &(dyn Fn(&str) -> Option<Document> + Sync)) {
        let store = self.store.clone();
        let overdue = match tokio::task::spawn_blocking(move || store.overdue()).await {
            Ok(Ok(overdue)) => overdue,
            Ok(Err(e)) => return tracing::warn!("looking for overdue deliveries: {e}"),
            Err(e) => return tracing::error!(error = %e, "looking for overdue deliveries panicked"),
        };
        for (sub, etag) in overdue {
            let key = (sub.topic.clone(), sub.callback.clone());
            if self.sending.lock().expect("never poisoned").contains_key(&key) {
                continue;
            }
            let Some(doc) = current(&sub.topic).filter(|d| d.etag == etag) else { continue };
            let (store, path, cb) = (self.store.clone(), sub.topic.clone(), sub.callback.clone());
            let taken = tokio::task::spawn_blocking(move || store.take_overdue(&path, &cb, &etag, FIRST_HOLD)).await;
            if matches!(taken, Ok(Ok(true))) {
                tracing::info!(topic = %doc.path, callback = %redact::capability(&sub.callback), "delivering what a sender left overdue");
                self.spawn_delivery(Arc::new(doc), sub);
            }
        }
    }
}
