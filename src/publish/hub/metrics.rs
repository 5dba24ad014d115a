//! The built-in hub's counters, on `/metrics` beside the service's.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::store::DistributionClaim;

/// A topic: a subscription document's path (a bounded set: the site's feeds).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct TopicLabels {
    /// `/<slug>/rss.xml` and the like.
    pub topic: String,
}

/// A request or a verification: its mode and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `subscribe` or `unsubscribe`.
    pub mode: &'static str,
    /// `accepted`/`refused` (requests), `verified`/`failed` (verifications).
    pub result: &'static str,
}

/// What became of a distribution, after its retries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// `sent`, `failed` (every retry failed), `gone` (410: the subscription ended) or
    /// `superseded` (a newer version of the topic went instead).
    pub result: &'static str,
}

/// What a replica's claim on a new version of a topic came to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ClaimLabels {
    /// `first` (a topic not distributed before), `newer` (this replica distributes it) or
    /// `taken` (another replica, or an earlier run, did).
    pub claim: &'static str,
}

/// Every counter the hub keeps.
#[derive(Debug, Clone, Default)]
pub struct HubMetrics {
    pub(super) subscribers: Family<TopicLabels, Gauge>,
    pub(super) requests: Family<OutcomeLabels, Counter>,
    pub(super) verifications: Family<OutcomeLabels, Counter>,
    pub(super) distributions: Family<DeliveryLabels, Counter>,
    pub(super) retries: Counter,
    pub(super) claims: Family<ClaimLabels, Counter>,
}

impl HubMetrics {
    /// Registers them all in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "websub_subscribers",
            "Live subscriptions of the built-in hub, by topic",
            self.subscribers.clone(),
        );
        registry.register(
            "websub_requests",
            "Subscription requests to the built-in hub, by mode and whether it accepted them",
            self.requests.clone(),
        );
        registry.register(
            "websub_verifications",
            "Verifications of intent, by mode and what came of them (verified, failed, denied, store_error)",
            self.verifications.clone(),
        );
        registry.register(
            "websub_distributions",
            "Content distributions to subscribers, by what became of them after retries",
            self.distributions.clone(),
        );
        registry.register(
            "websub_topic_versions",
            "New versions of topics this replica rendered, by whether it claimed their distribution",
            self.claims.clone(),
        );
        registry.register(
            "websub_distribution_retries",
            "Distribution attempts that failed and were retried",
            self.retries.clone(),
        );
    }

    pub(super) fn request(&self, mode: &'static str, result: &'static str) {
        self.requests.get_or_create(&OutcomeLabels { mode, result }).inc();
    }

    pub(super) fn verification(&self, mode: &'static str, result: &'static str) {
        self.verifications.get_or_create(&OutcomeLabels { mode, result }).inc();
    }

    pub(super) fn claim(&self, claim: DistributionClaim) {
        let claim = match claim {
            DistributionClaim::First => "first",
            DistributionClaim::Newer => "newer",
            DistributionClaim::Taken => "taken",
        };
        self.claims.get_or_create(&ClaimLabels { claim }).inc();
    }

    pub(super) fn distribution(&self, result: &'static str) {
        self.distributions.get_or_create(&DeliveryLabels { result }).inc();
    }

    /// Replaces the subscriber counts (topics without a subscriber leave the family).
    pub(super) fn set_subscribers(&self, counts: &[(String, i64)]) {
        self.subscribers.clear();
        for (topic, n) in counts {
            self.subscribers.get_or_create(&TopicLabels { topic: topic.clone() }).set(*n);
        }
    }
}
