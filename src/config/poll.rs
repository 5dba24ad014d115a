//! The `[poll]` table: how upstream sources are fetched.

use serde::Deserialize;

/// Settings of the upstream poller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// Lets sources reach loopback, private, link-local and other non-public addresses (the
    /// SSRF guard is on by default). `FEEDPUB_ALLOW_PRIVATE_NETWORKS=true` does the same.
    pub allow_private_networks: bool,
}
