//! Hex digests: item ids, ETags and fingerprints are all lowercase hex of SHA-256, and ids and
//! ETags are published, so every place writes them the same way, through here.

use sha2::{Digest, Sha256};

/// `bytes` as lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The first 128 bits of SHA-256 of `data` as lowercase hex (32 digits): short enough for a
/// path segment or an ETag, and still far from any collision a feed could produce.
pub fn sha256_hex128(data: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(data)[..16])
}

/// XXH3 (128 bits, hex) of `parts` one after another, without joining them. For noticing
/// change within one upstream source (its raw items), where a collision gains nobody
/// anything: the source's own publisher could simply not change the item. Never for what is
/// published or looked up across sources (ids, ETags): those are [`sha256_hex128`]. About 15×
/// the speed of SHA-256 here, which decides how fast a re-poll of a large feed skips what it has.
pub fn xxh3_hex128(parts: &[&[u8]]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        h.update(part);
    }
    hex(&h.digest128().to_be_bytes())
}

/// 128 unpredictable bits as hex, without a random-number crate: the standard library's
/// per-process random hash keys, the time and the process id, digested. For names that must
/// not collide across processes and machines (a replica's lease holder), not for secrets.
pub fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.write_u32(std::process::id());
    let keyed = h.finish();
    sha256_hex128(format!("{keyed:x}-{}-{}", now.as_nanos(), std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_what_format_02x_wrote() {
        let bytes: Vec<u8> = (0..=255).collect();
        let formatted: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&bytes), formatted);
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn sha256_hex128_is_the_digest_s_first_half() {
        // FIPS 180-2's "abc": ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad.
        assert_eq!(sha256_hex128("abc"), "ba7816bf8f01cfea414140de5dae2223");
        assert_eq!(sha256_hex128(b"abc"), sha256_hex128(String::from("abc")));
    }

    #[test]
    fn xxh3_hex128_reads_its_parts_as_one_input() {
        let joined = xxh3_hex128(&[b"context\n<item>a</item>"]);
        assert_eq!(xxh3_hex128(&[b"context", b"\n", b"<item>a</item>"]), joined);
        assert_eq!(joined.len(), 32);
        assert_ne!(xxh3_hex128(&[b"context\n<item>b</item>"]), joined);
        // The published test vector of the empty input (xxHash's sanity check).
        assert_eq!(xxh3_hex128(&[]), "99aa06d3014798d86001c324468d497f");
    }
}
