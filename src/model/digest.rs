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
}
