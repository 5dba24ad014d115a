//! WEBSUB: telling an outside hub which feeds changed, so it fetches them and pushes them to
//! its subscribers. The ping is `hub.mode=publish&hub.url=<topic>` (form-encoded POST), which
//! PubSubHubbub 0.4 defined and the hubs in use accept; WebSub leaves it to the hub. One
//! request per topic (some hubs read one `hub.url` only), retried with growing pauses, so a
//! hub that is down for a minute misses nothing.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::model::redact;
use crate::source::upstream::guard::{self, GuardedResolver};

/// Pauses before each retry: a failing ping is tried four times within about 20 seconds.
const RETRY_PAUSES: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(4), Duration::from_secs(15)];

/// Pings in flight at once.
const AT_ONCE: usize = 8;

/// Longest a run of pings may take, retries included: a hub that is down does not hold a
/// `build` (or a cron slot) for long; what was not sent by then is reported as not told.
const BUDGET: Duration = Duration::from_secs(60);

/// Longest one ping may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The SSRF guard on requests to URLs someone else chose (a hub, a subscriber's callback),
/// exactly as on upstream sources: an address literal is refused before any connection, a
/// name by the resolver at each connection.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    on: bool,
}

impl Guard {
    /// On, unless `allow_private_networks` (or the environment) lifts it.
    pub fn new(allow_private_networks: bool) -> Self {
        Self { on: !(allow_private_networks || guard::lifted_by_env()) }
    }

    /// Whether private networks are allowed (the guard is off).
    pub fn allows_private_networks(&self) -> bool {
        !self.on
    }

    /// A client naming the site by `contact`, following no redirect, through the guard.
    pub fn client(&self, contact: &Url, timeout: Duration) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .user_agent(format!("feedpub/{} (+{contact})", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if self.on {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        builder.build()
    }

    /// Why the guard refuses `url`'s host, when it is an address the guard refuses.
    pub fn refuses(&self, url: &Url) -> Option<String> {
        let ip: std::net::IpAddr = match url.host()? {
            url::Host::Ipv4(ip) => ip.into(),
            url::Host::Ipv6(ip) => ip.into(),
            url::Host::Domain(_) => return None,
        };
        (self.on && guard::is_blocked(ip)).then(|| {
            format!("{ip} is not a public address; set {}=true to allow private networks", guard::ALLOW_PRIVATE_ENV)
        })
    }
}

/// Sends pings to one hub.
#[derive(Debug, Clone)]
pub struct Pinger {
    client: reqwest::Client,
    hub: Url,
    pauses: Vec<Duration>,
    budget: Duration,
    /// Why the guard refuses the hub's address, when it is an address it refuses (a name is
    /// checked by the resolver at each connection).
    refused: Option<String>,
}

/// What pinging did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PingReport {
    /// Topics the hub took (a 2xx answer).
    pub sent: usize,
    /// Topics it did not take after every retry, with the last error.
    pub failed: Vec<(Url, String)>,
}

impl Pinger {
    /// A pinger for `hub`, identifying the site by `contact`. The SSRF guard applies as to
    /// upstream sources, unless `allow_private_networks` (or the environment) lifts it.
    pub fn new(hub: Url, contact: &Url, allow_private_networks: bool) -> reqwest::Result<Self> {
        let guard = Guard::new(allow_private_networks);
        let client = guard.client(contact, TIMEOUT)?;
        let refused = guard.refuses(&hub);
        Ok(Self { client, hub, pauses: RETRY_PAUSES.to_vec(), budget: BUDGET, refused })
    }

    /// The same pinger, pausing `pauses` between tries and giving up on a run after `budget`
    /// (tests).
    pub fn with_timing(mut self, pauses: Vec<Duration>, budget: Duration) -> Self {
        (self.pauses, self.budget) = (pauses, budget);
        self
    }

    /// Tells the hub that each of `topics` changed, retrying each that fails; a few at a time.
    pub async fn ping(&self, topics: &[Url]) -> PingReport {
        let at_once = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut tasks = tokio::task::JoinSet::new();
        for topic in topics {
            let (pinger, topic, at_once) = (self.clone(), topic.clone(), at_once.clone());
            tasks.spawn(async move {
                let _permit = at_once.acquire_owned().await;
                let result = pinger.ping_one(&topic).await;
                (topic, result)
            });
        }
        let mut report = PingReport::default();
        let mut pending: Vec<Url> = topics.to_vec();
        let deadline = tokio::time::Instant::now() + self.budget;
        while let Ok(Some(joined)) = tokio::time::timeout_at(deadline, tasks.join_next()).await {
            match joined {
                Ok((topic, result)) => {
                    pending.retain(|t| *t != topic);
                    match result {
                        Ok(()) => report.sent += 1,
                        Err(e) => {
                            tracing::warn!(hub = %redact::for_logs(&self.hub), topic = %topic, error = %e, "the hub did not take the ping");
                            report.failed.push((topic, e));
                        }
                    }
                }
                // Left in `pending`: reported as not told below.
                Err(e) => tracing::error!(error = %e, "a ping task failed"),
            }
        }
        // Dropping the set stops what is still running.
        drop(tasks);
        let late = format!("not sent within {:?}", self.budget);
        report.failed.extend(pending.into_iter().map(|t| (t, late.clone())));
        report.failed.sort();
        report
    }

    async fn ping_one(&self, topic: &Url) -> Result<(), String> {
        if let Some(reason) = &self.refused {
            return Err(reason.clone());
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("hub.mode", "publish")
            .append_pair("hub.url", topic.as_str())
            .finish();
        let mut pauses = self.pauses.iter();
        loop {
            let sent = self
                .client
                .post(self.hub.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await;
            let error = match sent {
                Ok(answer) if answer.status().is_success() => return Ok(()),
                // The hub refuses this ping as it stands (a 4xx other than 408 and 429): asking
                // again changes nothing.
                Ok(answer) if answer.status().is_client_error() && !matches!(answer.status().as_u16(), 408 | 429) => {
                    return Err(format!("HTTP {}", answer.status()));
                }
                Ok(answer) => format!("HTTP {}", answer.status()),
                Err(e) => e.without_url().to_string(),
            };
            match pauses.next() {
                Some(pause) => tokio::time::sleep(*pause).await,
                None => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::post;

    use super::*;

    /// A hub on loopback answering 503 to the first `failing` pings and 202 after; it keeps
    /// every body it was sent.
    async fn hub(failing: usize) -> (Url, Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>) {
        let (bodies, hits) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicUsize::new(0)));
        let (b, h) = (bodies.clone(), hits.clone());
        let app = Router::new().route(
            "/hub",
            post(move |body: String| {
                let (b, h) = (b.clone(), h.clone());
                async move {
                    b.lock().unwrap().push(body);
                    match h.fetch_add(1, Ordering::SeqCst) < failing {
                        true => StatusCode::SERVICE_UNAVAILABLE,
                        false => StatusCode::ACCEPTED,
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/hub", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, bodies, hits)
    }

    fn topic(name: &str) -> Url {
        Url::parse(&format!("https://example.org/wire/{name}")).unwrap()
    }

    fn contact() -> Url {
        Url::parse("https://example.org/").unwrap()
    }

    #[tokio::test]
    async fn each_topic_is_published_and_a_failing_ping_is_retried() {
        let (url, bodies, hits) = hub(1).await;
        let pinger = Pinger::new(url, &contact(), true).unwrap().with_timing(vec![Duration::ZERO; 3], BUDGET);
        let report = pinger.ping(&[topic("rss.xml"), topic("atom.xml")]).await;
        assert_eq!(report, PingReport { sent: 2, failed: Vec::new() });
        // One of the two was refused once and sent again.
        assert_eq!(hits.load(Ordering::SeqCst), 3);
        let mut bodies = bodies.lock().unwrap().clone();
        bodies.sort();
        bodies.dedup();
        assert_eq!(
            bodies,
            [
                "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Fwire%2Fatom.xml",
                "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Fwire%2Frss.xml",
            ]
        );
    }

    #[tokio::test]
    async fn a_hub_that_keeps_failing_is_reported_after_every_retry() {
        let (url, _, hits) = hub(usize::MAX).await;
        let pinger = Pinger::new(url, &contact(), true).unwrap().with_timing(vec![Duration::ZERO; 3], BUDGET);
        let report = pinger.ping(&[topic("feed.json")]).await;
        assert_eq!(report.sent, 0);
        assert_eq!(report.failed, [(topic("feed.json"), "HTTP 503 Service Unavailable".to_owned())]);
        assert_eq!(hits.load(Ordering::SeqCst), 4, "one try and three retries");
    }

    #[tokio::test]
    async fn a_run_stops_at_its_budget_and_names_what_was_not_sent() {
        let (url, _, hits) = hub(usize::MAX).await;
        let pause = Duration::from_secs(3600);
        let pinger = Pinger::new(url, &contact(), true).unwrap().with_timing(vec![pause], Duration::from_millis(300));
        let report = pinger.ping(&[topic("rss.xml")]).await;
        assert_eq!(report.failed, [(topic("rss.xml"), "not sent within 300ms".to_owned())]);
        assert_eq!(hits.load(Ordering::SeqCst), 1, "tried once, then out of time");
    }

    #[tokio::test]
    async fn the_guard_keeps_pings_off_private_addresses() {
        if guard::lifted_by_env() {
            return; // The environment lifts the guard for this whole process.
        }
        let (url, _, hits) = hub(0).await;
        // By name (the resolver refuses it) and by address (refused before any connection).
        let local = Url::parse(&url.as_str().replace("127.0.0.1", "localhost")).unwrap();
        for hub in [local, url] {
            let pinger = Pinger::new(hub, &contact(), false).unwrap().with_timing(Vec::new(), BUDGET);
            let report = pinger.ping(&[topic("rss.xml")]).await;
            assert_eq!(report.sent, 0);
        }
        assert_eq!(hits.load(Ordering::SeqCst), 0, "no connection reached the hub");
    }
}
