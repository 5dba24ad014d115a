//! Precompressed siblings (`.gz`, `.br`), made once per rendered file.
//!
//! Both encoders are deterministic for the same input (gzip with no name and mtime 0), so a
//! rebuild with unchanged content leaves the siblings untouched too.

use std::io::Write;

use flate2::{Compression, GzBuilder};

use crate::render::archive::Archived;

/// gzip at the best level: files are compressed once and served many times.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzBuilder::new().mtime(0).write(Vec::with_capacity(bytes.len() / 3), Compression::best());
    enc.write_all(bytes).expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// How hard brotli works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Quality 11: for what is fetched over and over (feeds polled by every subscriber).
    Best,
    /// Quality 9: for large feeds, where quality 11 costs seconds.
    Good,
    /// Quality 5: for pages fetched now and then.
    Fast,
}

impl Effort {
    /// Feeds are re-polled by every subscriber, so their bytes are worth brotli's best effort;
    /// pages are opened now and then. Quality 11 is ~20x slower than 9 for ~13 % fewer bytes
    /// (a 500 KB Atom feed of 100 Arabic items: 1.09 s and 54.3 KB against 0.053 s and
    /// 62.4 KB), which at 300 such feeds made a full build spend five minutes in brotli: past
    /// 128 KiB a feed gets quality 9.
    /// An archive page is read once by each reader that walks the history: a page's effort.
    pub fn for_output(o: &crate::render::Output) -> Self {
        Self::for_file(o.kind, o.archived, o.bytes.len())
    }

    /// [`Effort::for_output`] from what a file is and its size.
    pub fn for_file(kind: crate::render::OutputKind, archived: Archived, len: usize) -> Self {
        match (kind.is_feed() && archived == Archived::No, len) {
            (true, n) if n <= 128 << 10 => Self::Best,
            (true, _) => Self::Good,
            (false, _) => Self::Fast,
        }
    }
}

/// Brotli with a 4 MiB window at the given effort.
///
/// Measured on the seed's 6 KB article page: quality 11 gives 1,553 bytes in 11 ms, quality 9
/// 1,721 bytes in 4.9 ms, quality 5 1,749 bytes in 0.2 ms, gzip -9 2,001 bytes in 0.14 ms.
/// Quality 11 on every page of a 1,000-article site would cost seconds for a tenth of the
/// bytes of pages few people open; on feeds, which every reader re-polls, it pays. (Smaller
/// windows are slower here: the encoder's hash tables for them are larger.)
pub fn brotli(bytes: &[u8], effort: Effort) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let quality = match effort {
        Effort::Best => 11,
        Effort::Good => 9,
        Effort::Fast => 5,
    };
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
        enc.write_all(bytes).expect("writing to memory cannot fail");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn round_trip_and_deterministic() {
        let text = "مرحبا بالعالم ".repeat(100);
        let gz = gzip(text.as_bytes());
        assert_eq!(gz, gzip(text.as_bytes()));
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut back).unwrap();
        assert_eq!(back, text);

        let br = brotli(text.as_bytes(), Effort::Best);
        assert_eq!(br, brotli(text.as_bytes(), Effort::Best));
        assert!(brotli(text.as_bytes(), Effort::Fast).len() < text.len() / 10);
        let mut back = String::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_string(&mut back).unwrap();
        assert_eq!(back, text);
        assert!(br.len() < text.len() / 10);
    }
}
