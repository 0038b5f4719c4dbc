//! The tombstones file.
//!
//! ```text
//! ┌────────────┬───────┬────────────────────────────────────────────────┬──────────┐
//! │ 0x0130BA30 │ ver 1 │ (series ref uvarint, mint varint, maxt varint)… │ CRC32C   │
//! └────────────┴───────┴────────────────────────────────────────────────┴──────────┘
//!                       └──────────────── covered by the CRC ────────────┘
//! ```
//!
//! Prometheus writes entries in Go-map order; this writer sorts them by series ref, then
//! interval, so the file is deterministic. With no entries the file is 9 bytes.

use std::path::Path;

use tsblock::format::TOMBSTONES_MAGIC;

use super::file::{push_uvarint, push_varint, write_file_synced};
use super::{Result, WriteError};

/// One deleted interval: the series ref (index offset / 16) and a closed `[min, max]` range.
pub type Tombstone = (u32, i64, i64);

/// Encode a tombstones file. Entries are sorted; an interval with `min > max` is an error.
pub fn encode_tombstones(entries: &[Tombstone]) -> Result<Vec<u8>> {
    if let Some(&(r, a, b)) = entries.iter().find(|&&(_, a, b)| a > b) {
        return Err(WriteError::Invalid {
            reason: format!(
                "tombstone for series ref {r}: interval [{a}, {b}] ends before it starts"
            ),
        });
    }
    let mut sorted = entries.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(9 + 12 * sorted.len());
    out.extend_from_slice(&TOMBSTONES_MAGIC.to_be_bytes());
    out.push(1);
    for (r, a, b) in sorted {
        push_uvarint(&mut out, u64::from(r));
        push_varint(&mut out, a);
        push_varint(&mut out, b);
    }
    let crc = crc32c::crc32c(out.get(5..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// Write a tombstones file at `path` (which must not exist) and fsync it.
pub fn write_tombstones(path: &Path, entries: &[Tombstone]) -> Result<()> {
    write_file_synced(path, &encode_tombstones(entries)?, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsblock::tombstones::Tombstones;

    #[test]
    fn empty_file_is_nine_bytes() {
        assert_eq!(
            encode_tombstones(&[]).unwrap(),
            [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]
        );
    }

    #[test]
    fn round_trips_through_the_reader() {
        let f = encode_tombstones(&[(9, -5, 7), (3, i64::MIN, i64::MAX), (9, 8, 10)]).unwrap();
        let t = Tombstones::parse(&f).unwrap();
        assert_eq!(t.get(3), &[(i64::MIN, i64::MAX)]);
        assert_eq!(t.get(9), &[(-5, 10)]);
        assert!(encode_tombstones(&[(1, 2, 1)]).is_err());
    }
}
