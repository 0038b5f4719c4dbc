//! Sample storage between the parse pass and block writing, bounded in memory.
//!
//! Samples arrive in input order as `(series id, timestamp, value bits)`. They collect in a
//! buffer of at most `cap` records (24 bytes each). When it fills up, it is sorted by
//! (block, arrival) and written to a *run* file (20 bytes per record) with an index of
//! where each block's records start. At the end, if anything was spilled, the rest of the
//! buffer becomes the last run too and the buffer is freed.
//!
//! A block's records are then read back in input order: each run's segment for that
//! block, run after run (the order promtool's per-block pass sees them in). The caller
//! sorts them by series; [`sort_block`] does that in memory when the block has at most
//! `cap` records, or through sorted *sub-runs* and a k-way merge when it has more. So the
//! memory used for samples never exceeds `cap` records, whatever the input size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// One sample. During the parse pass `key` is `arrival << 32 | series id`; when a block
/// is sorted it becomes `rank << 32 | arrival-in-block`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rec {
    /// See the type docs.
    pub key: u64,
    /// Milliseconds.
    pub t: i64,
    /// Float64 bits.
    pub v: u64,
}

const RUN_REC: usize = 20;
const SUB_REC: usize = 28;
const IO_BUF: usize = 1 << 16;

#[derive(Debug)]
struct Seg {
    block: i64,
    first: u64,
    count: u64,
}

#[derive(Debug)]
struct Run {
    path: PathBuf,
    segs: Vec<Seg>,
}

/// Where the samples are.
pub struct Store {
    cap: usize,
    block_ms: i64,
    buf: Vec<Rec>,
    /// Segments of `buf` once it is final and nothing was spilled.
    mem_segs: Vec<Seg>,
    runs: Vec<Run>,
    spilled_bytes: u64,
    files: FileMaker,
}

/// Names and creates spill files.
struct FileMaker {
    dir: PathBuf,
    next: u64,
}

impl FileMaker {
    fn create(&mut self, tag: &str) -> io::Result<(PathBuf, BufWriter<File>)> {
        fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{tag}-{:06}", self.next));
        self.next += 1;
        let f = File::create(&path)?;
        Ok((path, BufWriter::with_capacity(IO_BUF, f)))
    }
}

impl Store {
    /// A store that spills to files in `dir` (created on first use) once `cap` records
    /// are buffered; `cap` is clamped to [1, 2^31].
    pub fn new(dir: PathBuf, cap: usize, block_ms: i64) -> Store {
        Store {
            cap: cap.clamp(1, 1 << 31),
            block_ms,
            buf: Vec::new(),
            mem_segs: Vec::new(),
            runs: Vec::new(),
            spilled_bytes: 0,
            files: FileMaker { dir, next: 0 },
        }
    }

    /// The record capacity.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Bytes written to spill files so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Adds a sample in input order.
    pub fn push(&mut self, id: u32, t: i64, v: u64) -> io::Result<()> {
        let seq = self.buf.len() as u64;
        self.buf.push(Rec {
            key: seq << 32 | u64::from(id),
            t,
            v,
        });
        if self.buf.len() >= self.cap {
            self.spill()?;
        }
        Ok(())
    }

    fn sort_buf(&mut self) -> Vec<Seg> {
        let bms = self.block_ms;
        self.buf
            .sort_unstable_by_key(|r| (r.t.div_euclid(bms), r.key >> 32));
        let mut segs: Vec<Seg> = Vec::new();
        for (i, r) in self.buf.iter().enumerate() {
            let b = r.t.div_euclid(bms);
            match segs.last_mut() {
                Some(s) if s.block == b => s.count += 1,
                _ => segs.push(Seg {
                    block: b,
                    first: i as u64,
                    count: 1,
                }),
            }
        }
        segs
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let segs = self.sort_buf();
        let (path, mut w) = self.files.create("run")?;
        for r in &self.buf {
            let mut rec = [0u8; RUN_REC];
            rec[..4].copy_from_slice(&(r.key as u32).to_le_bytes());
            rec[4..12].copy_from_slice(&r.t.to_le_bytes());
            rec[12..].copy_from_slice(&r.v.to_le_bytes());
            w.write_all(&rec)?;
        }
        w.flush()?;
        self.spilled_bytes += (self.buf.len() * RUN_REC) as u64;
        self.runs.push(Run { path, segs });
        self.buf.clear();
        Ok(())
    }

    /// Ends the input. Returns the blocks that have samples, ascending, with their counts.
    pub fn finish(&mut self) -> io::Result<Vec<(i64, u64)>> {
        if self.runs.is_empty() {
            self.mem_segs = self.sort_buf();
        } else {
            self.spill()?;
            self.buf = Vec::new();
        }
        let mut blocks: Vec<(i64, u64)> = Vec::new();
        let all = self
            .mem_segs
            .iter()
            .chain(self.runs.iter().flat_map(|r| &r.segs));
        for s in all {
            blocks.push((s.block, s.count));
        }
        blocks.sort_unstable();
        let mut merged: Vec<(i64, u64)> = Vec::new();
        for (b, n) in blocks {
            match merged.last_mut() {
                Some(m) if m.0 == b => m.1 += n,
                _ => merged.push((b, n)),
            }
        }
        Ok(merged)
    }

    /// The records of `block` in input order, in memory, when nothing was spilled. Their
    /// keys still hold `arrival-in-buffer << 32 | id`; the caller may rewrite them.
    pub fn block_in_memory(&mut self, block: i64) -> Option<&mut [Rec]> {
        if !self.runs.is_empty() {
            return None;
        }
        let s = self.mem_segs.iter().find(|s| s.block == block)?;
        let (a, n) = (s.first as usize, s.count as usize);
        self.buf.get_mut(a..a + n)
    }

    /// Calls `f(id, t, v)` for each record of `block` in input order, reading the runs.
    pub fn read_block(
        &self,
        block: i64,
        f: impl FnMut(u32, i64, u64) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        read_runs(&self.runs, block, f)
    }

    /// Removes the run files (the directory itself is the caller's).
    pub fn cleanup(&mut self) {
        for run in self.runs.drain(..) {
            let _ = fs::remove_file(run.path);
        }
    }
}

/// A sample of a sorted block: series rank, arrival index within the block, time, bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sorted {
    /// Position of the series in label order.
    pub rank: u32,
    /// Index of the sample among the block's samples in input order.
    pub seq: u64,
    /// Milliseconds.
    pub t: i64,
    /// Float64 bits.
    pub v: u64,
}

/// What [`sort_block`] found out while reading a block.
pub struct BlockScan {
    /// Smallest timestamp among the first samples of each series.
    pub first_min: i64,
    /// Largest timestamp.
    pub max: i64,
}

/// Sorts one block's records by (series rank, arrival) and streams them to `emit`. `scan`
/// is called once, with the block's time bounds, before the first `emit`.
///
/// `ranks[id]` is the series' rank. The in-memory path is used when the block is in
/// memory or has at most `store.cap()` records; otherwise sorted sub-runs of `cap`
/// records are written next to the runs and merged.
pub fn sort_block(
    store: &mut Store,
    block: i64,
    count: u64,
    ranks: &[u32],
    scan: &mut dyn FnMut(BlockScan) -> anyhow::Result<()>,
    emit: &mut dyn FnMut(Sorted) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let rank_of = |id: u32| -> anyhow::Result<u32> {
        ranks
            .get(id as usize)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("internal error: unknown series id {id}"))
    };
    if let Some(recs) = store.block_in_memory(block) {
        for (seq, r) in recs.iter_mut().enumerate() {
            r.key = u64::from(rank_of(r.key as u32)?) << 32 | seq as u64;
        }
        return emit_sorted(recs, scan, emit);
    }
    if count <= store.cap as u64 {
        let mut recs = Vec::with_capacity(count as usize);
        store.read_block(block, |id, t, v| {
            let seq = recs.len() as u64;
            recs.push(Rec {
                key: u64::from(rank_of(id)?) << 32 | seq,
                t,
                v,
            });
            Ok(())
        })?;
        return emit_sorted(&mut recs, scan, emit);
    }
    external_sort(store, block, ranks, scan, emit)
}

fn emit_sorted(
    recs: &mut [Rec],
    scan: &mut dyn FnMut(BlockScan) -> anyhow::Result<()>,
    emit: &mut dyn FnMut(Sorted) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    recs.sort_unstable_by_key(|r| r.key);
    let mut first_min = i64::MAX;
    let mut max = i64::MIN;
    let mut prev_rank = None;
    for r in recs.iter() {
        let rank = (r.key >> 32) as u32;
        if prev_rank != Some(rank) {
            first_min = first_min.min(r.t);
            prev_rank = Some(rank);
        }
        max = max.max(r.t);
    }
    scan(BlockScan { first_min, max })?;
    for r in recs.iter() {
        emit(Sorted {
            rank: (r.key >> 32) as u32,
            seq: r.key & 0xFFFF_FFFF,
            t: r.t,
            v: r.v,
        })?;
    }
    Ok(())
}

fn external_sort(
    store: &mut Store,
    block: i64,
    ranks: &[u32],
    scan: &mut dyn FnMut(BlockScan) -> anyhow::Result<()>,
    emit: &mut dyn FnMut(Sorted) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let cap = store.cap;
    let Store {
        runs,
        files,
        spilled_bytes,
        ..
    } = store;
    // seen[rank] marks series whose first sample in this block was already read.
    let mut seen = vec![false; ranks.len()];
    let mut first_min = i64::MAX;
    let mut max = i64::MIN;
    let mut chunk: Vec<Rec> = Vec::with_capacity(cap);
    let mut base: u64 = 0;
    let mut subs: Vec<PathBuf> = Vec::new();
    let mut flush = |chunk: &mut Vec<Rec>, base: &mut u64| -> anyhow::Result<()> {
        chunk.sort_unstable_by_key(|r| r.key);
        let (path, mut w) = files.create("sub")?;
        subs.push(path);
        for r in chunk.iter() {
            let mut rec = [0u8; SUB_REC];
            rec[..4].copy_from_slice(&((r.key >> 32) as u32).to_le_bytes());
            rec[4..12].copy_from_slice(&(*base + (r.key & 0xFFFF_FFFF)).to_le_bytes());
            rec[12..20].copy_from_slice(&r.t.to_le_bytes());
            rec[20..].copy_from_slice(&r.v.to_le_bytes());
            w.write_all(&rec)?;
        }
        w.flush()?;
        *spilled_bytes += (chunk.len() * SUB_REC) as u64;
        *base += chunk.len() as u64;
        chunk.clear();
        Ok(())
    };
    let read = read_runs(runs, block, |id, t, v| {
        let rank = *ranks
            .get(id as usize)
            .ok_or_else(|| anyhow::anyhow!("internal error: unknown series id {id}"))?;
        if let Some(s) = seen.get_mut(rank as usize) {
            if !*s {
                *s = true;
                first_min = first_min.min(t);
            }
        }
        max = max.max(t);
        let seq = chunk.len() as u64;
        chunk.push(Rec {
            key: u64::from(rank) << 32 | seq,
            t,
            v,
        });
        if chunk.len() >= cap {
            flush(&mut chunk, &mut base)?;
        }
        Ok(())
    })
    .and_then(|()| {
        if chunk.is_empty() {
            Ok(())
        } else {
            flush(&mut chunk, &mut base)
        }
    });
    drop(chunk);
    let result = read
        .and_then(|()| scan(BlockScan { first_min, max }))
        .and_then(|()| merge_subs(&subs, emit));
    for p in subs {
        let _ = fs::remove_file(p);
    }
    result
}

/// A sub-run being merged: its reader and current record.
struct Head {
    r: BufReader<File>,
    left: u64,
}

fn read_sub(h: &mut Head) -> anyhow::Result<Option<Sorted>> {
    if h.left == 0 {
        return Ok(None);
    }
    h.left -= 1;
    let mut rec = [0u8; SUB_REC];
    h.r.read_exact(&mut rec)?;
    let (rank, rest) = rec.split_at(4);
    let (seq, rest) = rest.split_at(8);
    let (t, v) = rest.split_at(8);
    Ok(Some(Sorted {
        rank: u32::from_le_bytes(rank.try_into()?),
        seq: u64::from_le_bytes(seq.try_into()?),
        t: i64::from_le_bytes(t.try_into()?),
        v: u64::from_le_bytes(v.try_into()?),
    }))
}

/// k-way merge of sorted sub-runs by (rank, seq); sub-runs hold disjoint seq ranges.
fn merge_subs(
    subs: &[PathBuf],
    emit: &mut dyn FnMut(Sorted) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut heads = Vec::with_capacity(subs.len());
    let mut heap = BinaryHeap::new();
    for (i, p) in subs.iter().enumerate() {
        let f = File::open(p)?;
        let left = f.metadata()?.len() / SUB_REC as u64;
        let mut h = Head {
            r: BufReader::with_capacity(IO_BUF, f),
            left,
        };
        if let Some(s) = read_sub(&mut h)? {
            heap.push(Reverse(((s.rank, s.seq), i, s)));
        }
        heads.push(h);
    }
    while let Some(Reverse((_, i, s))) = heap.pop() {
        emit(s)?;
        let h = heads
            .get_mut(i)
            .ok_or_else(|| anyhow::anyhow!("internal error: bad sub-run index"))?;
        if let Some(n) = read_sub(h)? {
            heap.push(Reverse(((n.rank, n.seq), i, n)));
        }
    }
    Ok(())
}

/// Calls `f(id, t, v)` for each record of `block` in the runs, in input order.
fn read_runs(
    runs: &[Run],
    block: i64,
    mut f: impl FnMut(u32, i64, u64) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for run in runs {
        let Some(s) = run.segs.iter().find(|s| s.block == block) else {
            continue;
        };
        let mut file = File::open(&run.path)?;
        file.seek(SeekFrom::Start(s.first * RUN_REC as u64))?;
        let mut r = BufReader::with_capacity(IO_BUF, file);
        let mut rec = [0u8; RUN_REC];
        for _ in 0..s.count {
            r.read_exact(&mut rec)?;
            let (id, rest) = rec.split_at(4);
            let (t, v) = rest.split_at(8);
            f(
                u32::from_le_bytes(id.try_into()?),
                i64::from_le_bytes(t.try_into()?),
                u64::from_le_bytes(v.try_into()?),
            )?;
        }
    }
    Ok(())
}
