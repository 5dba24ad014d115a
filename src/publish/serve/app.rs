//! The service's shared state and its routes.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use headers::HeaderMapExt;
use hyper::header::{self, HeaderValue};
use ipnet::IpNet;
use tower_http::timeout::TimeoutLayer;

use super::callback::{CALLBACK_ROUTE, Callbacks};
use super::metrics::Metrics;
use super::readers::{Poll, Readers, client_ip};
use super::respond;
use super::site::Site;
use crate::config::HUB_PATH as HUB_ROUTE;
use crate::publish::hub::Hub;
use crate::render::archive::Archived;

/// Reports whether the store can be reached (for `/readyz`); the error says why not.
pub type ReadyCheck = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Everything the request handlers share.
pub struct App {
    site: ArcSwap<Site>,
    readers: Arc<Readers>,
    metrics: Metrics,
    trusted_proxies: Vec<IpNet>,
    ready_check: ReadyCheck,
    websub: WebSub,
}

/// The WebSub parts of the service, each when it runs.
#[derive(Clone, Default)]
pub struct WebSub {
    /// The built-in hub (`[websub] hub = "builtin"`).
    pub hub: Option<Arc<Hub>>,
    /// The subscriber for upstream sources, answering at its callback route.
    pub callbacks: Option<Arc<dyn Callbacks>>,
}

impl App {
    /// State serving `site` (which took `render_seconds` to make), refusing unconditional feed
    /// re-fetches sooner than `min_refetch`.
    pub fn new(
        site: Site,
        render_seconds: f64,
        min_refetch: Duration,
        trusted_proxies: Vec<IpNet>,
        ready_check: ReadyCheck,
        websub: WebSub,
    ) -> Arc<Self> {
        let readers = Arc::new(Readers::new(min_refetch));
        let metrics = Metrics::new(
            readers.clone(),
            websub.hub.as_deref().map(Hub::metrics),
            websub.callbacks.as_deref().map(Callbacks::metrics),
        );
        metrics.rendered(render_seconds, site.feeds, site.items);
        Arc::new(Self { site: ArcSwap::from_pointee(site), readers, metrics, trusted_proxies, ready_check, websub })
    }

    /// The site being served now.
    pub fn site(&self) -> Arc<Site> {
        self.site.load_full()
    }

    /// Replaces the whole site at once: a request sees the old set or the new, never a mix.
    pub fn swap(&self, site: Site, render_seconds: f64) {
        self.metrics.rendered(render_seconds, site.feeds, site.items);
        self.site.store(Arc::new(site));
    }

    /// The metrics, for recording renders.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The reader report.
    pub fn readers(&self) -> &Readers {
        &self.readers
    }

    /// The built-in hub, when it runs.
    pub fn hub(&self) -> Option<&Arc<Hub>> {
        self.websub.hub.as_ref()
    }

    /// The subscriber for upstream sources, when it runs.
    pub fn callbacks(&self) -> Option<&Arc<dyn Callbacks>> {
        self.websub.callbacks.as_ref()
    }

    /// Answers a request for a published file (or 400/404/405) from `peer`, without a socket:
    /// what the connection loop does for every path but the operations endpoints.
    pub fn answer<B>(&self, peer: IpAddr, request: &hyper::Request<B>) -> Response {
        published(self, peer, request, Held::Any).expect("any file is answered")
    }
}

/// The routes: operations endpoints, and every published file at its build path.
pub fn router(app: Arc<App>, request_timeout: Duration) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/readers", get(readers))
        .route(HUB_ROUTE, any(super::hub::endpoint))
        .route(CALLBACK_ROUTE, any(super::callback::endpoint))
        // Pages made from the store (the fallback) and the store probe wait on something, so
        // they get the deadline; held files never reach the router (see `super::run`), and slow
        // clients are cut off at the socket.
        .fallback(fallback)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .with_state(app)
}

/// Every response says `nosniff`: a feed must never be sniffed into HTML.
pub(super) fn with_nosniff(mut response: Response) -> Response {
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

pub(super) fn plain(app: &App, route: &'static str, status: StatusCode, text: String) -> Response {
    app.metrics.request(route, status.as_u16(), text.len());
    let mut r = (status, text).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_nosniff(r)
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    plain(&app, "healthz", StatusCode::OK, "ok\n".into())
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    let probe = app.clone();
    let store = tokio::task::spawn_blocking(move || (probe.ready_check)())
        .await
        .unwrap_or_else(|e| Err(format!("store check panicked: {e}")));
    let site = app.site();
    match store {
        Ok(()) if !site.is_empty() => {
            plain(&app, "readyz", StatusCode::OK, format!("ready: {} feeds, {} items\n", site.feeds, site.items))
        }
        Ok(()) => plain(&app, "readyz", StatusCode::SERVICE_UNAVAILABLE, "not ready: nothing rendered\n".into()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            plain(&app, "readyz", StatusCode::SERVICE_UNAVAILABLE, "not ready: store unreachable\n".into())
        }
    }
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let text = app.metrics.encode();
    app.metrics.request("metrics", 200, text.len());
    let mut r = text.into_response();
    let ct = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_nosniff(r)
}

async fn readers(State(app): State<Arc<App>>) -> Response {
    let body = serde_json::to_string(&app.readers.report()).expect("the report serialises");
    app.metrics.request("readers", 200, body.len());
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_nosniff(r)
}

/// The operations endpoints; every other path is answered by [`published`].
pub(super) fn is_ops_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/readers" | HUB_ROUTE)
        || path.starts_with(super::callback::CALLBACK_PREFIX)
}

/// Paths not held in memory (pages made from the store, and 404s): answered on a blocking
/// thread, so a store read or a render never stalls the threads that answer feed polls.
pub(super) async fn fallback(State(app): State<Arc<App>>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let peer = peer.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let (parts, _) = request.into_parts();
    let request = hyper::Request::from_parts(parts, ());
    let answer = tokio::task::spawn_blocking({
        let app = app.clone();
        move || published(&app, peer, &request, Held::Any).expect("any file is answered")
    });
    answer.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "answering a page panicked");
        plain(&app, "error", StatusCode::INTERNAL_SERVER_ERROR, "internal error\n".into())
    })
}

/// Which files [`published`] may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Held {
    /// Only those held in memory (on an async thread: nothing that reads the store).
    Only,
    /// Any (on a blocking thread).
    Any,
}

/// A published file, or 404/400/405, for a request from `peer`. This is the hot path, called by
/// the connection loop without the router: synchronous, it borrows the request, and takes one
/// lock (the reader tracker's) per feed poll.
/// `None` when `held` is [`Held::Only`] and the file is not held (the site that was looked at,
/// loaded once, decides).
pub(super) fn published<B>(app: &App, peer: IpAddr, request: &hyper::Request<B>, held: Held) -> Option<Response> {
    let (method, headers) = (request.method(), request.headers());
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(app, "method_not_allowed", StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only\n".into());
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Some(r);
    }
    let Some(path) = clean_path(request.uri().path()) else {
        return Some(plain(app, "bad_request", StatusCode::BAD_REQUEST, "bad path\n".into()));
    };
    let site = app.site.load();
    if held == Held::Only && !site.holds(&path) {
        return None;
    }
    let found = match site.get(&path) {
        Ok(None) => path.strip_suffix("index.html").map_or(Ok(None), |dir| site.get(dir)),
        other => other,
    };
    let Ok(found) = found else {
        // Not a 404: the page exists as far as anyone knows, it just cannot be made now.
        let mut r =
            plain(app, "unavailable", StatusCode::SERVICE_UNAVAILABLE, "the store is unreachable; try again\n".into());
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        return Some(r);
    };
    let Some(res) = found else {
        if !path.ends_with('/') && site.exists(&format!("{path}/")) {
            // `/<slug>` → `/<slug>/`, so relative links on the page resolve.
            app.metrics.request("redirect", 308, 0);
            let to = HeaderValue::from_str(&format!("{path}/")).expect("a clean path is a valid header value");
            return Some(with_nosniff((StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response()));
        }
        return Some(plain(app, "not_found", StatusCode::NOT_FOUND, "not found\n".into()));
    };
    let route = res.kind.as_str();
    let answer = respond::answer(&res, headers, method == Method::HEAD);
    let status = answer.response.status().as_u16();
    // Readers poll the feeds; a walk of the archive reads each page once, and is no poll.
    if res.kind.is_feed() && res.archived == Archived::No {
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let poll = Poll {
            ip: client_ip(peer, forwarded, &app.trusted_proxies),
            user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or(""),
            path: &path,
            conditional: respond::is_conditional(headers),
        };
        if let Err(wait) = app.readers.observe(&poll, status, Instant::now()) {
            // Round up: a client that waits exactly Retry-After seconds must then be let in.
            let wait = Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
            let mut r = plain(app, route, StatusCode::TOO_MANY_REQUESTS, too_many(wait));
            r.headers_mut().typed_insert(headers::RetryAfter::delay(wait));
            return Some(r);
        }
    }
    app.metrics.site_request(res.kind, status, answer.body_bytes);
    tracing::debug!(target: "feedpub::access", path = %path, status, bytes = answer.body_bytes);
    Some(answer.response)
}

fn too_many(wait: Duration) -> String {
    format!(
        "This feed was fetched in full moments ago. Retry after {} seconds, and send If-None-Match \
         or If-Modified-Since: conditional requests are never refused.\n",
        wait.as_secs()
    )
}

/// The percent-decoded path, or `None` when it is not one a published file could have: a
/// `.` or `..` segment, a backslash or NUL, or invalid UTF-8 (traversal attempts, decoded or not).
fn clean_path(raw: &str) -> Option<Cow<'_, str>> {
    let path = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
    let bad_segment = |s: &str| s == "." || s == ".." || s.contains(['\\', '\0']);
    if !path.starts_with('/') || path.split('/').any(bad_segment) {
        return None;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths() {
        assert_eq!(clean_path("/a/rss.xml").as_deref(), Some("/a/rss.xml"));
        assert_eq!(clean_path("/a%2Drss/x").as_deref(), Some("/a-rss/x"));
        for bad in ["/../etc/passwd", "/a/%2e%2e/b", "/a/%2E%2E%2Fb", "/a/./b", "/a\\b", "/a%00b", "/%ff", "/a/.."] {
            assert_eq!(clean_path(bad), None, "{bad}");
        }
    }
}
