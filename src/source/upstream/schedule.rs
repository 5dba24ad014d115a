//! SCHEDULE: when a source is due again. Pure functions of what the last poll said.
//!
//! Every hint comes from the upstream (headers, `<ttl>`), so none is trusted with the clock: each
//! wait is clamped to a documented bound before it meets a date, and the date arithmetic is
//! checked, so an absurd value (10^12 seconds, a date in the year 20000) can neither panic nor
//! store a time no timestamp can hold.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, SubsecRound as _, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::fetch::Freshness;
use crate::model::UpstreamSource;

/// Failures back off to at most this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// The longest an explicit `Retry-After` is honoured: a server that asks for more (a year, or
/// 10^12 seconds) is asked again after a week.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// After a success (200 or 304): the longest of the configured minimum, the feed's `<ttl>`,
/// `Cache-Control: max-age` and `Expires`, within the source's bounds.
pub fn after_success(
    source: &UpstreamSource,
    freshness: Freshness,
    ttl_minutes: Option<u32>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let min = minutes(source.min_interval_minutes);
    let max = minutes(source.max_interval_minutes);
    let expires = freshness.expires.and_then(|t| t.duration_since(SystemTime::from(now)).ok());
    let hints = [ttl_minutes.map(minutes), freshness.max_age, expires];
    let wait = hints.into_iter().flatten().fold(min, Duration::max).min(max);
    later(now, wait)
}

/// After the `failures`-th failure in a row: the server's `Retry-After` if it gave one (never
/// sooner than the configured minimum, never later than [`MAX_RETRY_AFTER`]), else exponential
/// backoff from the minimum with ±10 % jitter (so sources that failed together do not retry
/// together), capped at a day (or at the minimum, if that is longer). Never
/// "give up": a source that recovers is polled again.
pub fn after_failure(
    source: &UpstreamSource,
    failures: u32,
    retry_after: Option<Duration>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let min = minutes(source.min_interval_minutes);
    if let Some(wait) = retry_after {
        return later(now, wait.min(MAX_RETRY_AFTER).max(min));
    }
    let exponent = failures.saturating_sub(1).min(16);
    // Capped at a day, or at the minimum when that is longer.
    let cap = MAX_BACKOFF.max(min);
    let backoff = min.saturating_mul(1 << exponent).min(cap);
    // Deterministic jitter from the source and the attempt: reproducible, yet spread out.
    let digest = Sha256::digest(format!("{}\n{failures}", source.url));
    let unit = f64::from(u16::from_be_bytes([digest[0], digest[1]])) / f64::from(u16::MAX);
    let factor = 0.9 + 0.2 * unit;
    // Whole seconds, like every stored time.
    later(now, backoff.mul_f64(factor).min(cap)).trunc_subsecs(0)
}

fn minutes(m: u32) -> Duration {
    Duration::from_secs(u64::from(m) * 60)
}

/// `now + wait` with checked arithmetic: `wait` is at most [`UpstreamSource::MAX_INTERVAL_MINUTES`]
/// or [`MAX_RETRY_AFTER`] wherever it comes from, so the sum always fits; should it not, the
/// source is due now rather than the poller panicking.
fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    let longest = minutes(UpstreamSource::MAX_INTERVAL_MINUTES).max(MAX_RETRY_AFTER);
    TimeDelta::from_std(wait.min(longest)).ok().and_then(|d| now.checked_add_signed(d)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn source() -> UpstreamSource {
        UpstreamSource {
            url: url::Url::parse("https://wire.example/rss").unwrap(),
            min_interval_minutes: 15,
            max_interval_minutes: 360,
            limit: None,
            keep: None,
            backfill: false,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 6, 0, 0).unwrap()
    }

    #[test]
    fn success_takes_the_longest_hint_within_bounds() {
        let s = source();
        let mins = |t: DateTime<Utc>| (t - now()).num_minutes();
        assert_eq!(mins(after_success(&s, Freshness::default(), None, now())), 15);
        assert_eq!(mins(after_success(&s, Freshness::default(), Some(60), now())), 60);
        let f = Freshness { max_age: Some(Duration::from_secs(7200)), expires: None };
        assert_eq!(mins(after_success(&s, f, Some(60), now())), 120);
        let f = Freshness { max_age: None, expires: Some(SystemTime::from(now()) + Duration::from_secs(30 * 3600)) };
        assert_eq!(mins(after_success(&s, f, None, now())), 360, "capped at the maximum");
        let f = Freshness { max_age: Some(Duration::from_secs(10)), expires: None };
        assert_eq!(mins(after_success(&s, f, None, now())), 15, "never below the minimum");
    }

    #[test]
    fn failures_back_off_with_jitter_and_respect_retry_after() {
        let s = source();
        let mins = |t: DateTime<Utc>| (t - now()).num_seconds() as f64 / 60.0;
        for (failures, base) in [(1, 15.0), (2, 30.0), (3, 60.0), (5, 240.0)] {
            let m = mins(after_failure(&s, failures, None, now()));
            assert!((base * 0.9..=base * 1.1).contains(&m), "{failures}: {m}");
        }
        assert!(mins(after_failure(&s, 30, None, now())) <= 24.0 * 60.0);
        assert_eq!(mins(after_failure(&s, 1, Some(Duration::from_secs(7200)), now())), 120.0);
        assert_eq!(mins(after_failure(&s, 1, Some(Duration::from_secs(5)), now())), 15.0);
    }

    /// Issue 12, class 1: absurd upstream hints never panic and stay within their bounds.
    #[test]
    fn absurd_hints_are_clamped() {
        let s = source();
        let huge = [Duration::from_secs(1_000_000_000_000), Duration::from_secs(u64::MAX), Duration::MAX];
        for wait in huge {
            let at = after_failure(&s, 1, Some(wait), now());
            assert_eq!(at - now(), TimeDelta::days(7), "Retry-After {wait:?}");
            let f = Freshness { max_age: Some(wait), expires: None };
            assert_eq!(after_success(&s, f, Some(u32::MAX), now()) - now(), TimeDelta::minutes(360));
        }
        let far = [SystemTime::UNIX_EPOCH, SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000)];
        for expires in far {
            let f = Freshness { max_age: None, expires: Some(expires) };
            let wait = after_success(&s, f, None, now()) - now();
            assert!(wait == TimeDelta::minutes(15) || wait == TimeDelta::minutes(360), "{wait}");
        }
        // The widest source there may be, with the longest hint, and the most failures.
        let wide = UpstreamSource { max_interval_minutes: UpstreamSource::MAX_INTERVAL_MINUTES, ..source() };
        let f = Freshness { max_age: Some(Duration::MAX), expires: None };
        assert_eq!(after_success(&wide, f, None, now()) - now(), TimeDelta::days(30));
        assert!(after_failure(&wide, u32::MAX, None, now()) - now() <= TimeDelta::days(1));
        // A clock at the end of time: due now, no panic.
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(after_success(&s, Freshness::default(), None, end), end);
        assert!(after_failure(&s, 3, Some(Duration::MAX), end) <= end);
    }
}
