//! `/websub`: the built-in hub's endpoint. Subscribers POST their form here; without a hub
//! the path is an ordinary one (a feed may be called `websub`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use hyper::header::{self, HeaderValue};

use super::app::{App, fallback, plain};
use crate::publish::hub::request::MAX_BODY;

/// Answers a request to the hub.
pub(super) async fn endpoint(State(app): State<Arc<App>>, request: Request) -> Response {
    let Some(hub) = app.hub().cloned() else { return fallback(State(app), request).await };
    if request.method() != Method::POST {
        let text = "the WebSub hub: POST a form with hub.mode, hub.topic and hub.callback\n";
        let mut r = plain(&app, "websub", StatusCode::METHOD_NOT_ALLOWED, text.into());
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let form = request.headers().get(header::CONTENT_TYPE).is_none_or(|ct| {
        ct.to_str().is_ok_and(|ct| {
            ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if !form {
        let text = "a subscription request is application/x-www-form-urlencoded\n";
        return plain(&app, "websub", StatusCode::UNSUPPORTED_MEDIA_TYPE, text.into());
    }
    let body = match axum::body::to_bytes(Body::new(request.into_body()), MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            let text = format!("a subscription request is at most {MAX_BODY} bytes\n");
            return plain(&app, "websub", StatusCode::PAYLOAD_TOO_LARGE, text);
        }
    };
    let site = app.site();
    let is_topic = |path: &str| site.resources().get(path).is_some_and(|r| r.kind.is_topic(r.archived));
    let (status, text) = hub.request(&body, is_topic);
    let mut r = plain(&app, "websub", status, text);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // Too many verifications waiting: a minute is about how long a thousand take.
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    r
}
