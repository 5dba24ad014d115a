//! The `[serve]` table: how `feedpub serve` listens and how it treats its clients.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

/// Settings of the HTTP service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Address to listen on (`--listen` overrides it).
    pub listen: SocketAddr,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (slow-loris guard).
    pub header_read_timeout: Duration,
    /// How long a whole request may take before it is answered with 408.
    pub request_timeout: Duration,
    /// How long in-flight requests may run on after SIGINT/SIGTERM.
    pub shutdown_grace: Duration,
    /// A client (address + User-Agent) that fetches the same feed unconditionally again sooner
    /// than this gets 429 with `Retry-After`; zero turns the guard off.
    pub min_refetch: Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Re-render when files under `feeds_dir` change.
    pub watch: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        let raw = RawServe::default();
        raw.validate().expect("the defaults are valid")
    }
}

/// The table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawServe {
    listen: String,
    max_connections: usize,
    header_read_timeout_seconds: u64,
    request_timeout_seconds: u64,
    shutdown_grace_seconds: u64,
    min_refetch_seconds: u64,
    trusted_proxies: Vec<String>,
    watch: bool,
}

impl Default for RawServe {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_connections: 1024,
            header_read_timeout_seconds: 10,
            request_timeout_seconds: 30,
            shutdown_grace_seconds: 10,
            // Readers poll every 15 minutes or more; once a minute without validators is
            // already far past polite, so this only stops clients that are really misbehaving.
            min_refetch_seconds: 60,
            trusted_proxies: Vec::new(),
            watch: true,
        }
    }
}

impl RawServe {
    /// Checks the values; the error names the key.
    pub(super) fn validate(self) -> Result<ServeConfig, (&'static str, String)> {
        let listen = self
            .listen
            .parse()
            .map_err(|e| ("serve.listen", format!("{:?} is not an address:port: {e}", self.listen)))?;
        if self.max_connections == 0 {
            return Err(("serve.max_connections", "must be at least 1".into()));
        }
        for (key, v) in [
            ("serve.header_read_timeout_seconds", self.header_read_timeout_seconds),
            ("serve.request_timeout_seconds", self.request_timeout_seconds),
        ] {
            if v == 0 {
                return Err((key, "must be at least 1".into()));
            }
        }
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|s| {
                parse_net(s).ok_or_else(|| ("serve.trusted_proxies", format!("{s:?} is not an IP address or CIDR")))
            })
            .collect::<Result<_, _>>()?;
        Ok(ServeConfig {
            listen,
            max_connections: self.max_connections,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            request_timeout: Duration::from_secs(self.request_timeout_seconds),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_seconds),
            min_refetch: Duration::from_secs(self.min_refetch_seconds),
            trusted_proxies,
            watch: self.watch,
        })
    }
}

/// `10.0.0.0/8`, or a bare address meaning just that host.
fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok().or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_proxies() {
        let c = ServeConfig::default();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.min_refetch, Duration::from_secs(60));
        let raw = RawServe { trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()], ..RawServe::default() };
        let c = raw.validate().unwrap();
        assert!(c.trusted_proxies[0].contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
        assert!(c.trusted_proxies[1].contains(&"::1".parse::<IpAddr>().unwrap()));
        let raw = RawServe { trusted_proxies: vec!["10.0.0/8".into()], ..RawServe::default() };
        assert_eq!(raw.validate().unwrap_err().0, "serve.trusted_proxies");
        let raw = RawServe { listen: "localhost".into(), ..RawServe::default() };
        assert_eq!(raw.validate().unwrap_err().0, "serve.listen");
    }
}
