//! Block writers: chunk segments, index, tombstones and meta.json, and [`BlockWriter`],
//! which puts them together into a block directory.
//!
//! ```text
//! <data_dir>/<ULID>.tmp-for-creation/      while writing; removed if the writer is dropped
//!     chunks/000001 000002 …   ← add_series: chunks are cut, encoded and written at once
//!     index                    ← finish: symbols, series, postings, postings offset table, TOC
//!     tombstones               ← finish (9 bytes when there are none)
//!     meta.json                ← finish
//! <data_dir>/<ULID>/                       after finish: every file and dir fsynced, renamed
//! ```
//!
//! Memory is bounded by series metadata (label strings, interned once; chunk metas;
//! postings), never by samples: chunks go to the segment file as series arrive.
//!
//! ```no_run
//! # fn main() -> Result<(), tsblock_tools::write::WriteError> {
//! use tsblock::Labels;
//! use tsblock_tools::write::BlockWriter;
//!
//! let mut w = BlockWriter::create("data".as_ref(), 0, 7_200_000)?;
//! w.add_series(&Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[(0, 1.0), (15_000, 1.0)])?;
//! w.add_series(&Labels::from_pairs([("__name__", "up"), ("job", "b")]), &[(0, 0.0)])?;
//! let block = w.finish()?;
//! println!("{} {:?}", block.ulid, block.path);
//! # Ok(()) }
//! ```
//!
//! Series must be added in strictly increasing label order ([`Labels`]' `Ord`, which is
//! Prometheus' order) after labels with empty values are dropped, and samples in strictly
//! increasing time inside `[min_time, max_time)`. Everything the writer is given is checked;
//! bad input is a [`WriteError`], never a panic or a broken block.

mod chunks;
mod cut;
mod file;
mod index;
mod meta;
mod tombstones;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tsblock::chunkenc::XorAppender;
use tsblock::format::{BlockMeta, ChunkMeta};
use tsblock::Labels;
use ulid::Ulid;

pub use chunks::{RawChunk, SegmentWriter, DEFAULT_SEGMENT_SIZE};
pub use cut::{
    range_end, ChunkCutter, DEFAULT_CHUNK_RANGE, PROMTOOL_CHUNK_RANGE, SAMPLES_PER_CHUNK,
};
pub use index::IndexWriter;
pub use meta::{BlockDesc, MetaInfo, Stats};
pub use tombstones::{encode_tombstones, write_tombstones, Tombstone};

/// Why writing a block failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A series' labels are unusable (empty name, duplicate name, no labels left), or the
    /// series is out of order.
    #[error("series {labels}: {reason}")]
    Labels {
        /// The series, as given.
        labels: String,
        /// What is wrong.
        reason: String,
    },
    /// A series' samples or chunks are unusable (out of order, outside the block range,
    /// bad encoding).
    #[error("series {labels}: {reason}")]
    Samples {
        /// The series.
        labels: String,
        /// What is wrong.
        reason: String,
    },
    /// Another misuse of a writer (arguments out of range, sections out of order).
    #[error("{reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// Something exceeds a limit of the format.
    #[error("{what} is too large")]
    TooLarge {
        /// What overflowed.
        what: &'static str,
    },
    /// The finished block's meta.json did not read back.
    #[error("reading back meta.json: {0}")]
    Meta(#[from] tsblock::Error),
}

impl WriteError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> WriteError {
        WriteError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Result of the writers.
pub type Result<T, E = WriteError> = std::result::Result<T, E>;

/// Identifies a series added to a [`BlockWriter`] (its 0-based position among the series
/// written), for [`BlockWriter::set_tombstones`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesId(pub u32);

/// One pre-encoded chunk for [`BlockWriter::add_series_chunks`].
#[derive(Debug, Clone, Copy)]
pub struct ChunkInput<'a> {
    /// Timestamp of the first sample (ms).
    pub min_time: i64,
    /// Timestamp of the last sample (ms), inclusive.
    pub max_time: i64,
    /// Encoding byte (1 XOR, 2 histogram, 3 float histogram, 4 XOR2, 5/6 histogram with ST).
    pub encoding: u8,
    /// The chunk data, starting with its sample count.
    pub data: &'a [u8],
}

/// A finished block.
#[derive(Debug, Clone)]
pub struct WrittenBlock {
    /// The block directory, `<data_dir>/<ULID>`.
    pub path: PathBuf,
    /// The block's ULID.
    pub ulid: Ulid,
    /// meta.json as written, read back with the reader's parser.
    pub meta: BlockMeta,
    /// What went into meta.json, including the parents the reader's type lacks.
    pub info: MetaInfo,
    /// Bytes written: segments, index, tombstones and meta.json.
    pub bytes: u64,
    /// Number of chunk segment files.
    pub segments: u32,
}

/// One series as the writer remembers it until the index is written.
#[derive(Debug)]
struct SeriesRec {
    /// (name, value) string ids, sorted by name.
    labels: Box<[(u32, u32)]>,
    /// Range in `BlockWriter::chunk_metas`.
    chunks: (usize, usize),
}

/// Writes one block: series in label order, then [`finish`](BlockWriter::finish).
///
/// The block lives in `<data_dir>/<ULID>.tmp-for-creation` until `finish` fsyncs it and
/// renames it to `<data_dir>/<ULID>`; a writer dropped before that removes its directory,
/// so a crash or an error never leaves something that looks like a block.
#[derive(Debug)]
pub struct BlockWriter {
    data_dir: PathBuf,
    tmp: PathBuf,
    ulid: Ulid,
    min_time: i64,
    max_time: i64,
    chunk_range: i64,
    segments: SegmentWriter,
    /// Interned label strings → id (ids are in first-seen order).
    strings: HashMap<Box<[u8]>, u32>,
    series: Vec<SeriesRec>,
    chunk_metas: Vec<ChunkMeta>,
    /// (name id, value id) → positions in `series`, increasing.
    postings: HashMap<(u32, u32), Vec<u32>>,
    last: Option<Labels>,
    num_samples: u64,
    level: u32,
    sources: Vec<Ulid>,
    parents: Vec<BlockDesc>,
    hints: Vec<String>,
    tombstones: Vec<(SeriesId, i64, i64)>,
    /// Scratch for encoded chunks of the current series.
    encoded: Vec<(i64, i64, Vec<u8>)>,
    sync: bool,
    done: bool,
}

impl BlockWriter {
    /// Start a block for `[min_time, max_time)` in `data_dir` (created if missing), with a
    /// fresh ULID.
    pub fn create(data_dir: &Path, min_time: i64, max_time: i64) -> Result<BlockWriter> {
        BlockWriter::create_with_ulid(data_dir, Ulid::new(), min_time, max_time)
    }

    /// Like [`create`](BlockWriter::create) with a given ULID (tests, reproducible output).
    pub fn create_with_ulid(
        data_dir: &Path,
        ulid: Ulid,
        min_time: i64,
        max_time: i64,
    ) -> Result<BlockWriter> {
        if min_time >= max_time {
            return Err(WriteError::Invalid {
                reason: format!("block range [{min_time}, {max_time}) is empty"),
            });
        }
        std::fs::create_dir_all(data_dir).map_err(|e| WriteError::io(data_dir, e))?;
        let tmp = data_dir.join(format!("{ulid}.tmp-for-creation"));
        std::fs::create_dir(&tmp).map_err(|e| WriteError::io(&tmp, e))?;
        let chunks_dir = tmp.join("chunks");
        // From here on, Drop cleans up.
        let mut w = BlockWriter {
            data_dir: data_dir.to_owned(),
            tmp,
            ulid,
            min_time,
            max_time,
            chunk_range: DEFAULT_CHUNK_RANGE,
            segments: SegmentWriter::new(&chunks_dir, DEFAULT_SEGMENT_SIZE),
            strings: HashMap::new(),
            series: Vec::new(),
            chunk_metas: Vec::new(),
            postings: HashMap::new(),
            last: None,
            num_samples: 0,
            level: 1,
            sources: Vec::new(),
            parents: Vec::new(),
            hints: Vec::new(),
            tombstones: Vec::new(),
            encoded: Vec::new(),
            sync: true,
            done: false,
        };
        std::fs::create_dir(&chunks_dir).map_err(|e| WriteError::io(&chunks_dir, e))?;
        w.intern(b"");
        Ok(w)
    }

    /// The block's ULID.
    pub fn ulid(&self) -> Ulid {
        self.ulid
    }

    /// The temporary directory being written.
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// Set the compaction lineage: `level` (1 for raw samples), the level-1 `sources`
    /// (empty means the block itself) and the direct `parents`.
    pub fn set_compaction(&mut self, level: u32, sources: Vec<Ulid>, parents: Vec<BlockDesc>) {
        self.level = level;
        self.sources = sources;
        self.parents = parents;
    }

    /// Set `compaction.hints` (e.g. `from-out-of-order`).
    pub fn set_hints(&mut self, hints: Vec<String>) {
        self.hints = hints;
    }

    /// Chunk range for [`add_series`](BlockWriter::add_series)' cutting (see
    /// [`ChunkCutter`]); default [`DEFAULT_CHUNK_RANGE`] (2h), what a server uses. promtool
    /// 2.42's `create-blocks-from` uses twice its block duration: [`PROMTOOL_CHUNK_RANGE`]
    /// (4h) for its default 2h blocks.
    pub fn set_chunk_range(&mut self, range_ms: i64) -> Result<()> {
        if range_ms < 1 {
            return Err(WriteError::Invalid {
                reason: format!("chunk range {range_ms} ms must be positive"),
            });
        }
        self.chunk_range = range_ms;
        Ok(())
    }

    /// Segment size limit (default 512 MiB). Must be set before the first series.
    pub fn set_segment_size(&mut self, bytes: u64) -> Result<()> {
        if self.segments.segment_count() > 0 {
            return Err(WriteError::Invalid {
                reason: "segment size must be set before the first series".into(),
            });
        }
        self.segments = SegmentWriter::new(self.segments.dir(), bytes);
        self.segments.set_sync(self.sync);
        Ok(())
    }

    /// Turn fsync off (or back on). Without it the block still appears atomically (by
    /// rename) but may be lost or torn by a power failure: for tests and scratch data.
    pub fn set_sync(&mut self, sync: bool) {
        self.sync = sync;
        self.segments.set_sync(sync);
    }

    fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.insert(s.into(), id);
        id
    }

    /// Drop empty values, check names, and check the order against the last series.
    fn clean_labels(&self, labels: &Labels) -> Result<Labels> {
        let err = |reason: &str| WriteError::Labels {
            labels: labels.to_string(),
            reason: reason.to_owned(),
        };
        let mut prev: Option<&[u8]> = None;
        for (name, _) in labels.iter() {
            if name.is_empty() {
                return Err(err("empty label name"));
            }
            if prev == Some(name) {
                return Err(err("duplicate label name"));
            }
            prev = Some(name);
        }
        let clean = if labels.iter().any(|(_, v)| v.is_empty()) {
            Labels::from_pairs(labels.iter().filter(|(_, v)| !v.is_empty()))
        } else {
            labels.clone()
        };
        if clean.is_empty() {
            return Err(err("no labels with a value"));
        }
        if self.series.len() > u32::MAX as usize - 1 {
            return Err(WriteError::TooLarge {
                what: "number of series",
            });
        }
        if let Some(last) = &self.last {
            if clean <= *last {
                return Err(WriteError::Labels {
                    labels: labels.to_string(),
                    reason: format!("not after the previous series {last} (series must be added in increasing label order, empty values dropped)"),
                });
            }
        }
        Ok(clean)
    }

    /// Add a series with float samples `(timestamp ms, value)`, strictly increasing in time
    /// and inside `[min_time, max_time)`. The samples are cut into XOR chunks as Prometheus'
    /// head does ([`ChunkCutter`]) and written out at once. Labels with empty values are
    /// dropped; the result must sort after the previous series. A series without samples is
    /// not written and returns `None`.
    pub fn add_series(
        &mut self,
        labels: &Labels,
        samples: &[(i64, f64)],
    ) -> Result<Option<SeriesId>> {
        let clean = self.clean_labels(labels)?;
        let bad = |reason: String| WriteError::Samples {
            labels: labels.to_string(),
            reason,
        };
        let mut prev: Option<i64> = None;
        for &(t, _) in samples {
            if t < self.min_time || t >= self.max_time {
                return Err(bad(format!(
                    "sample at {t} is outside the block range [{}, {})",
                    self.min_time, self.max_time
                )));
            }
            if prev.is_some_and(|p| t <= p) {
                return Err(bad(format!("timestamp {t} does not increase")));
            }
            prev = Some(t);
        }
        if samples.is_empty() {
            return Ok(None);
        }
        let mut encoded = std::mem::take(&mut self.encoded);
        encoded.clear();
        let mut cutter = ChunkCutter::new(self.chunk_range);
        let mut app: Option<(i64, i64, XorAppender)> = None;
        for &(t, v) in samples {
            if cutter.starts_chunk(t) {
                if let Some((a, b, full)) = app.take() {
                    encoded.push((a, b, full.finish()));
                }
            }
            let (_, last, chunk) = app.get_or_insert_with(|| (t, t, XorAppender::new()));
            *last = t;
            chunk.append(t, v);
        }
        if let Some((a, b, full)) = app {
            encoded.push((a, b, full.finish()));
        }
        let raw: Vec<RawChunk<'_>> = encoded
            .iter()
            .map(|(_, _, d)| RawChunk {
                encoding: 1,
                data: d,
            })
            .collect();
        let refs = self.segments.write_series(&raw)?;
        let metas: Vec<ChunkMeta> = encoded
            .iter()
            .zip(refs)
            .map(|(&(min_time, max_time, _), chunk)| ChunkMeta {
                min_time,
                max_time,
                chunk,
            })
            .collect();
        self.encoded = encoded;
        Ok(Some(self.record(clean, &metas, samples.len() as u64)))
    }

    /// Add a series from pre-encoded chunks (compaction): in time order, not overlapping,
    /// inside `[min_time, max_time)`, each with a known encoding whose sample count heads
    /// its data. The chunks are written as they are. Same label rules as
    /// [`add_series`](BlockWriter::add_series); no chunks means not written (`None`).
    pub fn add_series_chunks(
        &mut self,
        labels: &Labels,
        chunks: &[ChunkInput<'_>],
    ) -> Result<Option<SeriesId>> {
        let clean = self.clean_labels(labels)?;
        let bad = |reason: String| WriteError::Samples {
            labels: labels.to_string(),
            reason,
        };
        let mut samples = 0u64;
        let mut prev_max: Option<i64> = None;
        for c in chunks {
            if c.min_time > c.max_time {
                return Err(bad(format!(
                    "chunk [{}, {}] ends before it starts",
                    c.min_time, c.max_time
                )));
            }
            if c.min_time < self.min_time || c.max_time >= self.max_time {
                return Err(bad(format!(
                    "chunk [{}, {}] is outside the block range [{}, {})",
                    c.min_time, c.max_time, self.min_time, self.max_time
                )));
            }
            if prev_max.is_some_and(|p| c.min_time <= p) {
                return Err(bad(format!(
                    "chunk starting at {} overlaps the previous one",
                    c.min_time
                )));
            }
            prev_max = Some(c.max_time);
            let n = chunk_sample_count(c.encoding, c.data).map_err(bad)?;
            samples = samples.saturating_add(n);
        }
        if chunks.is_empty() {
            return Ok(None);
        }
        let raw: Vec<RawChunk<'_>> = chunks
            .iter()
            .map(|c| RawChunk {
                encoding: c.encoding,
                data: c.data,
            })
            .collect();
        let refs = self.segments.write_series(&raw)?;
        let metas: Vec<ChunkMeta> = chunks
            .iter()
            .zip(refs)
            .map(|(c, chunk)| ChunkMeta {
                min_time: c.min_time,
                max_time: c.max_time,
                chunk,
            })
            .collect();
        Ok(Some(self.record(clean, &metas, samples)))
    }

    fn record(&mut self, labels: Labels, metas: &[ChunkMeta], samples: u64) -> SeriesId {
        let pos = self.series.len() as u32;
        let ids: Box<[(u32, u32)]> = labels
            .iter()
            .map(|(n, v)| (self.intern(n), self.intern(v)))
            .collect();
        for &pair in ids.iter() {
            self.postings.entry(pair).or_default().push(pos);
        }
        let start = self.chunk_metas.len();
        self.chunk_metas.extend_from_slice(metas);
        self.series.push(SeriesRec {
            labels: ids,
            chunks: (start, self.chunk_metas.len()),
        });
        self.num_samples = self.num_samples.saturating_add(samples);
        self.last = Some(labels);
        SeriesId(pos)
    }

    /// Number of series added so far.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Deleted intervals, closed `[min, max]`, per series added; written to the tombstones
    /// file (series ids become index refs). Replaces earlier calls.
    pub fn set_tombstones(
        &mut self,
        tombstones: impl IntoIterator<Item = (SeriesId, i64, i64)>,
    ) -> Result<()> {
        let t: Vec<_> = tombstones.into_iter().collect();
        for &(id, a, b) in &t {
            if id.0 as usize >= self.series.len() {
                return Err(WriteError::Invalid {
                    reason: format!("tombstone for unknown series id {}", id.0),
                });
            }
            if a > b {
                return Err(WriteError::Invalid {
                    reason: format!("tombstone interval [{a}, {b}] ends before it starts"),
                });
            }
        }
        self.tombstones = t;
        Ok(())
    }

    /// Write the index, tombstones and meta.json, fsync everything, and rename the block
    /// into place.
    pub fn finish(mut self) -> Result<WrittenBlock> {
        let segments = self.segments.segment_count();
        let seg_writer = std::mem::replace(
            &mut self.segments,
            SegmentWriter::new(Path::new(""), DEFAULT_SEGMENT_SIZE),
        );
        let mut bytes = seg_writer.finish()?;

        // Symbols: sorted strings; id → ordinal.
        let mut strings: Vec<(Box<[u8]>, u32)> =
            std::mem::take(&mut self.strings).into_iter().collect();
        strings.sort_unstable();
        let mut ord = vec![0u32; strings.len()];
        for (i, (_, id)) in strings.iter().enumerate() {
            if let Some(slot) = ord.get_mut(*id as usize) {
                *slot = i as u32;
            }
        }
        let o = |id: u32| ord.get(id as usize).copied().unwrap_or(0);
        let symbols: Vec<Vec<u8>> = strings.into_iter().map(|(s, _)| s.into_vec()).collect();

        let index_path = self.tmp.join("index");
        let mut ix = IndexWriter::create(&index_path)?;
        ix.set_sync(self.sync);
        ix.write_symbols(symbols)?;
        let mut refs: Vec<u32> = Vec::with_capacity(self.series.len());
        let mut labels_buf: Vec<(u32, u32)> = Vec::new();
        for s in &self.series {
            labels_buf.clear();
            labels_buf.extend(s.labels.iter().map(|&(n, v)| (o(n), o(v))));
            let metas = self
                .chunk_metas
                .get(s.chunks.0..s.chunks.1)
                .unwrap_or_default();
            refs.push(ix.add_series(&labels_buf, metas)?.0);
        }
        let empty = o(0);
        ix.add_postings(empty, empty, &refs)?;
        let mut keys: Vec<((u32, u32), (u32, u32))> = self
            .postings
            .keys()
            .map(|&(n, v)| ((o(n), o(v)), (n, v)))
            .collect();
        keys.sort_unstable();
        let mut list: Vec<u32> = Vec::new();
        for ((on, ov), key) in keys {
            list.clear();
            if let Some(positions) = self.postings.get(&key) {
                list.extend(positions.iter().filter_map(|&p| refs.get(p as usize)));
            }
            ix.add_postings(on, ov, &list)?;
        }
        bytes = bytes.saturating_add(ix.finish()?);

        let ts: Vec<Tombstone> = self
            .tombstones
            .iter()
            .filter_map(|&(id, a, b)| refs.get(id.0 as usize).map(|&r| (r, a, b)))
            .collect();
        let tomb = encode_tombstones(&ts)?;
        let num_tombstones = tombstones_count(&ts);
        bytes = bytes.saturating_add(tomb.len() as u64);
        file::write_file_synced(&self.tmp.join("tombstones"), &tomb, self.sync)?;

        let info = MetaInfo {
            ulid: self.ulid,
            min_time: self.min_time,
            max_time: self.max_time,
            stats: Stats {
                num_samples: self.num_samples,
                num_series: self.series.len() as u64,
                num_chunks: self.chunk_metas.len() as u64,
                num_tombstones,
            },
            level: self.level,
            sources: if self.sources.is_empty() {
                vec![self.ulid]
            } else {
                self.sources.clone()
            },
            parents: self.parents.clone(),
            hints: self.hints.clone(),
        };
        let json = info.to_json();
        bytes = bytes.saturating_add(json.len() as u64);
        let meta_path = self.tmp.join("meta.json");
        file::write_file_synced(&meta_path, &json, self.sync)?;
        let meta = BlockMeta::parse(&json, &meta_path)?;

        if self.sync {
            file::sync_dir(&self.tmp)?;
        }
        let path = self.data_dir.join(self.ulid.to_string());
        std::fs::rename(&self.tmp, &path).map_err(|e| WriteError::io(&path, e))?;
        self.done = true;
        if self.sync {
            file::sync_dir(&self.data_dir)?;
        }
        Ok(WrittenBlock {
            path,
            ulid: self.ulid,
            meta,
            info,
            bytes,
            segments,
        })
    }
}

/// Number of intervals after merging overlapping and adjacent ones per series (what the
/// reader and Prometheus count).
fn tombstones_count(ts: &[Tombstone]) -> u64 {
    let mut t = ts.to_vec();
    t.sort_unstable();
    let mut n = 0u64;
    let mut cur: Option<(u32, i64)> = None;
    for (r, a, b) in t {
        match cur {
            Some((cr, end)) if cr == r && a <= end.saturating_add(1) => {
                cur = Some((r, end.max(b)));
            }
            _ => {
                n += 1;
                cur = Some((r, b));
            }
        }
    }
    n
}

/// Samples in a chunk, from the count at the head of its data.
fn chunk_sample_count(encoding: u8, data: &[u8]) -> Result<u64, String> {
    let head = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => {
            return Err(format!(
                "chunk data of {} bytes has no sample count",
                data.len()
            ))
        }
    };
    match encoding {
        1..=4 => Ok(u64::from(head)),
        5 | 6 => Ok(u64::from(head & 0x3FFF)),
        e => Err(format!("unknown chunk encoding {e}")),
    }
}

impl Drop for BlockWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}
