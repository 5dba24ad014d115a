//! What feed readers do: who polls how often and how politely, and the guard against those
//! that re-fetch whole feeds too fast.
//!
//! A client is an address and a User-Agent (many readers share an address behind NAT; one
//! reader keeps its User-Agent). Memory is bounded, and a flood of made-up clients or
//! User-Agents cannot exhaust it:
//!
//! - at most [`MAX_CLIENTS`] clients are tracked, in two generations of half that each. A
//!   request looks in the current generation, then the previous one (moving the client to the
//!   current). When a new client finds the current generation full, the previous one is
//!   forgotten and the current one becomes the previous. So a client is remembered at least
//!   until `MAX_CLIENTS / 2` other clients have been seen after it, a new client is always
//!   tracked (and throttled), and every request costs a few hash look-ups, full map or not
//!   (finding room used to mean scanning all 100,000 clients under the lock, for every new
//!   client while the map was full of recent ones);
//! - at most [`MAX_AGENTS`] User-Agents are reported; past that, new ones are counted under
//!   `(other)`.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher as _, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Clients (address + User-Agent + feed) remembered at once.
pub const MAX_CLIENTS: usize = 100_000;
/// Distinct User-Agents reported at once.
pub const MAX_AGENTS: usize = 1_000;
/// User-Agents are cut to this many characters.
const MAX_AGENT_LEN: usize = 200;
/// Poll intervals kept per User-Agent for the median.
const INTERVALS_KEPT: usize = 1_024;
/// Clients in one generation.
const GENERATION: usize = MAX_CLIENTS / 2;

/// The client a request comes from: the peer address, or — when the peer is a trusted proxy
/// — the last address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(chain) = forwarded_for else { return peer };
    // Proxies append, so the right end is the most trustworthy; walk left past our own.
    let mut client = peer;
    for hop in chain.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// One request to a feed, as the report and the guard see it.
#[derive(Debug, Clone, Copy)]
pub struct Poll<'a> {
    /// The client's address.
    pub ip: IpAddr,
    /// Its User-Agent (empty when it sent none).
    pub user_agent: &'a str,
    /// The feed's path.
    pub path: &'a str,
    /// Whether it sent `If-None-Match` or `If-Modified-Since`.
    pub conditional: bool,
}

/// One line of the reader report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReport {
    /// The User-Agent (cut to 200 characters; `(none)`, `(other)`).
    pub user_agent: String,
    /// Feed requests.
    pub requests: u64,
    /// Share sent with `If-None-Match` or `If-Modified-Since`.
    pub conditional_share: f64,
    /// Share answered `304 Not Modified`.
    pub not_modified_share: f64,
    /// Requests refused with 429.
    pub throttled: u64,
    /// Median seconds between two polls of the same feed by the same client.
    pub median_interval_seconds: Option<u64>,
}

#[derive(Debug, Default)]
struct Client {
    last_seen: Option<Instant>,
    /// The two latest unconditional 200s, older first.
    full_fetches: [Option<Instant>; 2],
}

#[derive(Debug, Default)]
struct Agent {
    requests: u64,
    conditional: u64,
    not_modified: u64,
    throttled: u64,
    intervals: VecDeque<u64>,
}

/// The clients, by a keyed hash of (address, User-Agent, path): no allocation per request, and
/// a client cannot aim collisions at another (a collision would only merge two clients).
#[derive(Debug, Default)]
struct Clients {
    /// Seen since the last rotation; at most [`GENERATION`].
    current: HashMap<u64, Client>,
    /// Seen in the generation before, and not since.
    previous: HashMap<u64, Client>,
}

impl Clients {
    /// The client behind `key`, in the current generation (made room for, moved or created).
    fn entry(&mut self, key: u64) -> &mut Client {
        if !self.current.contains_key(&key) {
            let client = self.previous.remove(&key).unwrap_or_default();
            if self.current.len() >= GENERATION {
                self.rotate();
            }
            return self.current.entry(key).or_insert(client);
        }
        self.current.get_mut(&key).expect("checked above")
    }

    /// Forgets the previous generation and starts a new one. The maps swap rather than being
    /// replaced, so the new generation reuses the old one's table (sized for a generation from
    /// the second rotation on): nothing is freed or regrown under the lock, and clearing a
    /// table of plain values is one `memset` of its control bytes, not a walk over its entries.
    fn rotate(&mut self) {
        std::mem::swap(&mut self.current, &mut self.previous);
        self.current.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[derive(Debug, Default)]
struct State {
    clients: Clients,
    agents: HashMap<String, Agent>,
}

/// The reader tracker shared by every connection.
#[derive(Debug)]
pub struct Readers {
    min_refetch: Duration,
    hasher: RandomState,
    state: Mutex<State>,
}

impl Readers {
    /// A tracker that refuses unconditional re-fetches sooner than `min_refetch` (zero: never).
    pub fn new(min_refetch: Duration) -> Self {
        Self { min_refetch, hasher: RandomState::new(), state: Mutex::default() }
    }

    /// Records `poll` and decides it in one step: `Err(retry_after)` when it would be the
    /// third unconditional fetch of the same feed by the same client within `min_refetch`
    /// (recorded as a 429), else `Ok` (recorded as `status`, the answer it gets). Conditional
    /// requests always pass.
    pub fn observe(&self, poll: &Poll, status: u16, now: Instant) -> Result<(), Duration> {
        let name = agent_name(poll.user_agent);
        let key = self.hasher.hash_one((poll.ip, name, poll.path));
        let mut state = self.state.lock().expect("reader state poisoned");
        let State { clients, agents } = &mut *state;
        let client = clients.entry(key);
        // The second of two full fetches in a row is let through: newsboat 2.21 stores the
        // validators of a new feed only from its second fetch, so its second poll is
        // unconditional however polite it is. The third within the window is refused.
        let wait = match client.full_fetches[0] {
            Some(last) if !poll.conditional && !self.min_refetch.is_zero() => {
                self.min_refetch.checked_sub(now.duration_since(last)).filter(|w| !w.is_zero())
            }
            _ => None,
        };
        let status = if wait.is_some() { 429 } else { status };
        // Look up without allocating; a new User-Agent past the cap is counted as `(other)`.
        let name = if agents.contains_key(name) || agents.len() < MAX_AGENTS { name } else { "(other)" };
        if !agents.contains_key(name) {
            agents.insert(name.to_owned(), Agent::default());
        }
        let agent = agents.get_mut(name).expect("inserted above");
        agent.requests += 1;
        agent.conditional += u64::from(poll.conditional);
        agent.not_modified += u64::from(status == 304);
        agent.throttled += u64::from(status == 429);
        if let Some(last) = client.last_seen {
            if agent.intervals.len() == INTERVALS_KEPT {
                agent.intervals.pop_front();
            }
            agent.intervals.push_back(now.duration_since(last).as_secs());
        }
        client.last_seen = Some(now);
        if status == 200 && !poll.conditional {
            client.full_fetches = [client.full_fetches[1], Some(now)];
        }
        wait.map_or(Ok(()), Err)
    }

    /// The report, busiest User-Agent first.
    pub fn report(&self) -> Vec<AgentReport> {
        let state = self.state.lock().expect("reader state poisoned");
        let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        let mut out: Vec<AgentReport> = state
            .agents
            .iter()
            .map(|(name, a)| {
                let mut sorted: Vec<u64> = a.intervals.iter().copied().collect();
                sorted.sort_unstable();
                AgentReport {
                    user_agent: name.clone(),
                    requests: a.requests,
                    conditional_share: share(a.conditional, a.requests),
                    not_modified_share: share(a.not_modified, a.requests),
                    throttled: a.throttled,
                    median_interval_seconds: sorted.get(sorted.len() / 2).copied(),
                }
            })
            .collect();
        out.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.user_agent.cmp(&b.user_agent)));
        out
    }
}

fn agent_name(user_agent: &str) -> &str {
    let ua = user_agent.trim();
    if ua.is_empty() {
        return "(none)";
    }
    ua.char_indices().nth(MAX_AGENT_LEN).map_or(ua, |(end, _)| &ua[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll<'a>(ua: &'a str, conditional: bool) -> Poll<'a> {
        Poll { ip: "127.0.0.1".parse().unwrap(), user_agent: ua, path: "/f/rss.xml", conditional }
    }

    #[test]
    fn throttles_fast_unconditional_refetches_only() {
        let r = Readers::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let p = poll("curl/8", false);
        assert!(r.observe(&p, 200, t0).is_ok());
        assert!(r.observe(&p, 200, t0 + Duration::from_secs(1)).is_ok(), "a second full fetch passes");
        let wait = r.observe(&p, 200, t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another feed, another User-Agent, or a conditional request: not throttled.
        assert!(r.observe(&Poll { path: "/f/atom.xml", ..p }, 200, t0).is_ok());
        assert!(r.observe(&poll("newsboat", false), 200, t0).is_ok());
        assert!(r.observe(&poll("curl/8", true), 304, t0 + Duration::from_secs(11)).is_ok());
        // The refused attempt did not restart the clock; the window slides past the first fetch.
        assert!(r.observe(&p, 200, t0 + Duration::from_secs(60)).is_ok());
        assert!(r.observe(&p, 200, t0 + Duration::from_secs(60)).is_err(), "t0+1 s is still inside");
        let off = Readers::new(Duration::ZERO);
        assert!(off.observe(&p, 200, t0).is_ok() && off.observe(&p, 200, t0).is_ok());
        let report = r.report();
        let curl = report.iter().find(|a| a.user_agent == "curl/8").unwrap();
        assert_eq!((curl.requests, curl.throttled), (7, 2));
    }

    #[test]
    fn reports_shares_and_median_interval() {
        let r = Readers::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for (i, (conditional, status)) in [(false, 200), (true, 304), (true, 304), (true, 200)].into_iter().enumerate()
        {
            r.observe(&poll("NetNewsWire", conditional), status, t0 + Duration::from_secs(600 * i as u64)).unwrap();
        }
        r.observe(&poll("", false), 200, t0).unwrap();
        r.observe(&poll("", false), 200, t0).unwrap();
        r.observe(&poll(" ", false), 200, t0).unwrap_err();
        let report = r.report();
        assert_eq!(report[0].user_agent, "NetNewsWire");
        assert_eq!(report[0].requests, 4);
        assert_eq!(report[0].conditional_share, 0.75);
        assert_eq!(report[0].not_modified_share, 0.5);
        assert_eq!(report[0].median_interval_seconds, Some(600));
        // A blank User-Agent is `(none)`, and the same client as an absent one.
        assert_eq!((report[1].user_agent.as_str(), report[1].requests, report[1].throttled), ("(none)", 3, 1));
        assert_eq!(report[1].median_interval_seconds, Some(0));
        r.observe(&Poll { ip: "::1".parse().unwrap(), ..poll("solo", false) }, 200, t0).unwrap();
        assert_eq!(r.report().iter().find(|a| a.user_agent == "solo").unwrap().median_interval_seconds, None);
    }

    #[test]
    fn a_full_map_still_tracks_new_clients_and_stays_bounded() {
        let r = Readers::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let client = |n: usize| Poll { ip: IpAddr::from(std::net::Ipv6Addr::from(n as u128)), ..poll("reader", false) };
        // Full of clients all seen just now: none is old enough to make room by age.
        for n in 0..MAX_CLIENTS {
            r.observe(&client(n), 200, t0).unwrap();
        }
        assert_eq!(r.state.lock().unwrap().clients.len(), MAX_CLIENTS);
        // A newcomer is tracked, so throttled like anyone (it used to be let through untracked).
        let newcomer = client(MAX_CLIENTS);
        let second = t0 + Duration::from_secs(1);
        assert!(r.observe(&newcomer, 200, t0).is_ok() && r.observe(&newcomer, 200, second).is_ok());
        assert_eq!(r.observe(&newcomer, 200, t0 + Duration::from_secs(2)), Err(Duration::from_secs(58)));
        // So is a client of the previous generation that comes back, with its history.
        assert_eq!(r.observe(&client(MAX_CLIENTS - 1), 200, second), Ok(()));
        assert_eq!(r.observe(&client(MAX_CLIENTS - 1), 200, second), Err(Duration::from_secs(59)));
        // Another MAX_CLIENTS newcomers: memory stays bounded. (What each request costs on a
        // full map, against an empty one, is measured by `cargo bench --bench readers`.)
        for n in MAX_CLIENTS + 1..=2 * MAX_CLIENTS {
            r.observe(&client(n), 200, second).unwrap();
        }
        {
            let state = r.state.lock().unwrap();
            assert!(state.clients.len() <= MAX_CLIENTS && state.clients.current.len() <= GENERATION);
        }
        // The latest newcomer is remembered (one more full fetch, then refused); the first,
        // a whole MAX_CLIENTS newcomers ago, was forgotten to make room (two more pass).
        let latest = client(2 * MAX_CLIENTS);
        assert!(r.observe(&latest, 200, second).is_ok() && r.observe(&latest, 200, second).is_err());
        let first = client(MAX_CLIENTS + 1);
        assert!(r.observe(&first, 200, second).is_ok() && r.observe(&first, 200, second).is_ok());
        assert!(r.observe(&first, 200, second).is_err());
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_ip(ip("192.0.2.9"), Some("198.51.100.1"), &trusted), ip("192.0.2.9"));
        assert_eq!(client_ip(ip("10.0.0.1"), Some("198.51.100.1"), &trusted), ip("198.51.100.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), Some("6.6.6.6, 198.51.100.1, 10.0.0.2"), &trusted), ip("198.51.100.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), Some("garbage"), &trusted), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), None, &trusted), ip("10.0.0.1"));
    }
}
