//! One block's matching series, and their samples trimmed to the query range and
//! tombstones.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use crate::block::Block;
use crate::chunkenc::{Encoding, XorDecoder};
use crate::error::{Error, Result, Section};
use crate::format::{ChunkMeta, SeriesRef};
use crate::index::SeriesEntry;
use crate::labels::Labels;
use crate::tombstones::Interval;

use super::Step;

/// A series' chunks in one block that may hold samples in range.
#[derive(Debug, Clone)]
pub(crate) struct Part<'db> {
    pub(crate) block: &'db Block,
    pub(crate) chunks: Vec<ChunkMeta>,
    pub(crate) deleted: &'db [Interval],
}

/// Walks a block's selected series refs in order (which is label order), decoding entries
/// and skipping series with no chunk left in range.
pub(crate) struct BlockSeries<'db> {
    block: &'db Block,
    refs: std::vec::IntoIter<u32>,
    entry: SeriesEntry,
    mint: i64,
    maxt: i64,
}

impl<'db> BlockSeries<'db> {
    pub(crate) fn new(block: &'db Block, refs: Vec<u32>, mint: i64, maxt: i64) -> Self {
        BlockSeries {
            block,
            refs: refs.into_iter(),
            entry: SeriesEntry::default(),
            mint,
            maxt,
        }
    }

    fn decode(&mut self, r: u32) -> Result<Option<(Labels, Part<'db>)>> {
        let ix = self.block.index();
        ix.series(SeriesRef(r), &mut self.entry)?;
        let deleted = self.block.tombstones().get(u64::from(r));
        let (mint, maxt) = (self.mint, self.maxt);
        let chunks: Vec<ChunkMeta> = self
            .entry
            .chunks
            .iter()
            .filter(|c| {
                c.max_time >= mint
                    && c.min_time <= maxt
                    && !covered(deleted, c.min_time, c.max_time)
            })
            .copied()
            .collect();
        if chunks.is_empty() {
            return Ok(None);
        }
        let mut labels = Labels::default();
        for &(n, v) in &self.entry.labels {
            labels.push(ix.symbol(n)?, ix.symbol(v)?);
        }
        Ok(Some((
            labels,
            Part {
                block: self.block,
                chunks,
                deleted,
            },
        )))
    }
}

impl<'db> Step for BlockSeries<'db> {
    type Item = (Labels, Part<'db>);

    fn step(&mut self) -> Result<Option<Self::Item>> {
        while let Some(r) = self.refs.next() {
            if let Some(x) = self.decode(r)? {
                return Ok(Some(x));
            }
        }
        Ok(None)
    }
}

/// Whether `[min, max]` lies inside one deleted interval.
fn covered(deleted: &[Interval], min: i64, max: i64) -> bool {
    deleted.iter().any(|&(a, b)| a <= min && max <= b)
}

/// Samples decoded per [`XorDecoder::read_into`] call: about one chunk's worth (the head
/// writes up to 120 samples per chunk), so each chunk is usually decoded in one call.
const DECODE_BATCH: usize = 128;

/// Samples of one [`Part`] inside `[mint, maxt]` and outside its tombstones.
///
/// Chunks are decoded a batch at a time into `buf` (allocated when the first chunk is
/// opened, so that moving a `PartSamples` stays cheap); `step` hands the samples out of it.
pub(crate) struct PartSamples<'db> {
    part: Part<'db>,
    labels: &'db Labels,
    next_chunk: usize,
    current: Option<(XorDecoder<'db>, &'db std::path::Path)>,
    /// Decoded samples of the current chunk; `buf[head..len]` are not handed out yet.
    buf: Vec<(i64, f64)>,
    head: usize,
    len: usize,
    mint: i64,
    maxt: i64,
    /// Deleted intervals apply to the current chunk (false: fast path).
    filter: bool,
}

impl<'db> PartSamples<'db> {
    pub(crate) fn new(part: Part<'db>, labels: &'db Labels, mint: i64, maxt: i64) -> Self {
        PartSamples {
            part,
            labels,
            next_chunk: 0,
            current: None,
            buf: Vec::new(),
            head: 0,
            len: 0,
            mint,
            maxt,
            filter: false,
        }
    }

    fn open_chunk(&mut self, meta: ChunkMeta) -> Result<(XorDecoder<'db>, &'db std::path::Path)> {
        let raw = self.part.block.chunks().chunk(meta.chunk)?;
        if Encoding::try_from(raw.encoding).ok() != Some(Encoding::Xor) {
            return Err(Error::UnsupportedEncoding {
                path: raw.path.to_owned(),
                offset: raw.record_offset,
                series: self.labels.to_string(),
                encoding: raw.encoding,
            });
        }
        let dec = XorDecoder::new(raw.data, raw.data_offset)
            .map_err(|e| e.at(raw.path, Section::Chunk))?;
        Ok((dec, raw.path))
    }

    #[inline]
    fn keep(&self, t: i64) -> bool {
        t >= self.mint
            && t <= self.maxt
            && !self.part.deleted.iter().any(|&(a, b)| a <= t && t <= b)
    }

    /// Decodes the next batch of the current chunk into `buf`, or opens the next chunk;
    /// `Ok(false)` when the part has no samples left.
    #[inline(never)]
    fn refill(&mut self) -> Result<bool> {
        loop {
            if let Some((dec, path)) = &mut self.current {
                if dec.remaining() > 0 {
                    if self.buf.is_empty() {
                        self.buf = vec![(0, 0.0); DECODE_BATCH];
                    }
                    self.head = 0;
                    self.len = 0;
                    self.len = dec
                        .read_into(&mut self.buf)
                        .map_err(|e| e.at(*path, Section::Chunk))?;
                    return Ok(true);
                }
                self.current = None;
            }
            let Some(&meta) = self.part.chunks.get(self.next_chunk) else {
                return Ok(false);
            };
            self.next_chunk += 1;
            self.filter = meta.min_time < self.mint
                || meta.max_time > self.maxt
                || self
                    .part
                    .deleted
                    .iter()
                    .any(|&(a, b)| a <= meta.max_time && meta.min_time <= b);
            self.current = Some(self.open_chunk(meta)?);
        }
    }
}

impl Step for PartSamples<'_> {
    type Item = (i64, f64);

    #[inline]
    fn step(&mut self) -> Result<Option<(i64, f64)>> {
        loop {
            if self.head < self.len {
                if let Some(&(t, v)) = self.buf.get(self.head) {
                    self.head += 1;
                    if !self.filter || self.keep(t) {
                        return Ok(Some((t, v)));
                    }
                    continue;
                }
            }
            if !self.refill()? {
                return Ok(None);
            }
        }
    }
}
