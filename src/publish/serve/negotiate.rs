//! Choosing a content coding from `Accept-Encoding` (RFC 9110 §12.5.3).
//!
//! Written here because no maintained crate on `http` 1.x exposes the q-values safely:
//! `headers` has no `Accept-Encoding`, `headers-accept-encoding` panics on a malformed q-value,
//! and `http-content-negotiation` needs a newer Rust than ours. The grammar is small; the
//! tests below pin the cases readers send.

use super::site::{Coding, Variant};

/// Picks the variant to send: the acceptable coding with the highest q-value, ties going to
/// the smallest bytes. Identity is acceptable unless excluded (`identity;q=0`, or `*;q=0`
/// without an `identity` entry); when nothing is acceptable, identity is sent anyway, which
/// RFC 9110 allows and which every client can read.
pub fn choose<'a>(accept_encoding: Option<&str>, variants: &'a [Variant]) -> &'a Variant {
    let identity = &variants[0];
    let Some(header) = accept_encoding else {
        // No header: any coding is allowed, but a client that says nothing may not decode.
        return identity;
    };
    let prefs = parse(header);
    variants
        .iter()
        .filter_map(|v| {
            let q = quality(&prefs, v.coding);
            (q > 0).then_some((q, v))
        })
        // Highest q first, then the fewest bytes.
        .min_by_key(|(q, v)| (std::cmp::Reverse(*q), v.bytes.len()))
        .map_or(identity, |(_, v)| v)
}

/// The q-value (in thousandths) the client gives `coding`.
fn quality(prefs: &[(String, u16)], coding: Coding) -> u16 {
    let named = |name: &str| prefs.iter().find(|(c, _)| c == name).map(|(_, q)| *q);
    let explicit = match coding {
        // `x-gzip` is gzip (RFC 9110 §8.4.1.3).
        Coding::Gzip => named("gzip").or_else(|| named("x-gzip")),
        other => named(other.token()),
    };
    // Unlisted identity is acceptable (§12.5.3) but least preferred: a client that lists a
    // coding at any weight would rather have it than the larger plain bytes.
    explicit.or_else(|| named("*")).unwrap_or(match coding {
        Coding::Identity => 1,
        _ => 0,
    })
}

/// `gzip;q=0.8, br` → `[("gzip", 800), ("br", 1000)]`. Elements that do not parse are
/// skipped, so a malformed header degrades to identity rather than an error.
fn parse(header: &str) -> Vec<(String, u16)> {
    header
        .split(',')
        .filter_map(|element| {
            let mut parts = element.split(';');
            let coding = parts.next()?.trim().to_ascii_lowercase();
            if coding.is_empty() {
                return None;
            }
            let mut q = 1000;
            for param in parts {
                let (name, value) = param.split_once('=')?;
                if name.trim().eq_ignore_ascii_case("q") {
                    q = parse_qvalue(value.trim())?;
                }
            }
            Some((coding, q))
        })
        .collect()
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn variants() -> Vec<Variant> {
        [(Coding::Identity, 100), (Coding::Brotli, 20), (Coding::Gzip, 30)]
            .into_iter()
            .map(|(coding, len)| Variant {
                coding,
                bytes: Bytes::from(vec![0; len]),
                etag: "\"x\"".parse().unwrap(),
                etag_header: hyper::header::HeaderValue::from_static("\"x\""),
            })
            .collect()
    }

    fn pick(header: Option<&str>) -> &'static str {
        let v = variants();
        choose(header, &v).coding.token()
    }

    #[test]
    fn picks_by_quality_then_size() {
        assert_eq!(pick(None), "identity");
        assert_eq!(pick(Some("")), "identity");
        assert_eq!(pick(Some("gzip")), "gzip");
        assert_eq!(pick(Some("x-gzip")), "gzip");
        assert_eq!(pick(Some("gzip, deflate, br")), "br");
        assert_eq!(pick(Some("GZIP;q=1.0, br;q=0.5")), "gzip");
        assert_eq!(pick(Some("br;q=0, gzip;q=0.001")), "gzip");
        assert_eq!(pick(Some("br ; q=0.9 , gzip ; Q=0.8")), "br");
        assert_eq!(pick(Some("*")), "br");
        assert_eq!(pick(Some("*;q=0.5, br;q=0")), "gzip");
        assert_eq!(pick(Some("deflate, zstd")), "identity");
        assert_eq!(pick(Some("identity")), "identity");
    }

    #[test]
    fn exclusions_and_malformed_values() {
        // Identity excluded and nothing else acceptable: identity anyway.
        assert_eq!(pick(Some("identity;q=0")), "identity");
        assert_eq!(pick(Some("*;q=0")), "identity");
        // Malformed q-values drop their element, not the header.
        assert_eq!(pick(Some("br;q=abc, gzip")), "gzip");
        assert_eq!(pick(Some("br;q=1.5, gzip;q=0.9")), "gzip");
        assert_eq!(pick(Some("br;q=0.0001, gzip;q=0.1")), "gzip");
        assert_eq!(pick(Some("br;q, gzip")), "gzip");
        assert_eq!(pick(Some(",,;;,br")), "br");
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue("-0"), None);
    }
}
