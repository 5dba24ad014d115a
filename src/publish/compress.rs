//! Precompressed siblings (`.gz`, `.br`), made once per rendered file.
//!
//! Both encoders are deterministic for the same input (gzip with no name and mtime 0), so a
//! rebuild with unchanged content leaves the siblings untouched too.

use std::io::Write;

use flate2::{Compression, GzBuilder};

/// gzip at the best level: files are compressed once and served many times.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzBuilder::new().mtime(0).write(Vec::with_capacity(bytes.len() / 3), Compression::best());
    enc.write_all(bytes).expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// Brotli at quality 11 with a 4 MiB window (brotli's defaults for static assets).
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
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

        let br = brotli(text.as_bytes());
        assert_eq!(br, brotli(text.as_bytes()));
        let mut back = String::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_string(&mut back).unwrap();
        assert_eq!(back, text);
        assert!(br.len() < text.len() / 10);
    }
}
