//! The two shapes nearly every RSS date takes, read as feed-rs reads them: RFC 822/2822
//! (`Fri, 17 Nov 2023 08:05:00 +0300`, or `GMT`/`UTC`) and RFC 3339 (`2023-11-17T08:05:00Z`,
//! which `dc:date` uses). Anything else is `None`, and the item goes to feed-rs, whose lenient
//! reading (a dozen regular expressions, tried in turn) decides.
//!
//! Why these give feed-rs's answer: for a string of these shapes, none of feed-rs's rewrites
//! changes anything but the weekday (dropped, so a wrong one is no error) and `UTC` (made
//! `+0000`), and what it then asks chrono is what is asked here.

use chrono::{DateTime, Utc};

const WEEKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTHS: [&[u8]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `text` as feed-rs reads it, when it has one of the two shapes; `None` when it has not (not
/// "no date": feed-rs may still read one).
pub(super) fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if is_rfc3339(text.as_bytes()) {
        return DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc));
    }
    let rest = rfc2822_without_weekday(text)?;
    let rest = match rest.strip_suffix(" UTC") {
        Some(head) => format!("{head} +0000"),
        None => rest.to_owned(),
    };
    DateTime::parse_from_rfc2822(&rest).ok().map(|t| t.with_timezone(&Utc))
}

/// `yyyy-mm-ddThh:mm:ss`, an optional fraction, and `Z` or `±hh:mm`.
fn is_rfc3339(b: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let fixed = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !fixed {
        return false;
    }
    let mut at = 19;
    if b[at] == b'.' {
        let n = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return false;
        }
        at += 1 + n;
    }
    match &b[at..] {
        [b'Z'] => true,
        [sign, ..] if (*sign == b'+' || *sign == b'-') && b.len() == at + 6 => {
            digits(at + 1..at + 3) && b[at + 3] == b':' && digits(at + 4..at + 6)
        }
        _ => false,
    }
}

/// The date of `[Ddd, ]d[d] Mon yyyy hh:mm:ss zone` (zone `±hhmm`, `GMT` or `UTC`) without its
/// weekday; `None` for any other shape.
fn rfc2822_without_weekday(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let rest = match b.get(..5) {
        Some([d0, d1, d2, b',', b' ']) if WEEKDAYS.contains(&&[*d0, *d1, *d2][..]) => &text[5..],
        _ => text,
    };
    let r = rest.as_bytes();
    let day = r.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&day) || r.get(day) != Some(&b' ') {
        return None;
    }
    let r = &r[day + 1..];
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    // `Mon yyyy hh:mm:ss ` is 18 bytes; the zone follows.
    if r.len() < 18 || !MONTHS.contains(&&r[..3]) || r[3] != b' ' || !digits(&r[4..8]) || r[8] != b' ' {
        return None;
    }
    let (h, m, s) = (&r[9..11], &r[12..14], &r[15..17]);
    if !(digits(h) && digits(m) && digits(s)) || r[11] != b':' || r[14] != b':' || r[17] != b' ' || h > b"23".as_slice()
    {
        return None;
    }
    let zone_ok = match &r[18..] {
        b"GMT" | b"UTC" => true,
        [sign, z @ ..] => (*sign == b'+' || *sign == b'-') && z.len() == 4 && digits(z),
        _ => false,
    };
    zone_ok.then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_two_shapes_and_nothing_else() {
        let utc = |s: &str| parse(s).map(|t| t.to_rfc3339());
        assert_eq!(utc("Fri, 17 Nov 2023 08:05:00 +0300").as_deref(), Some("2023-11-17T05:05:00+00:00"));
        // A wrong weekday is no error to feed-rs, which drops it.
        assert_eq!(utc(" Mon, 17 Nov 2023 08:05:00 GMT\n").as_deref(), Some("2023-11-17T08:05:00+00:00"));
        assert_eq!(utc("7 Nov 2023 08:05:00 UTC").as_deref(), Some("2023-11-07T08:05:00+00:00"));
        assert_eq!(utc("2023-11-17T08:05:00.25-05:00").as_deref(), Some("2023-11-17T13:05:00.250+00:00"));
        assert_eq!(utc("2023-11-17T08:05:00Z").as_deref(), Some("2023-11-17T08:05:00+00:00"));
        for other in [
            "Friday, 17 Nov 2023 08:05:00 +0300",
            "Fri, 17 November 2023 08:05:00 +0300",
            "Fri, 17 Nov 2023 8:05:00 +0300",
            "Fri, 17 Nov 2023 24:05:00 +0300",
            "Fri, 17 Nov 23 08:05:00 +0300",
            "Fri, 17 Nov 2023 08:05 +0300",
            "Fri, 17 Nov 2023 08:05:00 EST",
            "Fri, 31 Feb 2023 08:05:00 +0300",
            "2023-11-17 08:05:00Z",
            "2023-11-17T08:05:00+0500",
            "2023-11-17T08:05:00",
            "2023-11-17",
            "",
            "tomorrow",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }
}
