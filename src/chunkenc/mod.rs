//! Chunk encodings: the encoding byte of a chunk record and the codecs behind it.
//!
//! A chunk record in a segment file carries one [`Encoding`] byte and then the chunk data.
//! Only [`Encoding::Xor`] (float samples) is decoded here so far; the other ids are known so
//! that callers can name them in errors instead of treating them as corruption.
//!
//! XOR chunk data (everything after the encoding byte), a bit stream read MSB-first:
//!
//! ```text
//! +------------------+----------------------------------+-------------------------------+
//! | num_samples u16  | sample 0:                        | sample 1:                     |
//! | big-endian       |  t  varint (8-bit groups)        |  Δt uvarint (8-bit groups)    |
//! |                  |  v  64 raw bits                  |  v  xor-coded                 |
//! +------------------+----------------------------------+-------------------------------+
//! | sample n ≥ 2:  dod prefix 0 / 10 / 110 / 1110 / 1111 + 0 / 14 / 17 / 20 / 64 bits  |
//! |                v   0 (same) | 10 + bits (old window) | 11 + L:5 M:6 + M bits        |
//! +--------------------------------------------------------------------------------------+
//! | zero bits up to a byte boundary (chunks from Prometheus ≤ 2.55 may end with one more |
//! | fully unused 0x00 byte)                                                              |
//! +--------------------------------------------------------------------------------------+
//! ```
//!
//! Decoders stop after `num_samples` samples and never look at what follows.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::fmt;

mod xor;

pub use xor::{XorAppender, XorDecoder, XorIter};

/// The encoding byte of a chunk record.
///
/// The numbering is Prometheus's; 0 is never valid. In head chunk files the top bit (0x80)
/// marks an out-of-order chunk; that bit must be removed before converting.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Float samples, Gorilla-style XOR compression (all versions).
    Xor = 1,
    /// Integer native histograms (Prometheus 2.40+).
    Histogram = 2,
    /// Float native histograms (Prometheus 2.42+).
    FloatHistogram = 3,
    /// Float samples with optional start timestamps, revised XOR coding (Prometheus 3.11+).
    Xor2 = 4,
    /// Integer native histograms with start timestamps (Prometheus 3.14+).
    HistogramSt = 5,
    /// Float native histograms with start timestamps (Prometheus 3.14+).
    FloatHistogramSt = 6,
}

impl Encoding {
    /// The on-disk byte.
    #[inline]
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// A short name: Prometheus's for ids 1–3 (`XOR`, `histogram`, `floathistogram`).
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Xor => "XOR",
            Encoding::Histogram => "histogram",
            Encoding::FloatHistogram => "floathistogram",
            Encoding::Xor2 => "XOR2",
            Encoding::HistogramSt => "histogramST",
            Encoding::FloatHistogramSt => "floathistogramST",
        }
    }
}

/// An encoding byte that names no known encoding (including 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownEncoding(pub u8);

impl fmt::Display for UnknownEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown chunk encoding {}", self.0)
    }
}

impl std::error::Error for UnknownEncoding {}

impl TryFrom<u8> for Encoding {
    type Error = UnknownEncoding;

    fn try_from(b: u8) -> Result<Self, UnknownEncoding> {
        Ok(match b {
            1 => Encoding::Xor,
            2 => Encoding::Histogram,
            3 => Encoding::FloatHistogram,
            4 => Encoding::Xor2,
            5 => Encoding::HistogramSt,
            6 => Encoding::FloatHistogramSt,
            _ => return Err(UnknownEncoding(b)),
        })
    }
}

impl From<Encoding> for u8 {
    fn from(e: Encoding) -> u8 {
        e as u8
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_bytes_round_trip() {
        for b in 0..=255u8 {
            match Encoding::try_from(b) {
                Ok(e) => {
                    assert!((1..=6).contains(&b));
                    assert_eq!(u8::from(e), b);
                    assert_eq!(e.as_u8(), b);
                }
                Err(UnknownEncoding(x)) => {
                    assert_eq!(x, b);
                    assert!(b == 0 || b > 6);
                }
            }
        }
        assert_eq!(Encoding::Xor.to_string(), "XOR");
        assert_eq!(Encoding::try_from(0x81), Err(UnknownEncoding(0x81)));
        assert_eq!(UnknownEncoding(9).to_string(), "unknown chunk encoding 9");
    }
}
