//! How often a feed changes, and so how long readers may cache it (RSS `<ttl>`; HTTP max-age).
//!
//! Derived from the items' publication times only — never the clock — so it is deterministic.
//! A reader polling every `ttl` minutes sees a new item on average `ttl / 2` late; a quarter of
//! the typical gap between items keeps that small against the feed's own rhythm, and the
//! configured bounds keep busy feeds from being hammered and quiet ones from being forgotten.

use chrono::{DateTime, Utc};

use crate::config::TtlBounds;

/// The `<ttl>` in minutes for items published at `published` (any order).
///
/// A quarter of the median gap between consecutive items, clamped to `bounds`; with fewer
/// than two items there is no rhythm yet, so the upper bound applies.
pub fn ttl_minutes(published: &[DateTime<Utc>], bounds: TtlBounds) -> u32 {
    let mut times = published.to_vec();
    times.sort_unstable();
    let mut gaps: Vec<i64> = times.windows(2).map(|w| (w[1] - w[0]).num_minutes()).collect();
    if gaps.is_empty() {
        return bounds.max_minutes;
    }
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    let ttl = u32::try_from((median / 4).max(0)).unwrap_or(u32::MAX);
    ttl.clamp(bounds.min_minutes, bounds.max_minutes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const BOUNDS: TtlBounds = TtlBounds { min_minutes: 15, max_minutes: 360 };

    fn hours(hs: &[i64]) -> Vec<DateTime<Utc>> {
        let t0 = Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).unwrap();
        hs.iter().map(|h| t0 + chrono::Duration::hours(*h)).collect()
    }

    #[test]
    fn follows_the_median_gap_within_bounds() {
        assert_eq!(ttl_minutes(&hours(&[0]), BOUNDS), 360);
        assert_eq!(ttl_minutes(&[], BOUNDS), 360);
        // Every 4 hours → an hour.
        assert_eq!(ttl_minutes(&hours(&[8, 0, 4, 12]), BOUNDS), 60);
        // Every few minutes → the lower bound.
        assert_eq!(ttl_minutes(&hours(&[0, 0, 0]), BOUNDS), 15);
        // Daily → the upper bound.
        assert_eq!(ttl_minutes(&hours(&[0, 24, 48]), BOUNDS), 360);
        // One outlier gap does not move the median.
        assert_eq!(ttl_minutes(&hours(&[0, 4, 8, 12, 500]), BOUNDS), 60);
    }
}
