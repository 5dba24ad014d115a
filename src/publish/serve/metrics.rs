//! `/metrics` in the Prometheus text format, with the reader report alongside.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

use super::readers::Readers;
use crate::render::OutputKind;

/// Labels of the request counter: a bounded set of routes, never the raw path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// `rss`, `atom`, `json_feed`, `index`, `feed_page`, `item_page`, `healthz`, … or `not_found`.
    pub route: &'static str,
    /// The status code.
    pub status: u16,
}

/// Labels of the upstream item counter: why an item was not kept (a fixed set of reasons).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct NotKeptLabels {
    /// `empty`, `repeated_id` or `past_limit`.
    pub reason: &'static str,
}

/// Every counter and gauge the service keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    bytes_sent: Counter,
    renders: Counter,
    render_errors: Counter,
    render_seconds: Gauge<f64, AtomicU64>,
    feeds: Gauge,
    items: Gauge,
    ratios: Arc<Ratios>,
    not_kept: Family<NotKeptLabels, Counter>,
    recovered: Counter,
    /// Handles into `requests` for published files, made up front so the hot path counts
    /// without the family's lock: `[kind][200, 304, 429]`.
    site: Vec<[Counter; 3]>,
}

/// Every kind of published file, in the order of `Metrics::site`.
const KINDS: [OutputKind; 6] = [
    OutputKind::Index,
    OutputKind::Rss,
    OutputKind::Atom,
    OutputKind::JsonFeed,
    OutputKind::FeedPage,
    OutputKind::ItemPage,
];
const SITE_STATUSES: [u16; 3] = [200, 304, 429];

/// Counts behind the 304 share, read at scrape time.
#[derive(Debug, Default)]
struct Ratios {
    site_requests: AtomicU64,
    not_modified: AtomicU64,
    readers: Option<Arc<Readers>>,
}

impl Metrics {
    /// Registers everything; the reader report is read from `readers` on every scrape.
    /// The built-in hub's counters are registered too when it runs.
    pub fn new(
        readers: Arc<Readers>,
        hub: Option<&crate::publish::hub::HubMetrics>,
        subscriber: Option<&super::callback::SubscriberMetrics>,
    ) -> Self {
        let mut registry = Registry::with_prefix("feedpub");
        if let Some(hub) = hub {
            hub.register(&mut registry);
        }
        if let Some(subscriber) = subscriber {
            subscriber.register(&mut registry);
        }
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        let bytes_sent = Counter::default();
        registry.register("http_response_body_bytes", "Response body bytes sent", bytes_sent.clone());
        let renders = Counter::default();
        registry.register("renders", "Times the site was rendered", renders.clone());
        let render_errors = Counter::default();
        registry.register(
            "render_errors",
            "Re-renders refused (bad input; the last good site stays)",
            render_errors.clone(),
        );
        let render_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "render_seconds",
            "Duration of the last render, compression included",
            render_seconds.clone(),
        );
        let feeds = Gauge::default();
        registry.register("feeds", "Feeds being served", feeds.clone());
        let items = Gauge::default();
        registry.register("items", "Items across all feeds", items.clone());
        let not_kept = Family::<NotKeptLabels, Counter>::default();
        registry.register(
            "upstream_items_not_kept",
            "Items of polled upstream documents that were not stored, by reason (counted at every poll that sees them)",
            not_kept.clone(),
        );
        let recovered = Counter::default();
        registry.register(
            "upstream_documents_recovered",
            "Polled upstream documents that were not well-formed XML and were read after repair",
            recovered.clone(),
        );
        let ratios = Arc::new(Ratios { readers: Some(readers), ..Ratios::default() });
        registry.register_collector(Box::new(ratios.clone()));
        let site = KINDS
            .iter()
            .map(|k| {
                SITE_STATUSES.map(|status| requests.get_or_create(&RequestLabels { route: k.as_str(), status }).clone())
            })
            .collect();
        Self {
            registry,
            requests,
            bytes_sent,
            renders,
            render_errors,
            render_seconds,
            feeds,
            items,
            ratios,
            not_kept,
            recovered,
            site,
        }
    }

    /// Counts one answered request for a published file.
    pub fn site_request(&self, kind: OutputKind, status: u16, body_bytes: usize) {
        let k = KINDS.iter().position(|k| *k == kind).expect("every kind is listed");
        match SITE_STATUSES.iter().position(|s| *s == status) {
            Some(i) => {
                self.site[k][i].inc();
            }
            None => {
                self.requests.get_or_create(&RequestLabels { route: kind.as_str(), status }).inc();
            }
        }
        self.bytes_sent.inc_by(body_bytes as u64);
        self.ratios.site_requests.fetch_add(1, Ordering::Relaxed);
        if status == 304 {
            self.ratios.not_modified.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one answered request that was not for a published file.
    pub fn request(&self, route: &'static str, status: u16, body_bytes: usize) {
        self.requests.get_or_create(&RequestLabels { route, status }).inc();
        self.bytes_sent.inc_by(body_bytes as u64);
    }

    /// Records a finished render.
    pub fn rendered(&self, seconds: f64, feeds: usize, items: usize) {
        self.renders.inc();
        self.render_seconds.set(seconds);
        self.feeds.set(i64::try_from(feeds).unwrap_or(i64::MAX));
        self.items.set(i64::try_from(items).unwrap_or(i64::MAX));
    }

    /// Records one polled upstream document: its items not kept, by reason, and whether it
    /// had to be repaired.
    pub fn upstream_read(&self, not_kept: &[(&'static str, usize)], recovered: bool) {
        for &(reason, n) in not_kept.iter().filter(|(_, n)| *n > 0) {
            self.not_kept.get_or_create(&NotKeptLabels { reason }).inc_by(n as u64);
        }
        if recovered {
            self.recovered.inc();
        }
    }

    /// Records a re-render that failed.
    pub fn render_failed(&self) {
        self.render_errors.inc();
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AgentLabel {
    user_agent: String,
}

impl Collector for Ratios {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let total = self.site_requests.load(Ordering::Relaxed);
        let share = if total == 0 { 0.0 } else { self.not_modified.load(Ordering::Relaxed) as f64 / total as f64 };
        let gauge = ConstGauge::new(share);
        gauge.encode(encoder.encode_descriptor(
            "http_not_modified_ratio",
            "Share of requests for published files answered 304",
            None,
            gauge.metric_type(),
        )?)?;
        let report = self.readers.as_ref().map(|r| r.report()).unwrap_or_default();
        type Field = fn(&super::readers::AgentReport) -> Option<f64>;
        let fields: [(&str, &str, Field); 3] = [
            ("reader_conditional_ratio", "Share of a User-Agent's feed requests sent conditionally", |a| {
                Some(a.conditional_share)
            }),
            ("reader_not_modified_ratio", "Share of a User-Agent's feed requests answered 304", |a| {
                Some(a.not_modified_share)
            }),
            (
                "reader_poll_interval_median_seconds",
                "Median seconds between a client's polls of one feed, per User-Agent",
                |a| a.median_interval_seconds.map(|s| s as f64),
            ),
        ];
        let label = |a: &super::readers::AgentReport| AgentLabel { user_agent: a.user_agent.clone() };
        type Count = fn(&super::readers::AgentReport) -> u64;
        let counts: [(&str, &str, Count); 2] = [
            ("reader_requests", "Feed requests per User-Agent", |a| a.requests),
            ("reader_throttled", "A User-Agent's feed requests refused with 429", |a| a.throttled),
        ];
        for (name, help, count) in counts {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for a in &report {
                ConstCounter::new(count(a)).encode(family.encode_family(&label(a))?)?;
            }
        }
        for (name, help, field) in fields {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for a in &report {
                if let Some(v) = field(a) {
                    ConstGauge::new(v).encode(family.encode_family(&label(a))?)?;
                }
            }
        }
        Ok(())
    }
}
