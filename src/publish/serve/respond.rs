//! Answering for one published file: validators, conditional requests, content coding and
//! caching headers (RFC 9110 §8.8, §13; RFC 9111 §5.2).

use axum::body::Body;
use axum::response::Response;
use headers::{HeaderMapExt, IfModifiedSince, IfNoneMatch};
use hyper::StatusCode;
use hyper::header::{self, HeaderMap, HeaderValue};

use super::negotiate;
use super::site::{Coding, Resource};

/// A response and the body bytes it carries (for the byte counter).
pub struct Answer {
    /// The response.
    pub response: Response,
    /// Body bytes sent (zero for HEAD and 304).
    pub body_bytes: usize,
}

/// Whether the request carries a validator; such requests are never throttled.
pub fn is_conditional(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_NONE_MATCH) || headers.contains_key(header::IF_MODIFIED_SINCE)
}

/// Whether the client's cached copy is current: `If-None-Match` by weak comparison against
/// every variant (a reader that cached the gzip variant keeps matching it), or — only when no
/// `If-None-Match` was sent (RFC 9110 §13.1.3) — `If-Modified-Since` against the newest item.
pub fn not_modified(res: &Resource, headers: &HeaderMap) -> bool {
    if let Some(sent) = headers.get(header::IF_NONE_MATCH) {
        // Readers echo the tag they were given: match those bytes before parsing anything.
        if res.variants.iter().any(|v| v.etag_header == sent) {
            return true;
        }
        // A malformed If-None-Match matches nothing: the client gets the full response.
        if whitespace_in_a_tag(sent.as_bytes()) {
            return false;
        }
        return headers
            .typed_get::<IfNoneMatch>()
            .is_some_and(|inm| res.variants.iter().any(|v| !inm.precondition_passes(&v.etag)));
    }
    headers.typed_get::<IfModifiedSince>().is_some_and(|ims| !ims.is_modified(res.last_modified))
}

/// Whether a space or tab sits inside a quoted entity-tag: RFC 9110's `etagc` excludes both,
/// and headers 0.4.2 debug-asserts on them (a panic in debug builds, found by fuzzing), so such
/// a value is taken as malformed before it is parsed.
fn whitespace_in_a_tag(value: &[u8]) -> bool {
    let mut quoted = false;
    value.iter().any(|&b| {
        quoted ^= b == b'"';
        quoted && matches!(b, b' ' | b'\t')
    })
}

/// The 200 or 304 response for `res`. For HEAD the body is left out but `Content-Length`
/// still tells its size.
pub fn answer(res: &Resource, headers: &HeaderMap, head: bool) -> Answer {
    let accept = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok());
    let variant = negotiate::choose(accept, &res.variants);
    // Filled in place: every value is prepared once per render and only cloned (a refcount) here.
    let mut out = HeaderMap::with_capacity(10);
    out.insert(header::ETAG, variant.etag_header.clone());
    out.insert(header::LAST_MODIFIED, res.last_modified_header.clone());
    out.insert(header::CACHE_CONTROL, res.cache_control.clone());
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(link) = &res.link {
        out.insert(header::LINK, link.clone());
    }
    if res.variants.len() > 1 {
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let (status, body, body_bytes) = if not_modified(res, headers) {
        (StatusCode::NOT_MODIFIED, Body::empty(), 0)
    } else {
        out.insert(header::CONTENT_TYPE, res.content_type.clone());
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(variant.bytes.len()));
        if variant.coding != Coding::Identity {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(variant.coding.token()));
        }
        match head {
            true => (StatusCode::OK, Body::empty(), 0),
            false => (StatusCode::OK, Body::from(variant.bytes.clone()), variant.bytes.len()),
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = out;
    Answer { response, body_bytes }
}
