//! The tombstones file: magic, version, CRC, intervals, and refs of existing series.

use std::path::Path;

use tsblock::decode::{crc32c, Cursor};
use tsblock::error::DecodeError;
use tsblock::format::TOMBSTONES_MAGIC;
use tsblock::tombstones::Tombstones;

use super::index::IndexFacts;
use super::{ProblemKind, Sink};

const FILE: &str = "tombstones";
const HEADER_LEN: usize = 5;

/// What the tombstones check established.
pub(crate) struct TombstoneStats {
    /// Intervals after merging per series (meta.json's `numTombstones`).
    pub(crate) intervals: u64,
}

/// Check `<dir>/tombstones`. A missing file means no tombstones. `None` when the file is
/// damaged, so its interval count is unknown.
pub(crate) fn verify_tombstones(
    dir: &Path,
    facts: Option<&IndexFacts>,
    sink: &mut Sink,
) -> Option<TombstoneStats> {
    let bytes = match std::fs::read(dir.join(FILE)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(TombstoneStats { intervals: 0 })
        }
        Err(e) => {
            sink.add(FILE, None, ProblemKind::Io, format!("cannot read: {e}"));
            return None;
        }
    };
    let mut c = Cursor::new(&bytes, 0);
    let (Ok(magic), Ok(version)) = (c.be32(), c.u8()) else {
        sink.at(
            FILE,
            0,
            ProblemKind::Truncated,
            format!("{} bytes, too short for the header", bytes.len()),
        );
        return None;
    };
    if magic != TOMBSTONES_MAGIC {
        sink.at(
            FILE,
            0,
            ProblemKind::Structure,
            format!("bad magic {magic:#010x}, expected {TOMBSTONES_MAGIC:#010x}"),
        );
        return None;
    }
    if version != 1 {
        sink.at(
            FILE,
            4,
            ProblemKind::Unsupported,
            format!("tombstones version {version}, only 1 is defined"),
        );
        return None;
    }
    let Some(crc_at) = bytes.len().checked_sub(4).filter(|&p| p >= HEADER_LEN) else {
        sink.at(
            FILE,
            HEADER_LEN as u64,
            ProblemKind::Truncated,
            "no room for the checksum after the header",
        );
        return None;
    };
    let entries = bytes.get(HEADER_LEN..crc_at).unwrap_or_default();
    let stored = bytes
        .get(crc_at..)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .unwrap_or_default();
    let computed = crc32c(entries);
    if stored != computed {
        sink.at(
            FILE,
            crc_at as u64,
            ProblemKind::Checksum,
            format!(
                "checksum of the entries [{HEADER_LEN}, {crc_at}) mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
        );
        return None;
    }
    let mut t = Tombstones::default();
    let mut c = Cursor::new(entries, HEADER_LEN as u64);
    let mut ok = true;
    while !c.is_empty() {
        let at = c.offset();
        let entry = (|| Ok::<_, DecodeError>((c.uvarint()?, c.varint()?, c.varint()?)))();
        let (series, min, max) = match entry {
            Ok(x) => x,
            Err(e) => {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Truncated,
                    format!("tombstone entry: {} (at offset {})", e.kind, e.offset),
                );
                return None;
            }
        };
        if min > max {
            sink.at(
                FILE,
                at,
                ProblemKind::Tombstone,
                format!("series ref {series}: interval [{min}, {max}] ends before it starts"),
            );
            ok = false;
            continue;
        }
        if let Some(f) = facts {
            if !f.has_series(series) {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Tombstone,
                    format!(
                        "interval [{min}, {max}] refers to series ref {series}, which is not in the index"
                    ),
                );
            }
        }
        t.add(series, (min, max));
    }
    ok.then_some(TombstoneStats {
        intervals: t.interval_count() as u64,
    })
}
