//! The symbol table: every label name and value of the block, sorted, referenced by ordinal.
//!
//! ```text
//! ┌──────────┬───────────┬──────────────────────────────┬──────────┐
//! │ len u32  │ count u32 │ count × (uvarint len, bytes) │ CRC32C   │
//! └──────────┴───────────┴──────────────────────────────┴──────────┘
//!             └──────────── covered by len and CRC ──────┘
//! ```
//!
//! Only every 32nd string's offset is kept in memory; a lookup jumps to the nearest kept
//! offset and skips at most 31 strings, as Prometheus does.

use crate::decode::{framed, Cursor};
use crate::error::{Corruption, DecodeError};

/// One in this many symbol offsets is kept in memory.
pub(crate) const SAMPLE_EVERY: usize = 32;

/// Sampled offsets into a verified symbol table.
#[derive(Debug)]
pub(crate) struct Symbols {
    /// File offset of symbol `i * SAMPLE_EVERY`.
    sampled: Vec<u64>,
    count: u32,
    /// File offset just past the last string.
    end: u64,
}

impl Symbols {
    /// Check the frame and CRC of the table at `start` and sample its offsets.
    pub(crate) fn parse(file: &[u8], start: u64) -> Result<Symbols, DecodeError> {
        let mut c = framed(file, start)?;
        let count = c.be32()?;
        // Each string takes at least one byte, which bounds the allocation by the body.
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        if n > c.remaining() {
            return Err(c.error(Corruption::OutOfBounds {
                what: "symbol count",
                value: u64::from(count),
                limit: c.remaining() as u64 + 1,
            }));
        }
        let mut sampled = Vec::with_capacity(n / SAMPLE_EVERY + 1);
        let mut prev: Option<&[u8]> = None;
        for i in 0..n {
            if i % SAMPLE_EVERY == 0 {
                sampled.push(c.offset());
            }
            let at = c.offset();
            let s = c.uvarint_bytes()?;
            if prev.is_some_and(|p| p >= s) {
                return Err(DecodeError::new(
                    at,
                    Corruption::Invalid("symbols not sorted and unique"),
                ));
            }
            prev = Some(s);
        }
        Ok(Symbols {
            sampled,
            count,
            end: c.offset(),
        })
    }

    /// Number of symbols.
    pub(crate) fn len(&self) -> u32 {
        self.count
    }

    /// The string with ordinal `ord`.
    #[inline]
    pub(crate) fn lookup<'a>(&self, file: &'a [u8], ord: u32) -> Result<&'a [u8], DecodeError> {
        let i = ord as usize;
        let Some(&start) = self
            .sampled
            .get(i / SAMPLE_EVERY)
            .filter(|_| ord < self.count)
        else {
            return Err(DecodeError::new(
                self.end,
                Corruption::OutOfBounds {
                    what: "symbol reference",
                    value: u64::from(ord),
                    limit: u64::from(self.count),
                },
            ));
        };
        let mut c = Cursor::at(file, start)?;
        for _ in 0..i % SAMPLE_EVERY {
            let n = c.uvarint()?;
            c.skip(usize::try_from(n).unwrap_or(usize::MAX))?;
        }
        c.uvarint_bytes()
    }

    /// The ordinal of `s`, if it is a symbol.
    pub(crate) fn find(&self, file: &[u8], s: &[u8]) -> Result<Option<u32>, DecodeError> {
        // Last sample whose string is <= s.
        let mut lo = 0usize;
        let mut hi = self.sampled.len();
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = self.sampled.get(mid).copied().unwrap_or(self.end);
            let v = Cursor::at(file, at)?.uvarint_bytes()?;
            if v <= s {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let Some(block) = lo.checked_sub(1) else {
            return Ok(None);
        };
        let mut c = Cursor::at(file, self.sampled.get(block).copied().unwrap_or(self.end))?;
        let first = block * SAMPLE_EVERY;
        let last = (first + SAMPLE_EVERY).min(self.count as usize);
        for ord in first..last {
            let v = c.uvarint_bytes()?;
            if v == s {
                return Ok(Some(ord as u32));
            }
            if v > s {
                break;
            }
        }
        Ok(None)
    }
}
