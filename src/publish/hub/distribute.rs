//! Content distribution (WebSub 7) with the store as the ledger: a claim marks each live
//! subscriber as owed the new version, sent by this process; the sender holds each delivery in
//! the store while it tries, and settles it when done. A newer version overwrites what is owed,
//! which stops the older one's retries on every replica; a sender that dies leaves its
//! deliveries overdue, and whichever replica serves that version takes them over
//! ([`Hub::recover`]). Delivery is at least once: a push sent just before a crash may go again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::deliver::{self, Document, signature};
use super::{Hub, TIMEOUT};
use crate::model::redact;
use crate::store::{DistributionClaim, Owed, Subscription};

/// How long a claim holds its first attempts: time to queue for a slot and try once. Only a
/// sender that died lets it run out; one still queued past half of it holds again first.
const FIRST_HOLD: Duration = Duration::from_secs(120);

/// Added to every hold: the store's and the clock's slack.
const GRACE: Duration = Duration::from_secs(5);

/// How often deliveries left overdue are looked for.
pub(super) const RECOVER_EVERY: Duration = Duration::from_secs(5);

/// Settled deliveries written at once, at most.
const SETTLE_BATCH: usize = 512;

/// The documents this process serves, for deliveries it takes over and versions it finds
/// unclaimed.
pub trait Served: Send + Sync + 'static {
    /// The subscription document at `path`, if it is one.
    fn document(&self, path: &str) -> Option<Document>;
    /// Every subscription document's path and ETag, and the store change they were rendered at.
    fn versions(&self) -> (Vec<(String, String)>, i64);
}

/// What became of a distribution, after its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivered {
    /// 2xx.
    Sent,
    /// Every retry failed (or the SSRF guard refused the callback).
    Failed,
    /// 410: the subscription ended.
    Gone,
    /// Not this process's to send any more: a newer version went instead, the subscription
    /// ended, or another replica took the delivery over.
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

impl Hub {
    /// Distributes each of `docs` (rendered at store change `seq`) to its live subscribers,
    /// in the background: each version once across replicas (the store's claim decides). A
    /// document the store fails to claim is claimed at the next reconciliation ([`Hub::maintain`]).
    pub fn distribute(self: &Arc<Self>, docs: Vec<Document>, seq: i64) {
        if docs.is_empty() {
            return;
        }
        self.start_settling();
        let hub = self.clone();
        tokio::spawn(async move {
            for doc in docs {
                let (store, holder, path) = (hub.store.clone(), hub.holder.clone(), doc.path.clone());
                let (etag, at) = (doc.etag.clone(), seq);
                let claimed = tokio::task::spawn_blocking(move || {
                    let claim = store.claim(&path, &etag, at, &holder, FIRST_HOLD)?;
                    let subs = match claim {
                        DistributionClaim::Newer => store.subscribers(&path)?,
                        DistributionClaim::First | DistributionClaim::Taken => Vec::new(),
                    };
                    Ok::<_, crate::store::StoreError>((claim, subs))
                })
                .await;
                let (claim, subs) = match claimed {
                    Ok(Ok(claimed)) => claimed,
                    // Claimed but unread: owed in the store, taken over once the hold runs out.
                    Ok(Err(e)) => {
                        tracing::error!(topic = %doc.path, "the hub could not claim or read its subscriptions: {e}");
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "claiming a distribution panicked");
                        continue;
                    }
                };
                hub.metrics.claim(claim);
                if claim != DistributionClaim::Newer {
                    continue;
                }
                tracing::info!(topic = %doc.path, subscribers = subs.len(), "distributing");
                let doc = Arc::new(doc);
                for sub in subs {
                    let owed =
                        Owed { topic: doc.path.clone(), callback: sub.callback.clone(), etag: doc.etag.clone(), seq };
                    hub.spawn_delivery(doc.clone(), sub, owed);
                }
            }
        });
    }

    /// Starts writing settled deliveries, once.
    pub(super) fn start_settling(self: &Arc<Self>) {
        if let Some(settled) = self.settled_rx.lock().expect("never poisoned").take() {
            tokio::spawn(self.clone().settle(settled));
        }
    }

    fn spawn_delivery(self: &Arc<Self>, doc: Arc<Document>, sub: Subscription, owed: Owed) {
        *self.sending.lock().expect("never poisoned").entry(owed.clone()).or_default() += 1;
        let hub = self.clone();
        tokio::spawn(async move {
            let result = tokio::select! {
                result = hub.deliver(&doc, sub, &owed) => Some(result),
                () = hub.shutdown.wait() => None,
            };
            match result {
                // Settled in the store first; this process stops counting it as its own after
                // (see `settle`), so a recovery here cannot take it in between.
                Some(r) if r != Delivered::Superseded => {
                    hub.metrics.distribution(r.as_str());
                    if hub.settled.send(owed.clone()).is_ok() {
                        return;
                    }
                }
                Some(r) => hub.metrics.distribution(r.as_str()),
                // Shut down mid-delivery: the hold runs out, and a replica (or the next start)
                // delivers it.
                None => {}
            }
            hub.done_sending(&[owed]);
        });
    }

    fn done_sending(&self, done: &[Owed]) {
        let mut sending = self.sending.lock().expect("never poisoned");
        for owed in done {
            if let Some(n) = sending.get_mut(owed) {
                *n -= 1;
                if *n == 0 {
                    sending.remove(owed);
                }
            }
        }
    }

    /// Holds `owed` for `hold`: the subscription as it is now, or `None` when it is not this
    /// process's to send any more. A store that fails holds nothing, and the attempt goes ahead
    /// with what was known.
    async fn hold(&self, owed: &Owed, sub: &Subscription, hold: Duration) -> Option<Subscription> {
        let (store, owed, holder) = (self.store.clone(), owed.clone(), self.holder.clone());
        match tokio::task::spawn_blocking(move || store.hold(&owed, &holder, hold + GRACE)).await {
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

    /// One distribution with its retries. Each attempt that does not follow its claim at once
    /// holds the delivery again once it has a slot, which also says whether it is still this
    /// process's to send (a newer version, an unsubscription or a takeover on any replica
    /// stops it) and with which secret.
    async fn deliver(&self, doc: &Document, mut sub: Subscription, owed: &Owed) -> Delivered {
        let started = Instant::now();
        let mut pauses = super::RETRY_PAUSES.iter();
        let callback = redact::capability(&sub.callback);
        let mut first = true;
        // Signed once, and again only when a renewal brought another secret.
        let sign = |sub: &Subscription| sub.secret.as_ref().map(|s| (s.clone(), signature(s, &doc.bytes)));
        let mut signed = sign(&sub);
        loop {
            let attempt = {
                let _permit = self.in_flight.acquire().await;
                if !first || started.elapsed() > FIRST_HOLD / 2 {
                    match self.hold(owed, &sub, TIMEOUT).await {
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
                if signed.as_ref().map(|(secret, _)| secret) != sub.secret.as_ref() {
                    signed = sign(&sub);
                }
                deliver::attempt(&self.client, doc, &sub, signed.as_ref().map(|(_, s)| s.as_str())).await
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
            // Held through the pause (and the wait for a slot after it).
            match self.hold(owed, &sub, *pause + TIMEOUT).await {
                Some(now) => sub = now,
                None => return Delivered::Superseded,
            }
            self.metrics.retries.inc();
            tracing::debug!(topic = %doc.path, %callback, why, "distribution failed; retrying");
            tokio::time::sleep(*pause).await;
        }
    }

    /// Writes settled deliveries to the store in batches (one transaction for a burst, not one
    /// per subscriber); at shutdown, what is queued goes in one last batch.
    async fn settle(self: Arc<Self>, mut settled: mpsc::UnboundedReceiver<Owed>) {
        let mut batch = Vec::new();
        loop {
            let stopping = tokio::select! {
                n = settled.recv_many(&mut batch, SETTLE_BATCH) => n == 0,
                () = self.shutdown.wait() => {
                    while let Ok(owed) = settled.try_recv() {
                        batch.push(owed);
                    }
                    true
                }
            };
            if !batch.is_empty() {
                let done = std::mem::take(&mut batch);
                let (store, settling, holder) = (self.store.clone(), done.clone(), self.holder.clone());
                match tokio::task::spawn_blocking(move || store.settle(&settling, &holder)).await {
                    Ok(Ok(())) => {}
                    // Left owed: delivered once more after the hold (at least once, never lost).
                    Ok(Err(e)) => tracing::warn!("the hub could not settle deliveries: {e}"),
                    Err(e) => tracing::error!(error = %e, "settling deliveries panicked"),
                }
                self.done_sending(&done);
            }
            if stopping {
                return;
            }
        }
    }

    /// Takes over what a sender left overdue (it died, or the store did not take its
    /// settlement), when this process serves that version now.
    pub(super) async fn recover(self: &Arc<Self>, served: &dyn Served) {
        let store = self.store.clone();
        let overdue = match tokio::task::spawn_blocking(move || store.overdue()).await {
            Ok(Ok(overdue)) => overdue,
            Ok(Err(e)) => return tracing::warn!("looking for overdue deliveries: {e}"),
            Err(e) => return tracing::error!(error = %e, "looking for overdue deliveries panicked"),
        };
        let mut docs: HashMap<String, Option<Arc<Document>>> = HashMap::new();
        for (sub, owed) in overdue {
            if self.sending.lock().expect("never poisoned").contains_key(&owed) {
                continue;
            }
            let doc = docs.entry(owed.topic.clone()).or_insert_with(|| served.document(&owed.topic).map(Arc::new));
            let Some(doc) = doc.clone().filter(|d| d.etag == owed.etag) else { continue };
            let (store, taking, holder) = (self.store.clone(), owed.clone(), self.holder.clone());
            let taken = tokio::task::spawn_blocking(move || store.take_overdue(&taking, &holder, FIRST_HOLD)).await;
            if matches!(taken, Ok(Ok(true))) {
                tracing::info!(topic = %doc.path, callback = %redact::capability(&sub.callback), "delivering what a sender left overdue");
                self.spawn_delivery(doc, sub, owed);
            }
        }
    }

    /// Claims the versions this process serves that no claim recorded (the store failed at
    /// the claim): they are distributed now, not at the topic's next change.
    pub(super) async fn reconcile(self: &Arc<Self>, served: &dyn Served) {
        let store = self.store.clone();
        let claimed = match tokio::task::spawn_blocking(move || store.claimed_versions()).await {
            Ok(Ok(claimed)) => claimed,
            Ok(Err(e)) => return tracing::warn!("reading the claimed versions: {e}"),
            Err(e) => return tracing::error!(error = %e, "reading the claimed versions panicked"),
        };
        let (versions, seq) = served.versions();
        let unclaimed: Vec<Document> = versions
            .into_iter()
            .filter(|(path, etag)| claimed.get(path).is_some_and(|claimed| claimed != etag))
            .filter_map(|(path, _)| served.document(&path))
            .collect();
        // A replica behind another finds its older version taken: nothing is sent twice.
        self.distribute(unclaimed, seq);
    }
}
