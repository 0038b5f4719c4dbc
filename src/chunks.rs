//! Chunk segment files `<block>/chunks/000001…`.
//!
//! ```text
//! ┌──────────────────────────────────────┐
//! │ magic 0x85BD40DD | ver u8 = 1 | pad 3│
//! ├──────────────────────────────────────┤
//! │ len uvarint | encoding u8 | data | CRC32C(encoding + data) │ …
//! └──────────────────────────────────────┘
//! ```
//!
//! A chunk ref's high 32 bits are the position in the *sorted list* of segment files, not
//! the number in the name. A segment is mapped the first time a chunk of it is read.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::decode::{check_crc, Cursor};
use crate::error::{Corruption, DecodeError, Error, Result, Section};
use crate::format::{ChunkRef, SEGMENT_HEADER_LEN, SEGMENT_MAGIC};
use crate::storage::{Access, Bytes};

/// A chunk record as stored: its encoding byte and payload, borrowed from the map.
#[derive(Debug, Clone, Copy)]
pub struct RawChunk<'a> {
    /// The encoding byte.
    pub encoding: u8,
    /// The payload (for XOR: u16 sample count, then the bit stream).
    pub data: &'a [u8],
    /// File offset of `data[0]`.
    pub data_offset: u64,
    /// Offset of the record (its length varint).
    pub record_offset: u64,
    /// Segment file.
    pub path: &'a Path,
}

#[derive(Debug)]
struct Segment {
    path: PathBuf,
    /// Opened with the block, so the segment stays readable if the block is deleted
    /// (compaction retiring it) before a query first touches it.
    file: File,
    map: OnceLock<Bytes>,
}

impl Segment {
    fn bytes(&self) -> Result<&Bytes> {
        if let Some(b) = self.map.get() {
            return Ok(b);
        }
        // The header is read with pread, not through the map: a query that reads a few
        // chunks then maps only the pages around them (a fault maps a whole page-cache
        // folio, which can be hundreds of KiB).
        let mut header = [0u8; SEGMENT_HEADER_LEN];
        let got = read_prefix(&self.file, &mut header).map_err(|e| Error::io(&self.path, e))?;
        check_header(header.get(..got).unwrap_or_default())
            .map_err(|e| e.at(&self.path, Section::SegmentHeader))?;
        let b = Bytes::map(&self.file, &self.path, Access::Normal)?;
        // If another thread won the race its (identical) map is kept and ours dropped.
        let _ = self.map.set(b);
        Ok(self.map.get().unwrap_or_else(|| unreachable!("set above")))
    }
}

/// Reads up to `buf.len()` bytes from the start of `file`; fewer only at its end.
fn read_prefix(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match file.read_at(rest, got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn check_header(b: &[u8]) -> Result<(), DecodeError> {
    let mut c = Cursor::new(b, 0);
    let magic = c.be32()?;
    if magic != SEGMENT_MAGIC {
        return Err(DecodeError::new(
            0,
            Corruption::BadMagic {
                expected: SEGMENT_MAGIC,
                got: magic,
            },
        ));
    }
    if c.u8()? != 1 {
        return Err(DecodeError::new(
            4,
            Corruption::Invalid("unknown segment version"),
        ));
    }
    c.skip(SEGMENT_HEADER_LEN - 5)
}

/// The chunk segments of one block.
#[derive(Debug)]
pub struct ChunkReader {
    dir: PathBuf,
    segments: Vec<Segment>,
}

impl ChunkReader {
    /// List and open `<block>/chunks/`; files are mapped later, on first use.
    pub fn open(dir: &Path) -> Result<ChunkReader> {
        let mut names: Vec<(u64, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name();
            // Only numeric names are segments, as in Prometheus.
            if let Some(n) = name.to_str().and_then(|s| s.parse::<u64>().ok()) {
                names.push((n, entry.path()));
            }
        }
        names.sort();
        let segments = names
            .into_iter()
            .map(|(_, path)| {
                let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
                Ok(Segment {
                    path,
                    file,
                    map: OnceLock::new(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(ChunkReader {
            dir: dir.to_owned(),
            segments,
        })
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Read and CRC-check the chunk at `chunk`.
    pub fn chunk(&self, chunk: ChunkRef) -> Result<RawChunk<'_>> {
        let Some(seg) = self.segments.get(chunk.segment() as usize) else {
            return Err(Error::Corrupt {
                path: self.dir.clone(),
                section: Section::Chunk,
                offset: u64::from(chunk.offset()),
                kind: Corruption::OutOfBounds {
                    what: "chunk segment",
                    value: u64::from(chunk.segment()),
                    limit: self.segments.len() as u64,
                },
            });
        };
        let bytes = seg.bytes()?;
        read_record(bytes, chunk.offset())
            .map(|(encoding, data, data_offset)| RawChunk {
                encoding,
                data,
                data_offset,
                record_offset: u64::from(chunk.offset()),
                path: &seg.path,
            })
            .map_err(|e| e.at(&seg.path, Section::Chunk))
    }
}

fn read_record(file: &[u8], offset: u32) -> Result<(u8, &[u8], u64), DecodeError> {
    if (offset as usize) < SEGMENT_HEADER_LEN {
        return Err(DecodeError::new(
            u64::from(offset),
            Corruption::Invalid("chunk offset inside segment header"),
        ));
    }
    let mut c = Cursor::at(file, u64::from(offset))?;
    let len = c.uvarint32()?;
    let enc_offset = c.offset();
    let covered = c.bytes(len as usize + 1)?;
    let crc_at = c.offset();
    check_crc(covered, c.be32()?, crc_at)?;
    let (&encoding, data) = covered.split_first().unwrap_or((&0, &[]));
    Ok((encoding, data, enc_offset + 1))
}
