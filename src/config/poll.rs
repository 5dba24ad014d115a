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
}

impl Default for PollConfig {
    fn default() -> Self {
        Self { allow_private_networks: false, timeout_seconds: 60 }
    }
}
