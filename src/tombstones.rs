//! The tombstones file: deleted time ranges per series.
//!
//! ```text
//! ┌──────────────┬────────┬──────────────────────────────────────────┬────────┐
//! │ 0x0130BA30   │ ver 1  │ (series ref uvarint, mint varint, maxt varint)… │ CRC32C │
//! └──────────────┴────────┴──────────────────────────────────────────┴────────┘
//!                          └──────────── covered by the CRC ─────────┘
//! ```
//!
//! Intervals are closed. Entries come in random order (Prometheus writes from a Go map);
//! intervals of one series are sorted and merged, adjacent ones too.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::HashMap;
use std::path::Path;

use crate::decode::{check_crc, Cursor};
use crate::error::{Corruption, DecodeError, Error, Result, Section};
use crate::format::TOMBSTONES_MAGIC;

/// A closed time interval `[min, max]` in ms.
pub type Interval = (i64, i64);

/// Deleted intervals of the series of one block.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tombstones {
    by_series: HashMap<u64, Vec<Interval>>,
}

impl Tombstones {
    /// Read `path`; a missing file means no tombstones.
    pub fn read(path: &Path) -> Result<Tombstones> {
        match std::fs::read(path) {
            Ok(bytes) => Tombstones::parse(&bytes).map_err(|e| e.at(path, Section::Tombstones)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Tombstones::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Parse a tombstones file.
    pub fn parse(file: &[u8]) -> Result<Tombstones, DecodeError> {
        let mut c = Cursor::new(file, 0);
        let magic = c.be32()?;
        if magic != TOMBSTONES_MAGIC {
            return Err(DecodeError::new(
                0,
                Corruption::BadMagic {
                    expected: TOMBSTONES_MAGIC,
                    got: magic,
                },
            ));
        }
        if c.u8()? != 1 {
            return Err(DecodeError::new(
                4,
                Corruption::Invalid("unknown tombstones version"),
            ));
        }
        let Some(crc_at) = file.len().checked_sub(4).filter(|&p| p >= 5) else {
            return Err(c.error(Corruption::Truncated {
                needed: 4,
                available: c.remaining() as u64,
            }));
        };
        let entries = file.get(5..crc_at).unwrap_or_default();
        let mut crc = Cursor::at(file, crc_at as u64)?;
        check_crc(entries, crc.be32()?, crc_at as u64)?;

        let mut t = Tombstones::default();
        let mut c = Cursor::new(entries, 5);
        while !c.is_empty() {
            let series = c.uvarint()?;
            let at = c.offset();
            let (min, max) = (c.varint()?, c.varint()?);
            if min > max {
                return Err(DecodeError::new(
                    at,
                    Corruption::Invalid("tombstone interval ends before it starts"),
                ));
            }
            t.add(series, (min, max));
        }
        Ok(t)
    }

    /// Add a deleted interval for `series`, keeping the list sorted and merged.
    pub fn add(&mut self, series: u64, iv: Interval) {
        let list = self.by_series.entry(series).or_default();
        list.push(iv);
        list.sort_unstable();
        let mut merged: Vec<Interval> = Vec::with_capacity(list.len());
        for &(min, max) in list.iter() {
            match merged.last_mut() {
                // Overlapping or adjacent (max + 1 == min) intervals join.
                Some(last) if min <= last.1.saturating_add(1) => last.1 = last.1.max(max),
                _ => merged.push((min, max)),
            }
        }
        *list = merged;
    }

    /// Deleted intervals of `series`, sorted and disjoint.
    pub fn get(&self, series: u64) -> &[Interval] {
        self.by_series.get(&series).map_or(&[], Vec::as_slice)
    }

    /// Number of tombstoned series.
    pub fn len(&self) -> usize {
        self.by_series.len()
    }

    /// True when nothing is deleted.
    pub fn is_empty(&self) -> bool {
        self.by_series.is_empty()
    }

    /// Total number of intervals (what meta.json counts as `numTombstones`).
    pub fn interval_count(&self) -> usize {
        self.by_series.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_nine_bytes() {
        let t = Tombstones::parse(&[0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]).unwrap();
        assert!(t.is_empty());
        assert!(Tombstones::parse(&[0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 1]).is_err());
        assert!(Tombstones::parse(&[0x01, 0x30, 0xba, 0x30, 0x01]).is_err());
    }

    #[test]
    fn merges_overlapping_and_adjacent() {
        let mut t = Tombstones::default();
        t.add(1, (10, 20));
        t.add(1, (21, 30));
        t.add(1, (50, 60));
        t.add(1, (55, 70));
        t.add(1, (i64::MIN, -5));
        assert_eq!(t.get(1), &[(i64::MIN, -5), (10, 30), (50, 70)]);
        assert_eq!(t.get(2), &[]);
    }
}
