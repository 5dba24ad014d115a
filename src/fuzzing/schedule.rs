//! The scheduler target: an HTTP status, arbitrary response headers and a source's stored state
//! → when it is polled next. Never a panic, always within the documented bounds, and always a
//! time the store can write and read back.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Datelike as _, TimeDelta, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::model::UpstreamSource;
use crate::source::upstream::fetch::{freshness, retry_after};
use crate::source::upstream::schedule::{MAX_BACKOFF, MAX_RETRY_AFTER, after_failure, after_success};
use crate::store::{parse_timestamp, timestamp};

/// Bytes 0–7: the clock (seconds, anywhere in chrono's range); 8–9: the status; 10–13: failures
/// in a row; 14–17 and 18–21: the source's minimum and maximum interval; 22–25: the feed's
/// `<ttl>` (when byte 26 is odd). The rest, split at newlines: `Name: value` header lines, the
/// last line also read as a stored time.
pub fn schedule(data: &[u8]) {
    let Some((head, rest)) = data.split_first_chunk::<27>() else { return };
    let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let (first, last) = (DateTime::<Utc>::MIN_UTC.timestamp(), DateTime::<Utc>::MAX_UTC.timestamp());
    let secs = i64::from_le_bytes(head[..8].try_into().expect("eight bytes"));
    let now = DateTime::from_timestamp(first + secs.rem_euclid(last - first), 0).expect("within chrono's range");
    let Ok(status) = StatusCode::from_u16(u16::from_le_bytes([head[8], head[9]]) % 1000) else { return };
    let failures = word(10);
    let most = UpstreamSource::MAX_INTERVAL_MINUTES;
    let min = 1 + word(14) % most;
    let max = min + word(18) % (most - min + 1);
    let ttl = (head[26] % 2 == 1).then(|| word(22));
    let mut headers = HeaderMap::new();
    let lines: Vec<&[u8]> = rest.split(|b| *b == b'\n').collect();
    for line in &lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(line[colon + 1..].trim_ascii()))
        else {
            continue;
        };
        headers.append(name, value);
    }
    // A stored time is either read or refused, never a panic.
    let _ = parse_timestamp(&String::from_utf8_lossy(lines.last().copied().unwrap_or_default()));

    let url = Url::parse("https://wire.example/rss").expect("a valid URL");
    let source = UpstreamSource {
        url,
        min_interval_minutes: min,
        max_interval_minutes: max,
        limit: None,
        keep: None,
        backfill: false,
    };
    let minutes = |m: u32| Duration::from_secs(u64::from(m) * 60);
    let (next, bound) = if status.is_success() || status == StatusCode::NOT_MODIFIED {
        (after_success(&source, freshness(&headers), ttl, now), minutes(max))
    } else {
        let retry = retry_after(&headers, SystemTime::from(now));
        (after_failure(&source, failures, retry, now), MAX_RETRY_AFTER.max(MAX_BACKOFF).max(minutes(min)))
    };
    let wait = next - now;
    assert!(wait >= TimeDelta::zero(), "{status}: next poll {next} before now {now}");
    assert!(wait <= TimeDelta::from_std(bound).expect("a small bound"), "{status}: waits {wait}, bound {bound:?}");
    // Any clock a machine may have: the next poll is a time the store writes and reads back.
    if now.year() < 9999 && now.year() >= 1900 {
        assert_eq!(parse_timestamp(&timestamp(next)).ok(), Some(next), "stored {next} does not read back");
    }
}
