//! `/websub/callback/<id>`: where the hubs of upstream sources call back — a GET to verify a
//! subscription feedpub asked for, a POST to push a new version of the topic. The id is a
//! random capability made per subscription; what it means is the subscriber's business
//! ([`Callbacks`], in the pipeline), the HTTP is this module's.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use hyper::header::{self, HeaderValue};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::app::{App, fallback, plain};
use crate::source::upstream::fetch;
use crate::source::upstream::subscribe::Ask;

/// The route, below the site's root.
pub const CALLBACK_ROUTE: &str = "/websub/callback/{id}";

/// What every callback path starts with.
pub const CALLBACK_PREFIX: &str = "/websub/callback/";

/// The path of callback `id`'s URL, relative to `base_url`.
pub fn callback_path(id: &str) -> String {
    format!("websub/callback/{id}")
}

/// Largest push read: as large as a polled document may be.
pub const MAX_PUSH: usize = 15 << 20;

/// A future answering one callback request.
pub type Answering = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// A future telling whether a callback id is a subscription that may push (or the answer
/// when that cannot be told).
pub type Knowing = Pin<Box<dyn Future<Output = Result<bool, Answer>> + Send>>;

/// What the subscriber makes of a callback request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body: the challenge for a confirmed verification, else a line saying why.
    pub text: String,
}

/// A pushed document, as received.
#[derive(Debug, Clone)]
pub struct Push {
    /// `X-Hub-Signature`, when sent.
    pub signature: Option<String>,
    /// The `charset` of `Content-Type`, when given.
    pub charset: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// The subscriber behind the callback route.
pub trait Callbacks: Send + Sync {
    /// A slot to answer one request in, or `None` when too many are being answered.
    fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit>;
    /// Answers the hub's verification of intent (`query` as received) for subscription `id`.
    fn verify(self: Arc<Self>, id: String, query: String) -> Answering;
    /// Whether `id` is a subscription that may push (checked before the body is read).
    fn knows(self: Arc<Self>, id: String) -> Knowing;
    /// Takes a push for subscription `id`.
    fn push(self: Arc<Self>, id: String, push: Push) -> Answering;
    /// Its counters.
    fn metrics(&self) -> &SubscriberMetrics;
}

/// Answers a hub's call back.
pub(super) async fn endpoint(State(app): State<Arc<App>>, Path(id): Path<String>, request: Request) -> Response {
    let Some(subscriber) = app.callbacks().cloned() else { return fallback(State(app), request).await };
    let Some(_slot) = subscriber.admit() else {
        let text = "too many callback requests at once; retry in a minute\n".to_owned();
        let mut r = plain(&app, "websub_callback", StatusCode::SERVICE_UNAVAILABLE, text);
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return r;
    };
    let answer = match *request.method() {
        Method::GET => subscriber.verify(id, request.uri().query().unwrap_or("").to_owned()).await,
        Method::POST => match subscriber.clone().knows(id.clone()).await {
            Err(answer) => answer,
            Ok(false) => {
                subscriber.metrics().push(PushResult::UnknownCallback);
                // 410: a hub that still pushes to a subscription feedpub ended stops (§7).
                Answer { status: StatusCode::GONE, text: "no such subscription\n".into() }
            }
            Ok(true) => {
                // Read as a polled document's headers are.
                let headers = request.headers();
                let signature = fetch::header_text(headers, header::HeaderName::from_static("x-hub-signature"));
                let charset = fetch::charset(headers);
                match axum::body::to_bytes(Body::new(request.into_body()), MAX_PUSH).await {
                    Ok(body) => subscriber.push(id, Push { signature, charset, body }).await,
                    Err(_) => {
                        subscriber.metrics().push(PushResult::TooLarge);
                        let text = format!("a push is at most {MAX_PUSH} bytes\n");
                        Answer { status: StatusCode::PAYLOAD_TOO_LARGE, text }
                    }
                }
            }
        },
        _ => {
            let text = "a WebSub callback: GET to verify, POST to push\n".to_owned();
            let mut r = plain(&app, "websub_callback", StatusCode::METHOD_NOT_ALLOWED, text);
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            return r;
        }
    };
    plain(&app, "websub_callback", answer.status, answer.text)
}

/// What became of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushResult {
    /// Signed right, read and stored.
    Stored,
    /// Signed right, but not a feed feedpub can read.
    Unreadable,
    /// No signature.
    Unsigned,
    /// A signature that does not match (or is not one).
    BadSignature,
    /// For no subscription feedpub has.
    UnknownCallback,
    /// Larger than [`MAX_PUSH`].
    TooLarge,
    /// The store failed.
    StoreError,
    /// A poll of its source held it (503: the hub pushes again).
    Busy,
}

impl PushResult {
    fn as_str(self) -> &'static str {
        match self {
            PushResult::Stored => "stored",
            PushResult::Unreadable => "unreadable",
            PushResult::Unsigned => "unsigned",
            PushResult::BadSignature => "bad_signature",
            PushResult::UnknownCallback => "unknown_callback",
            PushResult::TooLarge => "too_large",
            PushResult::StoreError => "store_error",
            PushResult::Busy => "busy",
        }
    }
}

/// What became of a request to a hub, or of its verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The hub took the request (2xx) / the verification was confirmed.
    Accepted,
    /// The hub refused it or could not be reached / the verification was refused (404).
    Refused,
    /// The hub denied the subscription (`hub.mode=denied`).
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Refused => "refused",
            Outcome::Denied => "denied",
        }
    }
}

macro_rules! label_value {
    ($($t:ty),*) => {$(
        impl EncodeLabelValue for $t {
            fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
                EncodeLabelValue::encode(&self.as_str(), encoder)
            }
        }
    )*};
}
label_value!(PushResult, Outcome, Ask);

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PushLabels {
    result: PushResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AskLabels {
    mode: Ask,
    result: Outcome,
}

/// The subscriber's counters, on `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct SubscriberMetrics {
    reviews: Counter,
    requests: Family<AskLabels, Counter>,
    verifications: Family<AskLabels, Counter>,
    pushes: Family<PushLabels, Counter>,
}

impl SubscriberMetrics {
    /// Registers them in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "websub_upstream_reviews",
            "Polled sources whose WebSub subscription was looked at (and asked for, renewed or ended when due)",
            self.reviews.clone(),
        );
        registry.register(
            "websub_upstream_requests",
            "Subscription requests to the hubs of upstream sources, by mode and whether the hub took them",
            self.requests.clone(),
        );
        registry.register(
            "websub_upstream_verifications",
            "Verifications of intent from the hubs of upstream sources, by mode and answer",
            self.verifications.clone(),
        );
        registry.register(
            "websub_pushes",
            "Pushes received from the hubs of upstream sources, by what became of them",
            self.pushes.clone(),
        );
    }

    /// Counts a polled source whose subscription was looked at, once whatever it needed was
    /// asked of its hub.
    pub fn reviewed(&self) {
        self.reviews.inc();
    }

    /// Counts a request to a hub.
    pub fn request(&self, mode: Ask, result: Outcome) {
        self.requests.get_or_create(&AskLabels { mode, result }).inc();
    }

    /// Counts a hub's verification of intent.
    pub fn verification(&self, mode: Ask, result: Outcome) {
        self.verifications.get_or_create(&AskLabels { mode, result }).inc();
    }

    /// Counts a push.
    pub fn push(&self, result: PushResult) {
        self.pushes.get_or_create(&PushLabels { result }).inc();
    }
}
