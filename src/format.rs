//! On-disk constants, reference newtypes and `meta.json`.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Magic number at the start of an index file.
pub const INDEX_MAGIC: u32 = 0xBAAA_D700;
/// Size of the index header: magic u32 + version u8.
pub const INDEX_HEADER_LEN: usize = 5;
/// Size of the index TOC: six u64 offsets + CRC32C.
pub const TOC_LEN: usize = 6 * 8 + 4;
/// Magic number at the start of a chunk segment file.
pub const SEGMENT_MAGIC: u32 = 0x85BD_40DD;
/// Size of a chunk segment header: magic u32, version u8, 3 padding bytes.
pub const SEGMENT_HEADER_LEN: usize = 8;
/// Magic number at the start of a tombstones file.
pub const TOMBSTONES_MAGIC: u32 = 0x0130_BA30;
/// Series entries are aligned to this many bytes; a series ref is offset / 16.
pub const SERIES_ALIGNMENT: u64 = 16;

/// Reference to a series in one block's index: the entry's file offset divided by 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesRef(pub u32);

impl SeriesRef {
    /// File offset of the series entry in the index.
    pub fn offset(self) -> u64 {
        u64::from(self.0) * SERIES_ALIGNMENT
    }
}

/// Reference to a chunk in a block: segment position in the sorted segment list, and byte
/// offset of the chunk record in that segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChunkRef(pub u64);

impl ChunkRef {
    /// Index of the segment in the block's sorted segment list (`000001` is 0).
    pub fn segment(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Offset of the chunk record inside its segment.
    pub fn offset(self) -> u32 {
        self.0 as u32
    }
}

/// Where a chunk lives and which samples it covers, as stored in a series entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMeta {
    /// Timestamp of the first sample (ms).
    pub min_time: i64,
    /// Timestamp of the last sample (ms), inclusive.
    pub max_time: i64,
    /// Location of the chunk.
    pub chunk: ChunkRef,
}

/// A block's `meta.json`. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BlockMeta {
    /// The block's ULID.
    pub ulid: String,
    /// First timestamp the block may hold (ms, inclusive).
    pub min_time: i64,
    /// End of the block's range (ms, exclusive).
    pub max_time: i64,
    /// Meta format version; always 1.
    pub version: u32,
    /// Counts written by the block's writer; informational.
    #[serde(default)]
    pub stats: BlockStats,
    /// Compaction lineage.
    #[serde(default)]
    pub compaction: Compaction,
}

/// `meta.json` `stats`. Prometheus omits zero fields.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BlockStats {
    /// Number of samples.
    #[serde(default)]
    pub num_samples: u64,
    /// Number of series.
    #[serde(default)]
    pub num_series: u64,
    /// Number of chunks.
    #[serde(default)]
    pub num_chunks: u64,
    /// Number of tombstone intervals.
    #[serde(default)]
    pub num_tombstones: u64,
}

/// `meta.json` `compaction`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compaction {
    /// 1 for blocks cut from the head.
    #[serde(default)]
    pub level: u32,
    /// ULIDs of all level-1 ancestors.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The direct inputs of the compaction that made this block.
    #[serde(default)]
    pub parents: Vec<BlockDesc>,
    /// The compaction produced no samples; Prometheus deletes such blocks.
    #[serde(default)]
    pub deletable: bool,
    /// The compactor gave up on this block; its data is still read.
    #[serde(default)]
    pub failed: bool,
    /// Hints such as `from-out-of-order`.
    #[serde(default)]
    pub hints: Vec<String>,
}

/// A parent block in `compaction.parents`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BlockDesc {
    /// The parent's ULID.
    pub ulid: String,
    /// Its minTime.
    pub min_time: i64,
    /// Its maxTime.
    pub max_time: i64,
}

impl BlockMeta {
    /// Parse `meta.json` bytes; `path` is used in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<BlockMeta> {
        let meta: BlockMeta = serde_json::from_slice(bytes).map_err(|e| Error::Meta {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if meta.version != 1 {
            return Err(Error::Meta {
                path: path.to_owned(),
                reason: format!("version {} (only 1 is defined)", meta.version),
            });
        }
        Ok(meta)
    }

    /// Read and parse `<block>/meta.json`.
    pub fn read(block_dir: &Path) -> Result<BlockMeta> {
        let path = block_dir.join("meta.json");
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        BlockMeta::parse(&bytes, &path)
    }

    /// Whether the block may hold samples in the closed query range `[mint, maxt]`.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint < self.max_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_requires_version_1_and_ignores_unknown_fields() {
        let p = Path::new("m.json");
        let ok = br#"{"ulid":"01H","minTime":1,"maxTime":5,"version":1,"stats":{"numSeries":2},"new":true,
            "compaction":{"level":2,"sources":["A","B"],"parents":[{"ulid":"A","minTime":1,"maxTime":3}],"failed":true}}"#;
        let m = BlockMeta::parse(ok, p).unwrap();
        assert_eq!(m.compaction.parents[0].max_time, 3);
        assert!(m.compaction.failed && !m.compaction.deletable);
        assert_eq!(m.stats.num_series, 2);
        assert_eq!(m.stats.num_samples, 0);
        let v2 = br#"{"ulid":"01H","minTime":1,"maxTime":5,"version":2}"#;
        assert!(matches!(BlockMeta::parse(v2, p), Err(Error::Meta { .. })));
        assert!(BlockMeta::parse(b"", p).is_err());
    }

    #[test]
    fn block_range_is_half_open_query_range_closed() {
        let m = BlockMeta::parse(
            br#"{"ulid":"x","minTime":10,"maxTime":20,"version":1}"#,
            Path::new("m"),
        )
        .unwrap();
        assert!(m.overlaps(0, 10));
        assert!(m.overlaps(19, 30));
        assert!(!m.overlaps(20, 30));
        assert!(!m.overlaps(0, 9));
    }

    #[test]
    fn chunk_ref_splits_segment_and_offset() {
        let r = ChunkRef((3 << 32) | 77);
        assert_eq!((r.segment(), r.offset()), (3, 77));
        assert_eq!(SeriesRef(6).offset(), 96);
    }
}
