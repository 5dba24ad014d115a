//! FETCH: one upstream document over HTTP, as a good citizen.
//!
//! Validators are sent back verbatim, redirects are followed by hand (so each hop is checked
//! by the SSRF guard, counted, and a permanent move is reported for the caller to persist,
//! unless it downgrades https to http), the
//! body is capped on the *decompressed* stream while it is read (reqwest has no cap, and a gzip
//! bomb must not get past one), one deadline covers every hop and the body (reqwest's timeout
//! is per request, so a chain of slow redirects would get it once per hop), and every failure
//! names the URL.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use headers::HeaderMapExt as _;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::time::Instant;
use url::{Host, Url};

use super::guard::{self, GuardedResolver};
use crate::model::redact;

/// How the fetcher behaves.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Sent on every request: name, version and a URL to find the operator.
    pub user_agent: String,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for the whole fetch: every redirect hop and the body.
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub body_cap: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Lifts the SSRF guard (config key or `FEEDPUB_ALLOW_PRIVATE_NETWORKS=true`).
    pub allow_private_networks: bool,
}

impl FetchOptions {
    /// The defaults, identifying the operator by `contact` (the site's URL).
    pub fn new(contact: &Url) -> Self {
        Self {
            user_agent: format!("feedpub/{} (+{contact})", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            body_cap: 15 << 20,
            max_redirects: 5,
            allow_private_networks: guard::lifted_by_env(),
        }
    }
}

/// The validators of the last successful fetch, sent back verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag` as received.
    pub etag: Option<String>,
    /// `Last-Modified` as received.
    pub last_modified: Option<String>,
}

/// What the upstream says about how long its answer stays fresh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freshness {
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// `Expires`.
    pub expires: Option<SystemTime>,
}

/// A successful exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304`: nothing new.
    NotModified {
        /// Where a permanent redirect (301/308) says the source now lives.
        moved_to: Option<Url>,
        /// Freshness hints.
        freshness: Freshness,
    },
    /// A document.
    Document {
        /// The body as sent (decompressed), never transcoded: the parser reads the encoding.
        bytes: Vec<u8>,
        /// The `charset` parameter of `Content-Type`, for documents that declare none.
        charset: Option<String>,
        /// The URL the body came from, after redirects (for relative links).
        url: Url,
        /// Validators to send next time.
        validators: Validators,
        /// Where a permanent redirect says the source now lives.
        moved_to: Option<Url>,
        /// Freshness hints.
        freshness: Freshness,
        /// What its `Link` headers say of a WebSub hub (boxed: most responses name none, and
        /// the variant stays small).
        links: Box<super::discover::HubLinks>,
    },
    /// `410 Gone`: the source is retired.
    Gone,
}

/// A failed exchange; every variant names the URL, shown without credentials
/// ([`redact::for_logs`]): the message reaches the log, the store and the poll's output.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The SSRF guard or the scheme check refused the URL; no connection was made.
    #[error("{}: refused: {}", redact::for_logs(.url), redact::in_text(.reason))]
    Refused {
        /// The URL.
        url: Url,
        /// Why.
        reason: String,
    },
    /// Connecting or reading failed.
    #[error("{}: {}", redact::for_logs(.url), redact::in_text(.message))]
    Network {
        /// The URL.
        url: Url,
        /// The cause, with its chain.
        message: String,
    },
    /// The fetch, redirects and body included, took longer than the timeout.
    #[error("{}: timed out", redact::for_logs(.url))]
    Timeout {
        /// The URL in flight when the deadline passed.
        url: Url,
    },
    /// An error status; `retry_after` when the server said when to come back (429, 503).
    #[error("{}: HTTP {status}", redact::for_logs(.url))]
    Status {
        /// The URL.
        url: Url,
        /// The status code.
        status: u16,
        /// How long the server asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The (decompressed) body passed the cap; reading stopped there.
    #[error("{}: body larger than the cap of {} MiB ({cap} bytes); reading stopped there", redact::for_logs(.url), .cap >> 20)]
    TooLarge {
        /// The URL.
        url: Url,
        /// The cap.
        cap: u64,
    },
    /// Too many redirects, or a redirect back to a URL already visited.
    #[error("{}: {}", redact::for_logs(.url), redact::in_text(.message))]
    Redirect {
        /// The URL that redirected.
        url: Url,
        /// What was wrong.
        message: String,
    },
}

/// An HTTP client for upstream feeds.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: Arc<FetchOptions>,
}

impl Fetcher {
    /// A client with `options`; the SSRF guard is in its resolver unless lifted.
    pub fn new(options: FetchOptions) -> reqwest::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .user_agent(&options.user_agent)
            .connect_timeout(options.connect_timeout)
            // No `.timeout()`: it would restart at every hop; `fetch` holds one deadline instead.
            // Followed by hand, so each hop is checked and permanent moves are seen.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would connect on our behalf, past the guard.
            .no_proxy();
        if !options.allow_private_networks {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        Ok(Self { client: builder.build()?, options: Arc::new(options) })
    }

    /// Fetches `url`, sending `validators`, within one `timeout` for all hops and the body.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let deadline = Instant::now() + self.options.timeout;
        let mut current = url.clone();
        // Every redirect followed: its status and where it pointed.
        let mut hops: Vec<(StatusCode, Url)> = Vec::new();
        loop {
            self.check(&current)?;
            let response = before(deadline, &current, self.send(&current, validators)).await?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = redirect_target(&current, response.headers())?;
                if hops.len() >= self.options.max_redirects {
                    let message = format!("more than {} redirects", self.options.max_redirects);
                    return Err(FetchError::Redirect { url: current, message });
                }
                if next == *url || hops.iter().any(|(_, to)| *to == next) {
                    return Err(FetchError::Redirect {
                        url: current,
                        message: format!("redirect loop back to {}", redact::for_logs(&next)),
                    });
                }
                hops.push((status, next.clone()));
                current = next;
                continue;
            }
            let moved_to = moved_to(url, &hops);
            let freshness = freshness(response.headers());
            return match status {
                StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified { moved_to, freshness }),
                StatusCode::GONE => Ok(Fetched::Gone),
                s if s.is_success() => {
                    let charset = charset(response.headers());
                    let validators = Validators {
                        etag: header_text(response.headers(), header::ETAG),
                        last_modified: header_text(response.headers(), header::LAST_MODIFIED),
                    };
                    let links = Box::new(super::discover::from_headers(response.headers(), &current));
                    let bytes = self.read_capped(&current, response, deadline).await?;
                    Ok(Fetched::Document { bytes, charset, url: current, validators, moved_to, freshness, links })
                }
                s => Err(FetchError::Status {
                    url: current,
                    status: s.as_u16(),
                    retry_after: retry_after(response.headers(), SystemTime::now()),
                }),
            };
        }
    }

    /// Scheme and IP-literal checks, before any connection (names are checked by the resolver).
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        let refuse = |reason: String| Err(FetchError::Refused { url: url.clone(), reason });
        if !matches!(url.scheme(), "http" | "https") {
            return refuse(format!("scheme {:?}: only http and https", url.scheme()));
        }
        if self.options.allow_private_networks {
            return Ok(());
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
            Some(Host::Domain(_)) => return Ok(()),
            None => return refuse("no host".into()),
        };
        if guard::is_blocked(ip) {
            return refuse(format!(
                "{ip} is not a public address; set {}=true to allow private networks",
                guard::ALLOW_PRIVATE_ENV
            ));
        }
        Ok(())
    }

    async fn send(&self, url: &Url, validators: &Validators) -> Result<reqwest::Response, FetchError> {
        let mut request = self.client.get(url.clone()).header(header::ACCEPT, ACCEPT);
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, lm);
        }
        request.send().await.map_err(|e| classify(url, &e))
    }

    async fn read_capped(
        &self,
        url: &Url,
        mut response: reqwest::Response,
        deadline: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        let cap = self.options.body_cap;
        let mut body = Vec::new();
        // `chunk()` yields decompressed bytes, so this counts what a bomb would expand to.
        loop {
            let next = async { response.chunk().await.map_err(|e| classify(url, &e)) };
            let Some(chunk) = before(deadline, url, next).await? else { break };
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(FetchError::TooLarge { url: url.clone(), cap });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Where the source fetched as `start` now lives, after the redirects `hops` (status, target):
/// the target of the last hop in the unbroken run of permanent ones (301, 308) from the start,
/// since a temporary hop says nothing about where the source will be. None when any permanent
/// hop goes from https to http: the downgrade is followed for this fetch, but storing it would
/// fetch the source in clear text for good on the word of one answer (which the first http hop
/// lets anyone on the path forge onwards).
fn moved_to(start: &Url, hops: &[(StatusCode, Url)]) -> Option<Url> {
    let (mut from, mut moved, mut unbroken) = (start, None, true);
    for (status, to) in hops {
        let permanent = matches!(*status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
        if permanent && from.scheme() == "https" && to.scheme() == "http" {
            return None;
        }
        unbroken &= permanent;
        if unbroken {
            moved = Some(to.clone());
        }
        from = to;
    }
    moved
}

/// Runs `step` of the fetch of `url` unless `deadline` passes first.
async fn before<T>(
    deadline: Instant,
    url: &Url,
    step: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    tokio::time::timeout_at(deadline, step).await.unwrap_or_else(|_| Err(FetchError::Timeout { url: url.clone() }))
}

/// What we can read, best first.
const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, \
                      application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1";

fn classify(url: &Url, e: &reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout { url: url.clone() };
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest's message quotes the URL it was given, credentials and all.
    let message = redact::in_text(&message).into_owned();
    if message.contains("non-public addresses") {
        return FetchError::Refused { url: url.clone(), reason: message };
    }
    FetchError::Network { url: url.clone(), message }
}

/// The `Location` of a redirect, resolved against the URL that sent it.
fn redirect_target(from: &Url, headers: &HeaderMap) -> Result<Url, FetchError> {
    let bad = |message: String| FetchError::Redirect { url: from.clone(), message };
    let location = headers.get(header::LOCATION).ok_or_else(|| bad("redirect without Location".into()))?;
    let location = location.to_str().map_err(|_| bad("Location is not text".into()))?;
    from.join(location).map_err(|e| bad(format!("bad Location {:?}: {e}", redact::in_text(location))))
}

pub(crate) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub(crate) fn charset(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.typed_get::<headers::ContentType>()?;
    let mime: mime::Mime = content_type.into();
    mime.get_param(mime::CHARSET).map(|c| c.as_str().to_owned())
}

pub(crate) fn freshness(headers: &HeaderMap) -> Freshness {
    Freshness {
        max_age: headers.typed_get::<headers::CacheControl>().and_then(|c| c.max_age()),
        expires: headers.typed_get::<headers::Expires>().map(SystemTime::from),
    }
}

/// `Retry-After` in either form (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    // delay-seconds is `1*DIGIT`: a number past u64 means "very long", which the scheduler
    // clamps, not "no hint".
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_both_forms() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, SystemTime::now()), Some(Duration::from_secs(120)));
        let now = httpdate::parse_http_date("Sun, 29 Nov 2026 06:00:00 GMT").unwrap();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("Sun, 29 Nov 2026 06:05:00 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(300)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("Sun, 29 Nov 2026 05:00:00 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("99999999999999999999999"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(u64::MAX)), "clamped later, not ignored");
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("-5"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn a_permanent_move_is_persisted_unless_a_permanent_hop_downgrades_to_http() {
        let u = |s: &str| Url::parse(s).unwrap();
        let (perm, perm308, temp) = (StatusCode::MOVED_PERMANENTLY, StatusCode::PERMANENT_REDIRECT, StatusCode::FOUND);
        let moved = |start: &str, hops: &[(StatusCode, &str)]| {
            let hops: Vec<(StatusCode, Url)> = hops.iter().map(|(s, to)| (*s, u(to))).collect();
            moved_to(&u(start), &hops).map(String::from)
        };
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(moved("https://a/f", &[]), None);
        assert_eq!(moved("http://a/f", &[(perm, "http://b/f")]), some("http://b/f"));
        assert_eq!(moved("https://a/f", &[(perm308, "https://b/f")]), some("https://b/f"));
        assert_eq!(moved("http://a/f", &[(perm, "https://a/f")]), some("https://a/f"), "an upgrade is kept");
        assert_eq!(moved("https://a/f", &[(temp, "https://b/f")]), None);
        assert_eq!(moved("https://a/f", &[(perm, "https://b/f"), (temp, "https://c/f")]), some("https://b/f"));
        // The downgrade itself, by either permanent status, and anywhere in the chain.
        assert_eq!(moved("https://a/f", &[(perm, "http://a/f")]), None);
        assert_eq!(moved("https://a/f", &[(perm308, "http://b/f")]), None);
        assert_eq!(moved("https://a/f", &[(perm, "https://b/f"), (perm, "http://b/f")]), None);
        assert_eq!(moved("https://a/f", &[(perm, "http://b/f"), (perm, "https://c/f")]), None, "back to https");
        assert_eq!(moved("https://a/f", &[(temp, "https://b/f"), (perm, "http://c/f")]), None);
        // A temporary downgrade is never stored anyway; the permanent move before it still is.
        assert_eq!(moved("https://a/f", &[(perm, "https://b/f"), (temp, "http://c/f")]), some("https://b/f"));
    }

    #[test]
    fn charset_and_freshness() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/rss+xml; charset=windows-1256"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=900"));
        assert_eq!(charset(&h).as_deref(), Some("windows-1256"));
        assert_eq!(freshness(&h).max_age, Some(Duration::from_secs(900)));
    }
}
