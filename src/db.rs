//! A Prometheus data directory: the blocks in it.
//!
//! A block is a directory whose name is a ULID. Anything else (`wal/`, `chunks_head/`,
//! `<ULID>.tmp-for-creation`, `…tmp-for-deletion`, files) is not a block. Like promtool,
//! every block is loaded, including ones a finished compaction has superseded: their
//! samples equal the compacted block's and merge away.

use std::path::{Path, PathBuf};

use crate::block::Block;
use crate::error::{Error, Result};
use crate::format::BlockMeta;

/// The blocks of a data directory, sorted by `minTime` (ties in directory-name order, which
/// is what promtool's sort gives for small directories).
#[derive(Debug)]
pub struct Db {
    dir: PathBuf,
    blocks: Vec<Block>,
    skipped: Vec<Error>,
}

impl Db {
    /// Open every block of `dir`. A block whose meta.json is missing or broken is skipped
    /// (as Prometheus does) and reported in [`Db::skipped`]; any other failure to open a
    /// block is an error naming it.
    pub fn open(dir: &Path) -> Result<Db> {
        let mut dirs: Vec<(String, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let is_dir = entry
                .file_type()
                .map_err(|e| Error::io(entry.path(), e))?
                .is_dir();
            if is_dir && is_ulid(&name) {
                dirs.push((name, entry.path()));
            }
        }
        dirs.sort();
        let mut blocks = Vec::with_capacity(dirs.len());
        let mut skipped = Vec::new();
        for (_, path) in dirs {
            let meta = match BlockMeta::read(&path) {
                Ok(m) => m,
                Err(e) => {
                    skipped.push(e);
                    continue;
                }
            };
            blocks.push(Block::open_with_meta(&path, meta)?);
        }
        // Stable: equal minTimes keep directory order.
        blocks.sort_by_key(|b| b.meta().min_time);
        Ok(Db {
            dir: dir.to_owned(),
            blocks,
            skipped,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Open blocks, sorted by minTime.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Blocks that were skipped because their meta.json is missing or unreadable.
    pub fn skipped(&self) -> &[Error] {
        &self.skipped
    }

    /// Blocks that may hold samples in the closed range `[mint, maxt]`.
    pub fn blocks_in(&self, mint: i64, maxt: i64) -> impl Iterator<Item = &Block> {
        self.blocks
            .iter()
            .filter(move |b| b.meta().overlaps(mint, maxt))
    }
}

/// Whether `name` is a ULID as Prometheus parses it: 26 Crockford base32 characters whose
/// first is at most '7' (the value must fit in 128 bits).
pub fn is_ulid(name: &str) -> bool {
    name.len() == 26 && name.as_bytes()[0] <= b'7' && ulid::Ulid::from_string(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ulid_names_are_blocks() {
        assert!(is_ulid("01BKGV7JBM69T2G1BGBGM6KB12"));
        assert!(!is_ulid("01BKGV7JBM69T2G1BGBGM6KB12.tmp-for-creation"));
        assert!(!is_ulid("01BKGV7JBM69T2G1BGBGM6KB12.tmp"));
        assert!(!is_ulid("wal"));
        assert!(!is_ulid("chunks_head"));
        assert!(!is_ulid("81BKGV7JBM69T2G1BGBGM6KB12"));
    }
}
