//! Hex digests: item ids, ETags and fingerprints are all lowercase hex of SHA-256, and ids and
//! ETags are published, so every place writes them the same way, through here; the raw hashes
//! of upstream items are BLAKE3, for speed.

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

/// A BLAKE3 key: the digest of `parts` one after another, for [`blake3_keyed_hex128`].
pub fn blake3_key(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    for part in parts {
        h.update(part);
    }
    *h.finalize().as_bytes()
}

/// The first 128 bits of BLAKE3 of `data` keyed with `key`, as lowercase hex: for a raw
/// upstream item, hashed at every poll to skip what is stored, keyed with its context. BLAKE3 is
/// a cryptographic hash (no upstream can craft two items that pass for each other) and hashes a
/// 4 KB item's 1 KB chunks side by side (SIMD): 4 MB in about 1.3 ms here, where SHA-256 took 3.
/// The context goes in as the key rather than as a prefix, which would leave every chunk out of
/// line and the hash one chunk at a time.
pub fn blake3_keyed_hex128(key: &[u8; 32], data: &[u8]) -> String {
    hex(&blake3::keyed_hash(key, data).as_bytes()[..16])
}

/// `N` bytes from the operating system's random source, as hex: for what must not be guessed
/// (WebSub challenges, callback ids, secrets). [`random_hex`] is not for those.
pub fn secure_random_hex<const N: usize>() -> Result<String, getrandom::Error> {
    let mut random = [0_u8; N];
    getrandom::fill(&mut random)?;
    Ok(hex(&random))
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
    fn blake3_keys_read_their_parts_as_one_input() {
        assert_eq!(blake3_key(&[b"context", b"\n", b"tags"]), blake3_key(&[b"context\ntags"]));
        // BLAKE3's published digest of the empty input.
        assert_eq!(hex(&blake3_key(&[])[..4]), "af1349b9");
        let (a, b) = (blake3_key(&[b"a"]), blake3_key(&[b"b"]));
        let item = blake3_keyed_hex128(&a, b"<item>x</item>");
        assert_eq!(item.len(), 32);
        assert_ne!(blake3_keyed_hex128(&b, b"<item>x</item>"), item, "another context, another hash");
        assert_ne!(blake3_keyed_hex128(&a, b"<item>y</item>"), item);
        assert_eq!(item, hex(&blake3::keyed_hash(&a, b"<item>x</item>").as_bytes()[..16]));
    }
}
