//! The SSRF guard: upstream URLs may only reach public addresses.
//!
//! A feed URL comes from a config file today and perhaps from a web form tomorrow; either way a
//! poller must not be turned against the machine it runs on or its private network. The check
//! runs on the address actually connected to — inside the DNS resolver reqwest uses, and on IP
//! literals before every request and redirect hop — so DNS rebinding and redirects cannot get
//! around it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Environment variable that lifts the guard (`true`), for feeds on a private network.
pub const ALLOW_PRIVATE_ENV: &str = "FEEDPUB_ALLOW_PRIVATE_NETWORKS";

/// IPv4 ranges that are not the public internet (RFC 6890 and friends).
const V4_BLOCKED: [(Ipv4Addr, u8); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local (cloud metadata lives here)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, broadcast
];

/// IPv6 ranges that are not the public internet, or that embed an IPv4 address a gateway would
/// reach on our behalf (mapped, compatible, NAT64, 6to4, Teredo).
const V6_BLOCKED: [(Ipv6Addr, u8); 14] = [
    (Ipv6Addr::UNSPECIFIED, 128),
    (Ipv6Addr::LOCALHOST, 128),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96),     // IPv4-mapped
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96),          // IPv4-compatible (deprecated)
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96),  // NAT64
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),  // local-use NAT64 (RFC 8215)
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),      // discard-only
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),     // Teredo
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),     // 6to4
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),      // unique local
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),     // link-local
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),     // site-local (deprecated by RFC 3879, still in use)
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),      // multicast
];

/// Whether `ip` is somewhere the poller must not connect to.
pub fn is_blocked(ip: IpAddr) -> bool {
    let net = |addr: IpAddr, len: u8| IpNet::new(addr, len).expect("prefix lengths above are valid");
    match ip {
        IpAddr::V4(v4) => V4_BLOCKED.iter().any(|(a, len)| net(IpAddr::V4(*a), *len).contains(&IpAddr::V4(v4))),
        IpAddr::V6(v6) => V6_BLOCKED.iter().any(|(a, len)| net(IpAddr::V6(*a), *len).contains(&IpAddr::V6(v6))),
    }
}

/// Whether the guard is lifted by the environment (`FEEDPUB_ALLOW_PRIVATE_NETWORKS=true`).
pub fn lifted_by_env() -> bool {
    std::env::var(ALLOW_PRIVATE_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A DNS resolver that drops blocked addresses; a name that resolves only to blocked addresses
/// fails to resolve, with an error that says why.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Port 0: reqwest sets the real port on the addresses it gets back.
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all.iter().copied().filter(|a| !is_blocked(a.ip())).collect();
            if allowed.is_empty() {
                let shown: Vec<String> = all.iter().map(|a| a.ip().to_string()).collect();
                let message = format!(
                    "{host} resolves only to non-public addresses ({}); set {ALLOW_PRIVATE_ENV}=true to allow",
                    shown.join(", ")
                );
                return Err(message.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_every_non_public_range() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2002:7f00:1::",
        ] {
            assert!(is_blocked(ip(s)), "{s} must be blocked");
        }
    }

    #[test]
    fn blocks_local_use_nat64_and_site_local_but_not_their_neighbours() {
        let inside = [
            "64:ff9b:1::",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
            "fec0::",
            "fec0::1",
            "fed0:1234::1",
            "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ];
        for s in inside {
            assert!(is_blocked(ip(s)), "{s} must be blocked");
        }
        // Just outside 64:ff9b:1::/48 on either side (and outside the well-known 64:ff9b::/96).
        // fec0::/10 has no public neighbour to test: link-local ends at febf:…, multicast
        // starts at ff00::, and both are blocked in their own right (above).
        for s in ["64:ff9b:0:ffff:ffff:ffff:ffff:ffff", "64:ff9b:2::", "64:ff9b:2::a00:1"] {
            assert!(!is_blocked(ip(s)), "{s} is outside the range");
        }
        assert!(is_blocked(ip("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) && is_blocked(ip("ff00::")));
    }

    #[test]
    fn lets_public_addresses_through() {
        for s in
            ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2a00:1450:4001::1", "2606:4700::1111"]
        {
            assert!(!is_blocked(ip(s)), "{s} is public");
        }
    }
}
