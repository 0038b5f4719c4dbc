//! Chunk segment files `<block>/chunks/000001…`, written as series arrive.
//!
//! ```text
//! chunks/000001
//! ┌────────────┬────────┬───────┐
//! │ 0x85BD40DD │ ver 1  │ 0 0 0 │  8-byte header
//! ├────────────┴────────┴───────┴──────────────────────────────────┐
//! │ len uvarint | encoding u8 | data[len] | CRC32C(encoding + data) │ ← ChunkRef = segment << 32 | offset
//! │ …                                                               │
//! └─────────────────────────────────────────────────────────────────┘   nothing after the last CRC
//! ```
//!
//! One series' chunks (its *batch*) go to one segment: a new segment is started when the
//! batch would push the current one past the size limit (512 MiB by default). A batch that
//! alone exceeds the limit is split, and a single chunk larger than the limit gets a
//! segment of its own. Like Prometheus, the fit test counts every record with a 5-byte
//! length field. Offsets are u32, so no record may start at or beyond 4 GiB.

use std::path::{Path, PathBuf};

use tsblock::format::{ChunkRef, SEGMENT_HEADER_LEN, SEGMENT_MAGIC};

use super::file::{sync_dir, Out};
use super::{Result, WriteError};

/// Prometheus' default segment size limit: 512 MiB.
pub const DEFAULT_SEGMENT_SIZE: u64 = 512 << 20;

/// Upper bound on a record's size besides its data: length uvarint (≤ 5), encoding, CRC.
const RECORD_OVERHEAD: u64 = 5 + 1 + 4;

/// One chunk to write: its encoding byte and data (for XOR, starting with the u16 count).
#[derive(Debug, Clone, Copy)]
pub struct RawChunk<'a> {
    /// Encoding byte (1 = XOR).
    pub encoding: u8,
    /// The chunk data.
    pub data: &'a [u8],
}

/// Writes chunk records into numbered segment files in one directory.
#[derive(Debug)]
pub struct SegmentWriter {
    dir: PathBuf,
    limit: u64,
    current: Option<Out>,
    /// Segments started so far; the open one is number `count`, index `count - 1`.
    count: u32,
    /// Total bytes of closed segments.
    closed_bytes: u64,
    sync: bool,
}

impl SegmentWriter {
    /// A writer for `dir` (which must exist) that starts a new segment before one would
    /// grow past `limit` bytes. No file is created until the first chunk.
    pub fn new(dir: &Path, limit: u64) -> SegmentWriter {
        SegmentWriter {
            dir: dir.to_owned(),
            limit: limit.max(SEGMENT_HEADER_LEN as u64 + 1),
            current: None,
            count: 0,
            closed_bytes: 0,
            sync: true,
        }
    }

    /// Whether segments and the directory are fsynced when closed (default true).
    pub fn set_sync(&mut self, sync: bool) {
        self.sync = sync;
    }

    /// Number of segment files started.
    pub fn segment_count(&self) -> u32 {
        self.count
    }

    /// Write one series' chunks, in order; returns their refs.
    pub fn write_series(&mut self, chunks: &[RawChunk<'_>]) -> Result<Vec<ChunkRef>> {
        let mut refs = Vec::with_capacity(chunks.len());
        let mut rest = chunks;
        while !rest.is_empty() {
            // The longest prefix that fits an empty segment (at least one chunk).
            let mut size = 0u64;
            let mut take = 0;
            for c in rest {
                let s = record_estimate(c)?;
                let next = size.saturating_add(s);
                if take > 0 && next.saturating_add(SEGMENT_HEADER_LEN as u64) > self.limit {
                    break;
                }
                size = next;
                take += 1;
            }
            let (batch, tail) = rest.split_at(take);
            let used = self.current.as_ref().map(Out::pos);
            match used {
                Some(n) if n > SEGMENT_HEADER_LEN as u64 && n.saturating_add(size) > self.limit => {
                    self.cut()?
                }
                Some(_) => {}
                None => self.cut()?,
            }
            for c in batch {
                refs.push(self.write_chunk(c)?);
            }
            rest = tail;
        }
        Ok(refs)
    }

    fn write_chunk(&mut self, c: &RawChunk<'_>) -> Result<ChunkRef> {
        let index = self.count.checked_sub(1);
        let (Some(out), Some(index)) = (self.current.as_mut(), index) else {
            return Err(WriteError::Invalid {
                reason: "no open chunk segment".into(),
            });
        };
        let offset = u32::try_from(out.pos()).map_err(|_| WriteError::TooLarge {
            what: "chunk segment (offsets are u32)",
        })?;
        let len = u32::try_from(c.data.len()).map_err(|_| WriteError::TooLarge {
            what: "chunk data (length is a u32)",
        })?;
        out.uvarint(u64::from(len))?;
        out.write(&[c.encoding])?;
        out.write(c.data)?;
        let crc = crc32c::crc32c_append(crc32c::crc32c(&[c.encoding]), c.data);
        out.be32(crc)?;
        Ok(ChunkRef((u64::from(index) << 32) | u64::from(offset)))
    }

    /// Close the current segment and start the next one.
    fn cut(&mut self) -> Result<()> {
        self.close_current()?;
        let number = self.count.checked_add(1).ok_or(WriteError::TooLarge {
            what: "number of chunk segments",
        })?;
        let path = self.dir.join(format!("{number:06}"));
        let mut out = Out::create(&path)?;
        out.set_sync(self.sync);
        out.be32(SEGMENT_MAGIC)?;
        out.write(&[1, 0, 0, 0])?;
        self.current = Some(out);
        self.count = number;
        Ok(())
    }

    fn close_current(&mut self) -> Result<()> {
        if let Some(out) = self.current.take() {
            self.closed_bytes = self.closed_bytes.saturating_add(out.finish()?);
        }
        Ok(())
    }

    /// Flush and fsync every segment and the directory; returns the total bytes written.
    pub fn finish(mut self) -> Result<u64> {
        self.close_current()?;
        if self.sync {
            sync_dir(&self.dir)?;
        }
        Ok(self.closed_bytes)
    }

    /// The directory being written.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the segment being written, if any.
    pub fn current_path(&self) -> Option<&Path> {
        self.current.as_ref().map(Out::path)
    }
}

fn record_estimate(c: &RawChunk<'_>) -> Result<u64> {
    (c.data.len() as u64)
        .checked_add(RECORD_OVERHEAD)
        .ok_or(WriteError::TooLarge { what: "chunk data" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("tsblock-segw-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn series_batches_are_not_split_across_segments() {
        let dir = tmp("batches");
        let data = [7u8; 90]; // 100-byte records
        let c = RawChunk {
            encoding: 1,
            data: &data,
        };
        let mut w = SegmentWriter::new(&dir, 8 + 250);
        let a = w.write_series(&[c, c]).unwrap(); // 8 + 200
        let b = w.write_series(&[c]).unwrap(); // would reach 308 > 258: new segment
        let big = w.write_series(&[c, c, c, c, c]).unwrap(); // alone too big: split 2+2+1
        w.finish().unwrap();
        let segs = |r: &[ChunkRef]| r.iter().map(|r| r.segment()).collect::<Vec<_>>();
        assert_eq!(segs(&a), [0, 0]);
        assert_eq!(segs(&b), [1]);
        assert_eq!(segs(&big), [2, 2, 3, 3, 4]);
        assert_eq!(a[1].offset(), 8 + 96);
        let f = std::fs::read(dir.join("000001")).unwrap();
        assert_eq!(f.len(), 8 + 2 * 96);
        assert_eq!(&f[..8], &[0x85, 0xbd, 0x40, 0xdd, 1, 0, 0, 0]);
        assert_eq!(&f[8..10], &[90, 1]);
        let crc = crc32c::crc32c(&f[9..100]);
        assert_eq!(&f[100..104], &crc.to_be_bytes());
        assert!(dir.join("000005").exists() && !dir.join("000006").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
