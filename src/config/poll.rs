//! The `[poll]` table: how upstream sources are fetched.

use serde::Deserialize;

/// Settings of the upstream poller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// Lets sources reach loopback, private, link-local and other non-public addresses (the
    /// SSRF guard is on by default). `FEEDPUB_ALLOW_PRIVATE_NETWORKS=true` does the same.
    pub allow_private_networks: bool,
    /// Longest one fetch may take, every redirect hop and the body included, in seconds
    /// (default 60): an upstream that drips its body a byte at a time, or answers each of five
    /// redirects just inside the limit, is cut off here.
    pub timeout_seconds: u64,
    /// How long a replica that claimed a source keeps it, in seconds (default: the timeout plus
    /// a minute). A replica that dies mid-poll holds its sources this long; another polls them
    /// at its first round after.
    pub lease_seconds: Option<u64>,
    /// How often `serve` looks for due sources, in seconds (default 60); each source keeps its
    /// own schedule.
    pub tick_seconds: u64,
    /// Subscribes to the WebSub hub a source advertises, so its new items are pushed rather
    /// than waited for (default true). Only `serve` subscribes, and only when `base_url` is
    /// an address a hub can call back (public, or any with `allow_private_networks`); a
    /// subscribed source is still polled, at its `max_interval_minutes`.
    pub websub: bool,
}

impl PollConfig {
    /// The lease of a claimed source.
    pub fn lease(&self) -> chrono::TimeDelta {
        let seconds = self.lease_seconds.unwrap_or(self.timeout_seconds.saturating_add(60));
        chrono::TimeDelta::try_seconds(i64::try_from(seconds).unwrap_or(i64::MAX)).unwrap_or(chrono::TimeDelta::MAX)
    }
}

impl Default for PollConfig {
    fn default() -> Self {
        Self { allow_private_networks: false, timeout_seconds: 60, lease_seconds: None, tick_seconds: 60, websub: true }
    }
}
