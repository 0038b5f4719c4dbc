//! `tsblock-tools verify`: a full consistency check of blocks, much stricter than opening
//! them.
//!
//! Opening a block (what `tsblock` and Prometheus do) checks only the TOC, the symbol table
//! and the postings offset table; everything else is checked when a query happens to read
//! it. `verify` reads every byte that has a meaning:
//!
//! * **index**: magic, version, TOC (CRC, bounds, section order); the symbol table (CRC,
//!   sorted and unique); every series entry (CRC, 16-byte alignment, zero padding, label
//!   names sorted and non-empty, no empty values, entries in label order, chunk metas that
//!   neither overlap nor go backwards); the postings offset table (CRC, sorted, `("","")`
//!   first) and every postings list (CRC, length, strictly increasing refs), and that the
//!   postings and the series agree exactly: each series is in the list of every one of its
//!   label pairs and in the all-postings list, and in no other list;
//! * **chunks**: every segment header and every chunk record (CRC, framing, no trailing
//!   bytes); every chunk ref points at a record; each XOR chunk decodes and its first and
//!   last timestamps equal the meta's min and max time, which lie in the block's range;
//! * **tombstones**: magic, version, CRC, intervals, and refs of existing series;
//! * **meta.json**: version 1, ULID equal to the directory name, minTime < maxTime, and the
//!   stats equal to what the block holds.
//!
//! Every problem is reported with the block, file and byte offset; damaged input never
//! panics. Chunks of encodings this crate cannot decode (native histograms, XOR2) are
//! framed and CRC-checked, counted from their header, and their timestamps are not checked.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod chunks;
mod index;
mod meta;
mod tombstones;

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tsblock::db::is_ulid;
use tsblock::error::{Error, Result};

/// Problems reported per block before the rest are only counted.
pub const MAX_PROBLEMS_PER_BLOCK: usize = 1000;

/// What kind of rule a [`Problem`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A file is missing or cannot be read.
    Io,
    /// A stored CRC32C does not match its bytes.
    Checksum,
    /// Data ends before a structure it announces.
    Truncated,
    /// An offset, length or reference points outside where it must.
    Bounds,
    /// Bytes that do not parse as the structure that must be there (bad magic, bad
    /// version, trailing or non-zero padding bytes, impossible counts).
    Structure,
    /// Something that must be sorted, unique or increasing is not.
    Order,
    /// Postings and series entries disagree.
    Postings,
    /// A chunk meta's time range disagrees with the chunk, overlaps its neighbour, or
    /// lies outside the block.
    ChunkTime,
    /// A chunk's samples cannot be decoded.
    Chunk,
    /// A tombstone is invalid or refers to a series that does not exist.
    Tombstone,
    /// meta.json is invalid or disagrees with the block directory.
    Meta,
    /// meta.json's stats disagree with the block's content.
    Stats,
    /// A well-formed format version or encoding that cannot be checked.
    Unsupported,
}

/// One broken rule, found at a byte offset of one file of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The block directory.
    pub block: PathBuf,
    /// File inside the block: `index`, `chunks/000001`, `tombstones`, `meta.json`, or
    /// empty for the directory itself.
    pub file: String,
    /// Byte offset in `file` of the damaged object (a section, entry, list or record).
    pub offset: Option<u64>,
    /// The rule broken.
    pub kind: ProblemKind,
    /// What is wrong, with the found and expected values.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = self.block.clone();
        if !self.file.is_empty() {
            path.push(&self.file);
        }
        write!(f, "{}", path.display())?;
        if let Some(o) = self.offset {
            write!(f, ": offset {o}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Counts of what a block holds, as verify found it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Series entries in the index.
    pub series: u64,
    /// Chunk metas of all series.
    pub chunks: u64,
    /// Samples in those chunks (tombstones not applied).
    pub samples: u64,
    /// Tombstone intervals (after merging).
    pub tombstones: u64,
    /// Chunks whose encoding verify cannot decode (only framed and counted).
    pub undecoded_chunks: u64,
}

/// The result of verifying one block.
#[derive(Debug, Clone)]
pub struct BlockReport {
    /// The block directory.
    pub dir: PathBuf,
    /// Problems, sorted by file and offset (at most [`MAX_PROBLEMS_PER_BLOCK`]).
    pub problems: Vec<Problem>,
    /// Problems found beyond the reported ones.
    pub more_problems: usize,
    /// What the block holds.
    pub counts: Counts,
}

/// Collects problems of one block.
pub(crate) struct Sink {
    block: PathBuf,
    problems: Vec<Problem>,
    dropped: usize,
}

impl Sink {
    fn new(block: &Path) -> Sink {
        Sink {
            block: block.to_owned(),
            problems: Vec::new(),
            dropped: 0,
        }
    }

    /// Report a problem.
    pub(crate) fn add(
        &mut self,
        file: &str,
        offset: Option<u64>,
        kind: ProblemKind,
        message: impl Into<String>,
    ) {
        if self.problems.len() >= MAX_PROBLEMS_PER_BLOCK {
            self.dropped += 1;
            return;
        }
        self.problems.push(Problem {
            block: self.block.clone(),
            file: file.to_owned(),
            offset,
            kind,
            message: message.into(),
        });
    }

    /// Report a problem at a byte offset.
    pub(crate) fn at(
        &mut self,
        file: &str,
        offset: u64,
        kind: ProblemKind,
        msg: impl Into<String>,
    ) {
        self.add(file, Some(offset), kind, msg);
    }
}

/// Verify one block directory. `Err` only when `dir` is not a readable directory; every
/// problem inside the block is a [`Problem`].
pub fn verify_block(dir: &Path) -> Result<Vec<Problem>> {
    Ok(verify_block_report(dir)?.problems)
}

/// Verify one block directory and also return what it holds.
pub fn verify_block_report(dir: &Path) -> Result<BlockReport> {
    let md = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !md.is_dir() {
        return Err(Error::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        ));
    }
    let mut sink = Sink::new(dir);
    let meta = meta::verify_meta(dir, &mut sink);
    let facts = index::verify_index(&dir.join("index"), &mut sink);
    let mut counts = Counts::default();
    let mut series_complete = false;
    let mut chunk_stats = None;
    if let Some(facts) = &facts {
        counts.series = facts.series.len() as u64;
        counts.chunks = facts.series.iter().map(|s| s.chunks.len() as u64).sum();
        series_complete = facts.complete;
        let range = meta.as_ref().and_then(|m| m.range);
        let cs = chunks::verify_chunks(dir, facts, range, &mut sink);
        counts.samples = cs.samples;
        counts.undecoded_chunks = cs.undecoded;
        chunk_stats = Some(cs);
    }
    let tomb = tombstones::verify_tombstones(dir, facts.as_ref(), &mut sink);
    if let Some(t) = &tomb {
        counts.tombstones = t.intervals;
    }
    if let Some(m) = &meta {
        meta::check_stats(
            m,
            &meta::Found {
                series: series_complete.then_some(counts.series),
                chunks: series_complete.then_some(counts.chunks),
                samples: chunk_stats
                    .as_ref()
                    .filter(|c| c.complete && series_complete)
                    .map(|c| c.samples),
                tombstones: tomb.as_ref().map(|t| t.intervals),
            },
            &mut sink,
        );
    }
    let Sink {
        mut problems,
        dropped,
        ..
    } = sink;
    problems.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
    Ok(BlockReport {
        dir: dir.to_owned(),
        problems,
        more_problems: dropped,
        counts,
    })
}

/// Whether `dir` looks like a block directory rather than a data directory.
fn is_block_dir(dir: &Path) -> bool {
    ["meta.json", "index", "chunks"]
        .iter()
        .any(|f| dir.join(f).exists())
}

/// The block directories of a data directory (ULID names), sorted, and the names of the
/// other directories that look like leftover blocks (`<ULID>.tmp-for-*`).
pub fn block_dirs(data_dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut leftovers = Vec::new();
    for entry in std::fs::read_dir(data_dir).map_err(|e| Error::io(data_dir, e))? {
        let entry = entry.map_err(|e| Error::io(data_dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let is_dir = entry
            .file_type()
            .map_err(|e| Error::io(entry.path(), e))?
            .is_dir();
        if !is_dir {
            continue;
        }
        if is_ulid(&name) {
            blocks.push(entry.path());
        } else if name.get(..26).is_some_and(is_ulid) && name.get(26..27) == Some(".") {
            leftovers.push(name);
        }
    }
    blocks.sort();
    leftovers.sort();
    Ok((blocks, leftovers))
}

/// Verify `path`: a block directory, or a data directory whose ULID-named subdirectories
/// are verified (in parallel; reports come back in directory-name order).
pub fn verify_path(path: &Path) -> Result<Vec<BlockReport>> {
    verify_path_with(path, &|_| {})
}

fn verify_path_with(path: &Path, done: &(dyn Fn(&Path) + Sync)) -> Result<Vec<BlockReport>> {
    let md = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if md.is_dir() && !is_block_dir(path) {
        let (blocks, _) = block_dirs(path)?;
        blocks
            .par_iter()
            .map(|b| {
                let r = verify_block_report(b);
                done(b);
                r
            })
            .collect()
    } else {
        let r = verify_block_report(path)?;
        done(path);
        Ok(vec![r])
    }
}

/// Check every CRC, bound and invariant of blocks; exit 1 when anything is wrong.
#[derive(clap::Args, Debug)]
#[command(after_help = "Problems are printed on stdout, one per line: \
<block>/<file>: offset <byte offset>: <what is wrong>.
Exit status: 0 when every block is clean, 1 otherwise.

Examples:
  tsblock-tools verify data/
  tsblock-tools verify data/01HQ3W3ZJ5K1W1Y0D4X5V2T7M8")]
pub struct Args {
    /// A Prometheus data directory (every ULID block in it) or one block directory.
    path: PathBuf,
    /// Print only the problems: no progress or summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Run the command.
pub fn run(args: Args) -> anyhow::Result<()> {
    let path = &args.path;
    let data_dir_mode =
        std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false) && !is_block_dir(path);
    if data_dir_mode && !args.quiet {
        let (blocks, leftovers) = block_dirs(path)?;
        for l in leftovers {
            eprintln!(
                "tsblock-tools: note: {} is an unfinished or retired block, not verified",
                path.join(l).display()
            );
        }
        if blocks.is_empty() {
            eprintln!("tsblock-tools: no blocks in {}", path.display());
        }
    }
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let n = if data_dir_mode {
            block_dirs(path).map(|b| b.0.len()).unwrap_or(0)
        } else {
            1
        };
        let pb = indicatif::ProgressBar::new(n as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("verify {bar:40} {pos}/{len} blocks")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let reports = verify_path_with(path, &|_| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut out = std::io::stdout().lock();
    let mut problems = 0usize;
    let mut bad_blocks = 0usize;
    let mut total = Counts::default();
    for r in &reports {
        for p in &r.problems {
            writeln!(out, "{p}")?;
        }
        if r.more_problems > 0 {
            writeln!(
                out,
                "{}: {} more problems not shown",
                r.dir.display(),
                r.more_problems
            )?;
        }
        let n = r.problems.len() + r.more_problems;
        problems += n;
        bad_blocks += usize::from(n > 0);
        total.series += r.counts.series;
        total.chunks += r.counts.chunks;
        total.samples += r.counts.samples;
        total.undecoded_chunks += r.counts.undecoded_chunks;
    }
    out.flush()?;
    if !args.quiet {
        eprintln!(
            "tsblock-tools: verified {} block(s): {} series, {} chunks, {} samples",
            reports.len(),
            total.series,
            total.chunks,
            total.samples
        );
        if total.undecoded_chunks > 0 {
            eprintln!(
                "tsblock-tools: note: {} chunk(s) use encodings verify cannot decode; \
                 only their framing and CRC were checked",
                total.undecoded_chunks
            );
        }
    }
    if problems == 0 {
        if !args.quiet {
            eprintln!("tsblock-tools: no problems found");
        }
        return Ok(());
    }
    if args.quiet {
        std::process::exit(1);
    }
    anyhow::bail!(
        "{problems} problem(s) in {bad_blocks} of {} block(s)",
        reports.len()
    )
}
