//! One block directory: meta.json, index, chunks/ and tombstones, opened lazily.

use std::path::{Path, PathBuf};

use crate::chunks::ChunkReader;
use crate::error::Result;
use crate::format::BlockMeta;
use crate::index::IndexReader;
use crate::tombstones::Tombstones;

/// An open, read-only block. `Send + Sync`: queries share it across threads.
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    index: IndexReader,
    chunks: ChunkReader,
    tombstones: Tombstones,
}

impl Block {
    /// Open the block in `dir`: parse meta.json and tombstones, map the index and read its
    /// header, TOC and sampled tables, list the chunk segments (mapped on first use).
    pub fn open(dir: &Path) -> Result<Block> {
        let meta = BlockMeta::read(dir)?;
        Block::open_with_meta(dir, meta)
    }

    /// Open with an already-parsed meta.json.
    pub fn open_with_meta(dir: &Path, meta: BlockMeta) -> Result<Block> {
        let index = IndexReader::open(&dir.join("index"))?;
        let chunks = ChunkReader::open(&dir.join("chunks"))?;
        let tombstones = Tombstones::read(&dir.join("tombstones"))?;
        Ok(Block {
            dir: dir.to_owned(),
            meta,
            index,
            chunks,
            tombstones,
        })
    }

    /// The block directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Parsed meta.json.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The index.
    pub fn index(&self) -> &IndexReader {
        &self.index
    }

    /// The chunk segments.
    pub fn chunks(&self) -> &ChunkReader {
        &self.chunks
    }

    /// Deleted intervals.
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }
}
