//! The index file, written in one pass: symbols, series, postings, postings offset table,
//! TOC. The layout is Prometheus ≥ 3.7's (version byte 2, no label indices and no label
//! offset table), which every v2 reader, including 2.42, reads.
//!
//! ```text
//! ┌─────────────────────────────┐ 0
//! │ 0xBAAAD700 │ version 2      │
//! ├─────────────────────────────┤ TOC.symbols = 5
//! │ len u32 │ count u32 │ count × (len uvarint, bytes) │ CRC32C
//! ├─────────────────────────────┤ TOC.series = end of symbols (before padding)
//! │ pad to 16 │ len uvarint │ labels, chunk metas │ CRC32C      ← ref = offset / 16
//! │ …                                                         │
//! ├─────────────────────────────┤ TOC.labelIndices = TOC.postings = end of series
//! │ pad to 4 │ len u32 │ n u32 │ n × ref u32 │ CRC32C        ← ("","") first, then sorted
//! │ …                                                         │
//! ├─────────────────────────────┤ TOC.labelOffsetTable = TOC.postingsOffsetTable
//! │ len u32 │ n u32 │ n × (2, name, value, offset uvarint) │ CRC32C
//! ├─────────────────────────────┤
//! │ 6 × u64 │ CRC32C            │ TOC
//! └─────────────────────────────┘
//! ```
//!
//! Symbols are referred to by their ordinal in the sorted table. The writer takes them
//! first, then series in label order, then postings lists in (name, value) order.

use std::path::Path;

use tsblock::format::{ChunkMeta, SeriesRef, INDEX_MAGIC, SERIES_ALIGNMENT};

use super::file::{push_uvarint, push_varint, uvarint_len, Out};
use super::{Result, WriteError};

/// Which section the writer is in; sections must come in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Symbols,
    Series,
    Postings,
}

/// Writes an index file section by section.
///
/// ```no_run
/// # fn main() -> Result<(), tsblock_tools::write::WriteError> {
/// use tsblock::format::{ChunkMeta, ChunkRef};
/// use tsblock_tools::write::IndexWriter;
/// let mut w = IndexWriter::create("index".as_ref())?;
/// // ordinals: 0 "", 1 "__name__", 2 "up"
/// w.write_symbols(vec![b"".to_vec(), b"__name__".to_vec(), b"up".to_vec()])?;
/// let chunk = ChunkMeta { min_time: 0, max_time: 9, chunk: ChunkRef(8) };
/// let r = w.add_series(&[(1, 2)], &[chunk])?;
/// w.add_postings(0, 0, &[r.0])?; // all postings ("", "")
/// w.add_postings(1, 2, &[r.0])?;
/// w.finish()?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct IndexWriter {
    out: Out,
    stage: Stage,
    symbols: Vec<Vec<u8>>,
    toc_symbols: u64,
    toc_series: u64,
    toc_postings: u64,
    last_series: Option<Vec<(u32, u32)>>,
    /// (name ordinal, value ordinal, offset) of every postings list written.
    postings: Vec<(u32, u32, u64)>,
    series_count: u32,
    buf: Vec<u8>,
}

impl IndexWriter {
    /// Create the index file at `path` (it must not exist) and write its header.
    pub fn create(path: &Path) -> Result<IndexWriter> {
        let mut out = Out::create(path)?;
        out.be32(INDEX_MAGIC)?;
        out.write(&[2])?;
        Ok(IndexWriter {
            out,
            stage: Stage::Symbols,
            symbols: Vec::new(),
            toc_symbols: 0,
            toc_series: 0,
            toc_postings: 0,
            last_series: None,
            postings: Vec::new(),
            series_count: 0,
            buf: Vec::new(),
        })
    }

    fn invalid(reason: impl Into<String>) -> WriteError {
        WriteError::Invalid {
            reason: reason.into(),
        }
    }

    /// Write the symbol table. `symbols` must be sorted bytewise without duplicates and
    /// should contain every label name and value used, plus `""` for the all-postings key.
    pub fn write_symbols(&mut self, symbols: Vec<Vec<u8>>) -> Result<()> {
        if self.stage != Stage::Symbols || self.toc_symbols != 0 {
            return Err(Self::invalid("symbols must be written once, first"));
        }
        if symbols.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Self::invalid("symbols must be sorted and unique"));
        }
        let count = u32::try_from(symbols.len()).map_err(|_| WriteError::TooLarge {
            what: "number of symbols",
        })?;
        let mut len: u64 = 4;
        for s in &symbols {
            len = len
                .checked_add(uvarint_len(s.len() as u64))
                .and_then(|l| l.checked_add(s.len() as u64))
                .ok_or(WriteError::TooLarge {
                    what: "symbol table",
                })?;
        }
        let len = u32::try_from(len).map_err(|_| WriteError::TooLarge {
            what: "symbol table (4 GiB at most)",
        })?;
        self.toc_symbols = self.out.pos();
        self.out.be32(len)?;
        let head = count.to_be_bytes();
        self.out.write(&head)?;
        let mut crc = crc32c::crc32c(&head);
        let mut b = Vec::with_capacity(16);
        for s in &symbols {
            b.clear();
            push_uvarint(&mut b, s.len() as u64);
            crc = crc32c::crc32c_append(crc, &b);
            crc = crc32c::crc32c_append(crc, s);
            self.out.write(&b)?;
            self.out.write(s)?;
        }
        self.out.be32(crc)?;
        self.symbols = symbols;
        self.stage = Stage::Series;
        self.toc_series = self.out.pos();
        Ok(())
    }

    /// The symbol with ordinal `ord`.
    pub fn symbol(&self, ord: u32) -> Option<&[u8]> {
        self.symbols.get(ord as usize).map(Vec::as_slice)
    }

    /// Add the next series: `labels` as (name, value) symbol ordinals sorted by name,
    /// `chunks` in time order with increasing refs. Series must come in strictly
    /// increasing label order (comparing ordinals is comparing strings, since the table is
    /// sorted). Returns the series ref.
    pub fn add_series(&mut self, labels: &[(u32, u32)], chunks: &[ChunkMeta]) -> Result<SeriesRef> {
        if self.stage != Stage::Series {
            return Err(Self::invalid(
                "series must come after symbols, before postings",
            ));
        }
        let n = self.symbols.len() as u64;
        if labels
            .iter()
            .any(|&(a, b)| u64::from(a) >= n || u64::from(b) >= n)
        {
            return Err(Self::invalid("label refers to a symbol not in the table"));
        }
        if labels.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Self::invalid("label names must be sorted and unique"));
        }
        if let Some(last) = &self.last_series {
            if labels <= last.as_slice() {
                return Err(Self::invalid(
                    "series must be added in increasing label order",
                ));
            }
        }
        let b = &mut self.buf;
        b.clear();
        push_uvarint(b, labels.len() as u64);
        for &(name, value) in labels {
            push_uvarint(b, u64::from(name));
            push_uvarint(b, u64::from(value));
        }
        push_uvarint(b, chunks.len() as u64);
        let mut prev: Option<&ChunkMeta> = None;
        for c in chunks {
            if c.max_time < c.min_time {
                return Err(Self::invalid("chunk ends before it starts"));
            }
            match prev {
                None => {
                    push_varint(b, c.min_time);
                    push_uvarint(b, c.max_time.wrapping_sub(c.min_time) as u64);
                    push_uvarint(b, c.chunk.0);
                }
                Some(p) => {
                    if c.min_time <= p.max_time || c.chunk.0 <= p.chunk.0 {
                        return Err(Self::invalid(
                            "chunks of a series must not overlap and must have increasing refs",
                        ));
                    }
                    push_uvarint(b, c.min_time.wrapping_sub(p.max_time) as u64);
                    push_uvarint(b, c.max_time.wrapping_sub(c.min_time) as u64);
                    push_varint(b, c.chunk.0.wrapping_sub(p.chunk.0) as i64);
                }
            }
            prev = Some(c);
        }
        if b.len() > u32::MAX as usize {
            return Err(WriteError::TooLarge {
                what: "series entry",
            });
        }
        self.out.pad_to(SERIES_ALIGNMENT)?;
        let offset = self.out.pos();
        let r = u32::try_from(offset / SERIES_ALIGNMENT).map_err(|_| WriteError::TooLarge {
            what: "series section (64 GiB at most)",
        })?;
        let crc = crc32c::crc32c(b);
        let mut len = Vec::with_capacity(5);
        push_uvarint(&mut len, b.len() as u64);
        self.out.write(&len)?;
        self.out.write(&self.buf)?;
        self.out.be32(crc)?;
        self.last_series = Some(labels.to_vec());
        self.series_count += 1;
        Ok(SeriesRef(r))
    }

    /// Add the postings list of `name=value` (symbol ordinals): the refs of the series
    /// that have the pair, strictly increasing. Lists must come in increasing (name, value)
    /// order; the all-postings list `("", "")` comes first and should list every series.
    pub fn add_postings(&mut self, name: u32, value: u32, refs: &[u32]) -> Result<()> {
        match self.stage {
            Stage::Symbols => return Err(Self::invalid("postings must come after symbols")),
            Stage::Series => {
                self.stage = Stage::Postings;
                self.toc_postings = self.out.pos();
            }
            Stage::Postings => {}
        }
        let n = self.symbols.len() as u64;
        if u64::from(name) >= n || u64::from(value) >= n {
            return Err(Self::invalid("postings key is not in the symbol table"));
        }
        if let Some(&(ln, lv, _)) = self.postings.last() {
            if (name, value) <= (ln, lv) {
                return Err(Self::invalid(
                    "postings lists must be sorted by name and value",
                ));
            }
        }
        if refs.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Self::invalid("postings refs must be strictly increasing"));
        }
        let count = u32::try_from(refs.len()).ok();
        let len = count
            .and_then(|c| c.checked_mul(4))
            .and_then(|l| l.checked_add(4));
        let (Some(count), Some(len)) = (count, len) else {
            return Err(WriteError::TooLarge {
                what: "postings list",
            });
        };
        self.out.pad_to(4)?;
        let offset = self.out.pos();
        self.out.be32(len)?;
        let b = &mut self.buf;
        b.clear();
        b.extend_from_slice(&count.to_be_bytes());
        for r in refs {
            b.extend_from_slice(&r.to_be_bytes());
        }
        let crc = crc32c::crc32c(b);
        self.out.write(&self.buf)?;
        self.out.be32(crc)?;
        self.postings.push((name, value, offset));
        Ok(())
    }

    /// Whether [`finish`](IndexWriter::finish) fsyncs the file (default true).
    pub fn set_sync(&mut self, sync: bool) {
        self.out.set_sync(sync);
    }

    /// Number of series written.
    pub fn series_count(&self) -> u32 {
        self.series_count
    }

    /// Write the postings offset table and the TOC, fsync; returns the file size.
    pub fn finish(mut self) -> Result<u64> {
        if self.stage == Stage::Symbols {
            self.write_symbols(Vec::new())?;
        }
        if self.stage == Stage::Series {
            self.stage = Stage::Postings;
            self.toc_postings = self.out.pos();
        }
        let sym = |o: u32| self.symbols.get(o as usize).map_or(&[][..], Vec::as_slice);
        let mut len: u64 = 4;
        for &(n, v, off) in &self.postings {
            let (n, v) = (sym(n).len() as u64, sym(v).len() as u64);
            len = len
                .checked_add(1 + uvarint_len(n) + n + uvarint_len(v) + v + uvarint_len(off))
                .ok_or(WriteError::TooLarge {
                    what: "postings offset table",
                })?;
        }
        let len = u32::try_from(len).map_err(|_| WriteError::TooLarge {
            what: "postings offset table (4 GiB at most)",
        })?;
        let count = u32::try_from(self.postings.len()).map_err(|_| WriteError::TooLarge {
            what: "number of postings lists",
        })?;
        let table = self.out.pos();
        self.out.be32(len)?;
        let head = count.to_be_bytes();
        self.out.write(&head)?;
        let mut crc = crc32c::crc32c(&head);
        let mut b = Vec::with_capacity(64);
        for &(n, v, off) in &self.postings {
            b.clear();
            b.push(2);
            push_uvarint(&mut b, sym(n).len() as u64);
            b.extend_from_slice(sym(n));
            push_uvarint(&mut b, sym(v).len() as u64);
            b.extend_from_slice(sym(v));
            push_uvarint(&mut b, off);
            crc = crc32c::crc32c_append(crc, &b);
            self.out.write(&b)?;
        }
        self.out.be32(crc)?;
        let mut toc = Vec::with_capacity(52);
        for v in [
            self.toc_symbols,
            self.toc_series,
            // No label indices (Prometheus ≥ 3.7): their start is where postings start,
            // and the label offset table "starts" at the postings offset table.
            self.toc_postings,
            table,
            self.toc_postings,
            table,
        ] {
            toc.extend_from_slice(&v.to_be_bytes());
        }
        let crc = crc32c::crc32c(&toc);
        toc.extend_from_slice(&crc.to_be_bytes());
        self.out.write(&toc)?;
        self.out.finish()
    }
}
