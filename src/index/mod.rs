//! The block index: symbols, series entries, postings lists and the postings offset table.
//!
//! ```text
//! ┌──────────────────────────┐
//! │ magic 0xBAAAD700 | ver u8│  version 2 (3 is read as 2; 1 is rejected)
//! ├──────────────────────────┤
//! │ symbol table             │  kept: every 32nd offset
//! │ series (16-byte aligned) │  read on demand, CRC per entry
//! │ [label indices]          │  never read (absent since Prometheus 3.7)
//! │ postings lists           │  read on demand, CRC per list
//! │ [label offset table]     │  never read
//! │ postings offset table    │  kept: per name the 1st, every 32nd and last entry
//! │ TOC (6 × u64 + CRC32C)   │
//! └──────────────────────────┘
//! ```
//!
//! Opening reads the header, the TOC and the two sampled tables; everything else is read
//! from the map when a query asks for it.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod postings;
mod series;
mod symbols;
mod table;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use series::SeriesEntry;

use crate::decode::{check_crc, Cursor};
use crate::error::{Corruption, DecodeError, Error, Result, Section};
use crate::format::{SeriesRef, INDEX_HEADER_LEN, INDEX_MAGIC, TOC_LEN};
use crate::storage::{Access, Bytes};

pub(crate) use postings::{intersect, union, without};

/// The table of contents at the end of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toc {
    /// Offset of the symbol table.
    pub symbols: u64,
    /// Offset of the series section.
    pub series: u64,
    /// Offset of the label indices (unused).
    pub label_indices: u64,
    /// Offset of the label offset table (unused).
    pub label_offset_table: u64,
    /// Offset of the postings lists.
    pub postings: u64,
    /// Offset of the postings offset table.
    pub postings_table: u64,
}

/// A read-only index file.
#[derive(Debug)]
pub struct IndexReader {
    path: Arc<PathBuf>,
    data: Bytes,
    version: u8,
    toc: Toc,
    symbols: symbols::Symbols,
    table: table::PostingsTable,
}

impl IndexReader {
    /// Map and open the index at `path`.
    pub fn open(path: &Path) -> Result<IndexReader> {
        let data = Bytes::map_file(path, Access::Random)?;
        IndexReader::from_bytes(data, path)
    }

    /// Open an index from bytes; `path` names it in errors.
    pub fn from_bytes(data: Bytes, path: &Path) -> Result<IndexReader> {
        let err = |section| move |e: DecodeError| e.at(path, section);
        let file: &[u8] = &data;
        let mut c = Cursor::new(file, 0);
        let magic = c.be32().map_err(err(Section::IndexHeader))?;
        if magic != INDEX_MAGIC {
            return Err(DecodeError::new(
                0,
                Corruption::BadMagic {
                    expected: INDEX_MAGIC,
                    got: magic,
                },
            )
            .at(path, Section::IndexHeader));
        }
        let version = c.u8().map_err(err(Section::IndexHeader))?;
        if version != 2 && version != 3 {
            return Err(Error::Unsupported {
                path: path.to_owned(),
                what: "index version",
                value: version.into(),
            });
        }
        let toc = read_toc(file).map_err(err(Section::Toc))?;
        let toc_start = (file.len() - TOC_LEN) as u64;
        for (what, off) in [
            ("symbols", toc.symbols),
            ("postings offset table", toc.postings_table),
        ] {
            if off < INDEX_HEADER_LEN as u64 || off >= toc_start {
                return Err(DecodeError::new(
                    toc_start,
                    Corruption::OutOfBounds {
                        what,
                        value: off,
                        limit: toc_start,
                    },
                )
                .at(path, Section::Toc));
            }
        }
        let symbols = symbols::Symbols::parse(file, toc.symbols).map_err(err(Section::Symbols))?;
        let table = table::PostingsTable::parse(file, toc.postings_table, toc.postings_table)
            .map_err(err(Section::PostingsTable))?;
        Ok(IndexReader {
            path: Arc::new(path.to_owned()),
            data,
            version,
            toc,
            symbols,
            table,
        })
    }

    /// Path of the index file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Format version (2 or 3).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The table of contents.
    pub fn toc(&self) -> Toc {
        self.toc
    }

    /// Number of symbols.
    pub fn symbol_count(&self) -> u32 {
        self.symbols.len()
    }

    fn err(&self, section: Section) -> impl Fn(DecodeError) -> Error + '_ {
        move |e| e.at(&**self.path, section)
    }

    /// The string with symbol ordinal `ord`.
    #[inline]
    pub fn symbol(&self, ord: u32) -> Result<&[u8]> {
        self.symbols
            .lookup(&self.data, ord)
            .map_err(self.err(Section::Symbols))
    }

    /// The ordinal of `s` in the symbol table, if present.
    pub fn find_symbol(&self, s: &[u8]) -> Result<Option<u32>> {
        self.symbols
            .find(&self.data, s)
            .map_err(self.err(Section::Symbols))
    }

    /// Decode the series entry `series` into `out` (buffers reused).
    pub fn series(&self, series: SeriesRef, out: &mut SeriesEntry) -> Result<()> {
        // Series entries live before the postings lists; the TOC start is a safe outer bound.
        let limit = (self.data.len() - TOC_LEN) as u64;
        series::read(&self.data, series, limit, out).map_err(self.err(Section::Series))
    }

    /// Label names in use, sorted bytewise (the all-postings key "" excluded).
    pub fn label_names(&self) -> impl Iterator<Item = &[u8]> {
        self.table.names().filter(|n| !n.is_empty())
    }

    /// Number of distinct values of `name`.
    pub fn label_value_count(&self, name: &[u8]) -> u32 {
        self.table.value_count(name)
    }

    /// Values of `name` that are `>= from`, sorted, each with its postings list offset.
    pub fn label_values_from<'a>(
        &'a self,
        name: &[u8],
        from: &[u8],
    ) -> impl Iterator<Item = Result<(&'a [u8], u64)>> + 'a {
        self.table
            .values_from(&self.data, name, from)
            .map(move |e| {
                e.map(|e| (e.value, e.postings))
                    .map_err(self.err(Section::PostingsTable))
            })
    }

    /// All values of `name`, sorted, each with its postings list offset.
    pub fn label_values<'a>(
        &'a self,
        name: &[u8],
    ) -> impl Iterator<Item = Result<(&'a [u8], u64)>> + 'a {
        self.label_values_from(name, b"")
    }

    /// Offset of the postings list for `name=value`, if the pair exists.
    pub fn postings_offset(&self, name: &[u8], value: &[u8]) -> Result<Option<u64>> {
        self.table
            .find(&self.data, name, value)
            .map_err(self.err(Section::PostingsTable))
    }

    /// Append the refs of the postings list at `offset` to `out`.
    pub fn read_postings(&self, offset: u64, out: &mut Vec<u32>) -> Result<()> {
        postings::read_into(&self.data, offset, out).map_err(self.err(Section::Postings))
    }

    /// Series refs of `name=value`, sorted (empty if the pair does not exist).
    pub fn postings(&self, name: &[u8], value: &[u8]) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        if let Some(off) = self.postings_offset(name, value)? {
            self.read_postings(off, &mut out)?;
        }
        Ok(out)
    }

    /// Every series of the block, sorted.
    pub fn all_postings(&self) -> Result<Vec<u32>> {
        self.postings(b"", b"")
    }
}

fn read_toc(file: &[u8]) -> Result<Toc, DecodeError> {
    let Some(start) = file
        .len()
        .checked_sub(TOC_LEN)
        .filter(|&s| s >= INDEX_HEADER_LEN)
    else {
        return Err(DecodeError::new(
            0,
            Corruption::Truncated {
                needed: (INDEX_HEADER_LEN + TOC_LEN) as u64,
                available: file.len() as u64,
            },
        ));
    };
    let mut c = Cursor::at(file, start as u64)?;
    let body = c.bytes(TOC_LEN - 4)?;
    let crc_at = c.offset();
    check_crc(body, c.be32()?, crc_at)?;
    let mut c = Cursor::new(body, start as u64);
    Ok(Toc {
        symbols: c.be64()?,
        series: c.be64()?,
        label_indices: c.be64()?,
        label_offset_table: c.be64()?,
        postings: c.be64()?,
        postings_table: c.be64()?,
    })
}
