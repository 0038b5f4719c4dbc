//! Series entries: a series' labels (as symbol references) and its chunk metas.
//!
//! ```text
//! (16-byte aligned; ref = offset / 16)
//! ┌──────────────┬──────────────────────────────────────────────────────┬────────┐
//! │ len uvarint  │ nLabels, (name ref, value ref)…, nChunks, chunk metas │ CRC32C │
//! └──────────────┴──────────────────────────────────────────────────────┴────────┘
//! chunk 0:  mint varint | maxt-mint uvarint | ref uvarint
//! chunk i:  mint-prev maxt uvarint | maxt-mint uvarint | ref-prev ref varint
//! ```

use crate::decode::{check_crc, Cursor};
use crate::error::{Corruption, DecodeError};
use crate::format::{ChunkMeta, ChunkRef, SeriesRef};

/// A decoded series entry; buffers are reused across entries.
#[derive(Debug, Default, Clone)]
pub struct SeriesEntry {
    /// (name, value) symbol ordinals, sorted by name.
    pub labels: Vec<(u32, u32)>,
    /// Chunk metas in time order.
    pub chunks: Vec<ChunkMeta>,
}

/// Decode the entry for `series` from the index `file` into `out`.
pub(crate) fn read(
    file: &[u8],
    series: SeriesRef,
    limit: u64,
    out: &mut SeriesEntry,
) -> Result<(), DecodeError> {
    out.labels.clear();
    out.chunks.clear();
    let offset = series.offset();
    if series.0 == 0 || offset >= limit {
        return Err(DecodeError::new(
            offset,
            Corruption::OutOfBounds {
                what: "series reference",
                value: u64::from(series.0),
                limit: limit / 16,
            },
        ));
    }
    let mut c = Cursor::at(file, offset)?;
    let len = c.uvarint32()?;
    let body_start = c.offset();
    let body = c.bytes(len as usize)?;
    let crc_at = c.offset();
    check_crc(body, c.be32()?, crc_at)?;

    let mut c = Cursor::new(body, body_start);
    let n_labels = c.uvarint()?;
    // Two bytes at least per label bound the allocation.
    if n_labels > c.remaining() as u64 / 2 {
        return Err(c.error(Corruption::Invalid("label count exceeds series entry")));
    }
    for _ in 0..n_labels {
        let at = c.offset();
        let name = c.uvarint32()?;
        let value = c.uvarint32()?;
        if out.labels.last().is_some_and(|&(prev, _)| prev >= name) {
            return Err(DecodeError::new(
                at,
                Corruption::Invalid("label names not sorted"),
            ));
        }
        out.labels.push((name, value));
    }
    let n_chunks = c.uvarint()?;
    if n_chunks > c.remaining() as u64 / 3 {
        return Err(c.error(Corruption::Invalid("chunk count exceeds series entry")));
    }
    let mut prev: Option<ChunkMeta> = None;
    for _ in 0..n_chunks {
        let meta = match prev {
            None => {
                let min_time = c.varint()?;
                let max_time = min_time.wrapping_add(c.uvarint()? as i64);
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk: ChunkRef(c.uvarint()?),
                }
            }
            Some(p) => {
                // Deltas wrap on purpose: old or foreign writers stored negative differences.
                let min_time = p.max_time.wrapping_add(c.uvarint()? as i64);
                let max_time = min_time.wrapping_add(c.uvarint()? as i64);
                let chunk = ChunkRef(p.chunk.0.wrapping_add(c.varint()? as u64));
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk,
                }
            }
        };
        out.chunks.push(meta);
        prev = Some(meta);
    }
    Ok(())
}
