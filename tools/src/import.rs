//! `tsblock-tools import openmetrics`: build blocks from OpenMetrics text, with the
//! semantics of `promtool tsdb create-blocks-from openmetrics` 2.42.
//!
//! # What promtool 2.42 does, and what this command reproduces
//!
//! * **Input syntax**: see [`openmetrics`] for the exact grammar promtool accepts
//!   (`# EOF` required, no free comments or blank lines, Go float syntax, timestamps in
//!   float seconds truncated to milliseconds, only `\\ \" \n` unescaped in label values).
//! * **Series**: the metric name as written plus the labels; labels with empty values
//!   are dropped, *then* a repeated label name is an error (so `a="",a="x"` is fine and
//!   `foo{__name__="bar"}` is not). No name suffix rules are applied for any `TYPE`.
//! * **Block ranges**: the block duration is 2h, or with `--max-block-duration D > 2h` the
//!   largest of 2h·3^k (k = 0..9: 2h, 6h, 18h, 54h, …, 39366h) that is ≤ D. Blocks cover
//!   `[n·dur, (n+1)·dur)`, starting from `dur · trunc(min_ts / dur)` (Go division rounds
//!   toward zero): when the smallest timestamp is negative and not aligned, the samples
//!   before that start are **dropped**. Empty ranges give no block. A block's meta.json
//!   range is `[first sample, last sample + 1)`.
//! * **Per series, in input order within each block**, a sample is kept only if its
//!   timestamp is newer than the newest kept one. Older samples, exact duplicates and
//!   same-timestamp samples with another value are dropped silently by promtool; this
//!   command drops them too and prints how many of each kind on stderr.
//! * promtool appends each block's samples in batches of 5000 (counted over that block's
//!   samples in input order) and **fails** when a sample is older than, or conflicts with,
//!   its series' newest sample from an *earlier* batch ("out of order sample", "duplicate
//!   sample for timestamp"). This command fails on exactly those inputs as well.
//! * Extensions: INPUT may be `-` (stdin); `--label k=v` sets a label on every series
//!   (replacing one of that name; an empty value removes it), as newer promtool does; a
//!   timestamp whose milliseconds overflow `i64` is an error (promtool wraps it).
//!
//! # Failure leaves nothing behind
//!
//! Everything is written below `OUTPUT_DIR/<ULID>.tmp-for-creation/` (a name Prometheus
//! ignores and deletes at startup): spill files, then each finished block. Only after the
//! last block is written are the blocks renamed into `OUTPUT_DIR` and the directory
//! synced. On any error the staging directory is removed, and so is `OUTPUT_DIR` if this
//! run created it and it is empty.
//!
//! # Memory stays bounded
//!
//! The input is read once, as a stream, in windows of whole lines ([`input`]). Each
//! sample becomes a 24-byte record `(series id, timestamp, value)`; series are interned
//! in a hash map (label sets must fit in memory, as they do in Prometheus' head). Records
//! collect in a buffer of `--buffer-samples` (default 8 Mi records, 192 MiB); a full buffer
//! is sorted by (block, arrival) and spilled to a run file. Each block is then read back
//! from the runs in input order and sorted by (series, arrival): in memory when it has at
//! most `--buffer-samples` records, else as sorted sub-runs merged k-way ([`store`]). One
//! series' samples of one block are held in memory while they are written. Without a
//! spill, the records are sorted in place and nothing touches the disk but the blocks.

pub mod input;
pub mod openmetrics;
pub mod store;

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use tsblock::Labels;
use ulid::Ulid;

use crate::write::{BlockWriter, WrittenBlock};

use input::{ReadError, Windows};
use openmetrics::{Entry, LabelPos, Parser, Sample};
use store::{sort_block, Sorted, Store};

/// promtool's default (and minimum) block duration, 2h in milliseconds.
pub const DEFAULT_BLOCK_MS: i64 = 2 * 3600 * 1000;

/// Samples per appender commit in promtool's backfill (`maxSamplesInAppender`).
pub const PROMTOOL_BATCH: u64 = 5000;

/// Default number of sample records kept in memory before spilling.
pub const DEFAULT_BUFFER_SAMPLES: usize = 8 << 20;

/// Import OpenMetrics text into TSDB blocks (as `promtool tsdb create-blocks-from
/// openmetrics` 2.42 does).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// OpenMetrics input file, or `-` for standard input.
    #[arg(value_name = "INPUT")]
    pub input: String,
    /// Directory the blocks are written to (created if missing).
    #[arg(value_name = "OUTPUT_DIR", default_value = "data/")]
    pub output_dir: PathBuf,
    /// Maximum duration of a block, like `2h`, `1h30m`, `18h`, `7d` (Go duration syntax,
    /// plus `d` and `w`). The block duration used is the largest 2h·3^k that fits; 2h
    /// when smaller.
    #[arg(long, value_name = "D", value_parser = parse_duration_ms)]
    pub max_block_duration: Option<i64>,
    /// Set label `k` to `v` on every series (an empty `v` removes the label). Repeatable.
    #[arg(long = "label", value_name = "k=v", value_parser = parse_label_arg)]
    pub labels: Vec<(String, String)>,
    /// No progress bar and no summary (warnings about dropped samples still print).
    #[arg(long, short)]
    pub quiet: bool,
    /// Sample records buffered in memory before spilling to disk (24 bytes each).
    #[arg(long, hide = true, default_value_t = DEFAULT_BUFFER_SAMPLES)]
    pub buffer_samples: usize,
}

/// Parses a Go duration (`1h30m`, `90m`, `1.5h`, `7200s`; plus `d` = 24h and `w` = 7d)
/// into milliseconds, truncating like promtool's `int64(d / time.Millisecond)`.
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration {s:?}");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total_ns: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, r) = rest.split_at(int_len);
        let (frac, r) = match r.strip_prefix('.') {
            Some(r) => {
                let n = r.bytes().take_while(u8::is_ascii_digit).count();
                r.split_at(n)
            }
            None => ("", r),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let unit_len = r
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(r.len(), |(i, _)| i);
        let (unit, r) = r.split_at(unit_len);
        let unit_ns: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 604_800_000_000_000,
            _ => return Err(format!("{}: unknown unit {unit:?}", bad())),
        };
        let int: i128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut v = int.checked_mul(unit_ns).ok_or_else(bad)?;
        if !frac.is_empty() {
            let digits = frac.len().min(30) as u32;
            let f: i128 = frac
                .get(..digits as usize)
                .unwrap_or("0")
                .parse()
                .map_err(|_| bad())?;
            v += f * unit_ns / 10i128.pow(digits);
        }
        total_ns = total_ns.checked_add(v).ok_or_else(bad)?;
        if total_ns > i128::from(i64::MAX) {
            return Err(format!("{}: overflow", bad()));
        }
        rest = r;
    }
    let ms = (total_ns / 1_000_000) as i64;
    Ok(if neg { -ms } else { ms })
}

/// The block duration promtool picks for `--max-block-duration` (milliseconds).
pub fn block_duration(max_ms: Option<i64>) -> i64 {
    let max = max_ms.unwrap_or(0);
    let mut best = DEFAULT_BLOCK_MS;
    let mut r = DEFAULT_BLOCK_MS;
    for _ in 0..10 {
        if r > max {
            break;
        }
        best = r;
        r *= 3;
    }
    best
}

fn is_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses `--label k=v`.
pub fn parse_label_arg(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected k=v, got {s:?}"))?;
    if !is_label_name(k) {
        return Err(format!("invalid label name {k:?}"));
    }
    if k == "__name__" && v.is_empty() {
        return Err("the metric name (__name__) cannot be removed".into());
    }
    Ok((k.to_string(), v.to_string()))
}

/// A malformed input, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for InputError {}

/// Samples dropped the way promtool drops them silently.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drops {
    /// Older than the series' newest sample in the block.
    pub out_of_order: u64,
    /// Same series, timestamp and value as the newest sample.
    pub duplicate: u64,
    /// Same timestamp as the newest sample, different value.
    pub conflicting: u64,
    /// Before the first block's start (negative, unaligned smallest timestamp).
    pub before_start: u64,
}

impl Drops {
    /// All dropped samples.
    pub fn total(&self) -> u64 {
        self.out_of_order + self.duplicate + self.conflicting + self.before_start
    }

    /// One line per non-zero kind.
    pub fn lines(&self) -> Vec<String> {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let mut out = Vec::new();
        if self.out_of_order > 0 {
            let n = self.out_of_order;
            out.push(format!(
                "dropped {n} out-of-order sample{} (older than the newest sample of their series in the block)",
                plural(n)
            ));
        }
        if self.duplicate > 0 {
            let n = self.duplicate;
            out.push(format!(
                "dropped {n} duplicate sample{} (same series, timestamp and value)",
                plural(n)
            ));
        }
        if self.conflicting > 0 {
            let n = self.conflicting;
            out.push(format!(
                "dropped {n} sample{} with a timestamp already used in their series but a different value",
                plural(n)
            ));
        }
        if self.before_start > 0 {
            let n = self.before_start;
            out.push(format!(
                "dropped {n} sample{} before the first block's start (a negative smallest timestamp is rounded toward zero to the block duration)",
                plural(n)
            ));
        }
        out
    }
}

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Blocks written.
    pub blocks: u64,
    /// Distinct series written.
    pub series: u64,
    /// Sum over blocks of the series in each block (what `promtool tsdb list` adds up).
    pub block_series: u64,
    /// Samples written.
    pub samples: u64,
    /// Sample lines read.
    pub samples_read: u64,
    /// Dropped samples by kind.
    pub drops: Drops,
    /// Input bytes.
    pub input_bytes: u64,
    /// Bytes written to spill files.
    pub spilled_bytes: u64,
}

/// Receives the blocks: `begin`, then each series in label order, then `end`.
pub trait BlockSink {
    /// Starts a block covering `[min_time, max_time)`.
    fn begin(&mut self, min_time: i64, max_time: i64) -> anyhow::Result<()>;
    /// Adds a series; samples are strictly increasing in time.
    fn series(&mut self, labels: &Labels, samples: &[(i64, f64)]) -> anyhow::Result<()>;
    /// Finishes the block.
    fn end(&mut self) -> anyhow::Result<()>;
}

/// Import settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Block duration in milliseconds (see [`block_duration`]).
    pub block_ms: i64,
    /// Labels set on every series.
    pub extra_labels: Vec<(String, String)>,
    /// Records buffered before spilling.
    pub buffer_samples: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            block_ms: DEFAULT_BLOCK_MS,
            extra_labels: Vec::new(),
            buffer_samples: DEFAULT_BUFFER_SAMPLES,
        }
    }
}

/// FxHash: fast hashing of the series text of each sample line.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }

    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// What a series text maps to.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Series(u32),
    /// A repeated label name; byte range of its second occurrence in the series text.
    Duplicate(u32, u32),
}

/// Series interning: series text → slot, label set → id.
struct SeriesTable {
    by_text: FxMap<Box<[u8]>, Slot>,
    by_labels: HashMap<Labels, u32>,
    extra: Vec<(String, String)>,
    scratch: Vec<u8>,
}

impl SeriesTable {
    fn new(extra: Vec<(String, String)>) -> SeriesTable {
        SeriesTable {
            by_text: FxMap::default(),
            by_labels: HashMap::new(),
            extra,
            scratch: Vec::new(),
        }
    }

    fn slot(&mut self, w: &[u8], s: &Sample, labels: &[LabelPos]) -> anyhow::Result<Slot> {
        let text = w.get(s.start..s.series_end).unwrap_or(&[]);
        if let Some(slot) = self.by_text.get(text) {
            return Ok(*slot);
        }
        let slot = self.intern(w, s, labels)?;
        self.by_text.insert(text.into(), slot);
        Ok(slot)
    }

    fn intern(&mut self, w: &[u8], s: &Sample, labels: &[LabelPos]) -> anyhow::Result<Slot> {
        let bytes = |a: usize, b: usize| w.get(a..b).unwrap_or(&[]);
        // (name, value, position of the name in the series text)
        let mut pairs: Vec<(&[u8], Vec<u8>, usize)> = Vec::with_capacity(labels.len() + 1);
        pairs.push((b"__name__", bytes(s.start, s.name_end).to_vec(), 0));
        for l in labels {
            let raw = bytes(l.value_start, l.value_end);
            openmetrics::unescape_into(raw, &mut self.scratch);
            if self.scratch.is_empty() {
                continue;
            }
            pairs.push((
                bytes(l.name_start, l.name_end),
                self.scratch.clone(),
                l.name_start - s.start,
            ));
        }
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        for d in pairs.windows(2) {
            if let [a, b] = d {
                if a.0 == b.0 {
                    let at = a.2.max(b.2);
                    return Ok(Slot::Duplicate(at as u32, (at + a.0.len()) as u32));
                }
            }
        }
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> =
            pairs.into_iter().map(|(n, v, _)| (n.to_vec(), v)).collect();
        for (k, v) in &self.extra {
            pairs.retain(|(n, _)| n != k.as_bytes());
            if !v.is_empty() {
                pairs.push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
            }
        }
        let labels = Labels::from_pairs(pairs);
        if let Some(&id) = self.by_labels.get(&labels) {
            return Ok(Slot::Series(id));
        }
        let id = u32::try_from(self.by_labels.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .ok_or_else(|| anyhow!("more than 2^32 - 1 series"))?;
        self.by_labels.insert(labels, id);
        Ok(Slot::Series(id))
    }
}

/// A sample with repeated label names: fatal unless it is dropped before the first block.
#[derive(Debug, Clone)]
struct DupLabel {
    ts: i64,
    error: InputError,
}

/// State of the parse pass.
struct Pass1 {
    table: SeriesTable,
    store: Store,
    block_ms: i64,
    min: i64,
    max: i64,
    samples: u64,
    dup_samples: u64,
    /// First (by line) duplicate-label sample with a timestamp ≥ 0: always fatal.
    dup_nonneg: Option<DupLabel>,
    /// The duplicate-label sample with the largest negative timestamp.
    dup_neg: Option<DupLabel>,
}

enum WindowEnd {
    More,
    /// `# EOF` seen; nothing may follow this window.
    Eof(usize),
}

impl Pass1 {
    fn window(
        &mut self,
        w: &[u8],
        locate: &dyn Fn(usize) -> (u64, u64),
    ) -> anyhow::Result<WindowEnd> {
        let at = |pos: usize, message: String| {
            let (line, column) = locate(pos);
            InputError {
                line,
                column,
                message,
            }
        };
        let mut p = Parser::new(w);
        while !p.at_end() {
            let s = match p.next_entry() {
                Ok(Entry::Sample(s)) => s,
                Ok(Entry::Meta) => continue,
                Ok(Entry::Eof) => return Ok(WindowEnd::Eof(p.pos())),
                Err(e) => return Err(at(e.pos, e.message).into()),
            };
            let t = s.timestamp;
            let block = t.div_euclid(self.block_ms);
            if block
                .checked_add(1)
                .and_then(|b| b.checked_mul(self.block_ms))
                .is_none()
            {
                return Err(at(s.timestamp_pos, "timestamp out of range".into()).into());
            }
            self.min = self.min.min(t);
            self.max = self.max.max(t);
            self.samples += 1;
            match self.table.slot(w, &s, p.labels())? {
                Slot::Series(id) => self.store.push(id, t, s.value)?,
                Slot::Duplicate(a, b) => {
                    self.dup_samples += 1;
                    let name = w
                        .get(s.start + a as usize..s.start + b as usize)
                        .unwrap_or(&[]);
                    let dup = || DupLabel {
                        ts: t,
                        error: at(
                            s.start + a as usize,
                            format!("duplicate label name \"{}\"", String::from_utf8_lossy(name)),
                        ),
                    };
                    if t >= 0 {
                        if self.dup_nonneg.is_none() {
                            self.dup_nonneg = Some(dup());
                        }
                    } else if self.dup_neg.as_ref().map_or(true, |d| t > d.ts) {
                        self.dup_neg = Some(dup());
                    }
                }
            }
        }
        Ok(WindowEnd::More)
    }
}

/// promtool's per-series commit rules within one block (see the module docs).
#[derive(Default)]
struct Sim {
    /// Newest kept sample at the start of the current batch.
    committed: Option<(i64, u64)>,
    /// Newest kept sample.
    last: Option<(i64, u64)>,
    batch: u64,
    samples: Vec<(i64, f64)>,
}

enum Reject {
    OutOfOrder { t: i64, newest: i64 },
    Conflict { t: i64 },
}

impl Sim {
    fn reset(&mut self) {
        self.committed = None;
        self.last = None;
        self.batch = 0;
        self.samples.clear();
    }

    fn push(&mut self, s: &Sorted, drops: &mut Drops) -> Result<(), Reject> {
        let batch = s.seq / PROMTOOL_BATCH;
        if batch != self.batch {
            self.batch = batch;
            self.committed = self.last;
        }
        if let Some((ct, cv)) = self.committed {
            if s.t < ct {
                return Err(Reject::OutOfOrder { t: s.t, newest: ct });
            }
            if s.t == ct && s.v != cv {
                return Err(Reject::Conflict { t: s.t });
            }
        }
        match self.last {
            Some((lt, _)) if s.t < lt => drops.out_of_order += 1,
            Some((lt, lv)) if s.t == lt => {
                if s.v == lv {
                    drops.duplicate += 1;
                } else {
                    drops.conflicting += 1;
                }
            }
            _ => {
                self.last = Some((s.t, s.v));
                self.samples.push((s.t, f64::from_bits(s.v)));
            }
        }
        Ok(())
    }
}

fn reject_error(labels: &Labels, r: Reject) -> anyhow::Error {
    let why = "promtool 2.42 fails on this input too: it drops such samples only while they \
               are in the same batch of 5000 samples of a block as the sample they collide with";
    match r {
        Reject::OutOfOrder { t, newest } => anyhow!(
            "series {labels}: out-of-order sample at {t} ms after a sample at {newest} ms; {why}"
        ),
        Reject::Conflict { t } => {
            anyhow!("series {labels}: a second sample at {t} ms with a different value; {why}")
        }
    }
}

/// Reads OpenMetrics text from `input` and hands the blocks to `sink`.
///
/// `spill_dir` is used only when more than `opts.buffer_samples` samples are read; the
/// caller removes it. `progress` gets the number of input bytes read so far.
pub fn import<R: Read>(
    input: R,
    opts: &Options,
    spill_dir: &Path,
    sink: &mut dyn BlockSink,
    progress: &dyn Fn(Phase),
) -> anyhow::Result<Report> {
    let bms = opts.block_ms;
    if bms <= 0 {
        bail!("block duration must be positive");
    }
    let mut p1 = Pass1 {
        table: SeriesTable::new(opts.extra_labels.clone()),
        store: Store::new(spill_dir.to_path_buf(), opts.buffer_samples, bms),
        block_ms: bms,
        min: i64::MAX,
        max: i64::MIN,
        samples: 0,
        dup_samples: 0,
        dup_nonneg: None,
        dup_neg: None,
    };
    let mut windows = Windows::new(input, 1 << 20);
    let read_err = |e: ReadError| match e {
        ReadError::Io(e) => anyhow::Error::from(e).context("read input"),
        ReadError::LineTooLong(line) => anyhow::Error::from(InputError {
            line,
            column: 1,
            message: format!("line longer than {} MiB", input::MAX_LINE >> 20),
        }),
    };
    loop {
        if !windows.fill().map_err(read_err)? {
            let (line, column) = windows.locate(0);
            return Err(InputError {
                line,
                column,
                message: "the input does not end with \"# EOF\"".into(),
            }
            .into());
        }
        let end = {
            let w = windows.window();
            p1.window(w, &|pos| windows.locate(pos))?
        };
        progress(Phase::Read(
            windows.offset() + windows.window().len() as u64,
        ));
        if let WindowEnd::Eof(pos) = end {
            if windows.window_is_last().map_err(read_err)? {
                break;
            }
            let (line, column) = windows.locate(pos);
            return Err(InputError {
                line,
                column,
                message: "unexpected data after \"# EOF\"".into(),
            }
            .into());
        }
    }
    let input_bytes = windows.offset() + windows.window().len() as u64;
    drop(windows);

    // promtool's blocks start at dur * trunc(min / dur); with no samples it uses 0.
    let (min, max) = if p1.samples == 0 {
        (0, 0)
    } else {
        (p1.min, p1.max)
    };
    let first_block = min / bms;
    let start = first_block * bms;
    if let Some(d) = p1.dup_nonneg.take() {
        return Err(d.error.into());
    }
    if let Some(d) = p1.dup_neg.take() {
        if d.ts >= start {
            return Err(d.error.into());
        }
    }
    let _ = max;

    let Pass1 {
        table,
        mut store,
        samples: samples_read,
        dup_samples,
        ..
    } = p1;
    let mut entries: Vec<(Labels, u32)> = table.by_labels.into_iter().collect();
    drop(table.by_text);
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut ranks = vec![0u32; entries.len()];
    let mut labels = Vec::with_capacity(entries.len());
    for (rank, (l, id)) in entries.into_iter().enumerate() {
        if let Some(r) = ranks.get_mut(id as usize) {
            *r = rank as u32;
        }
        labels.push(l);
    }

    let blocks = store.finish()?;
    let mut report = Report {
        samples_read,
        input_bytes,
        ..Report::default()
    };
    report.drops.before_start = dup_samples;
    let mut written = vec![false; labels.len()];
    let total_blocks = blocks.iter().filter(|(b, _)| *b >= first_block).count() as u64;
    let mut done_blocks = 0;
    let result = (|| -> anyhow::Result<()> {
        for &(block, count) in &blocks {
            if block < first_block {
                report.drops.before_start += count;
                continue;
            }
            progress(Phase::Write(done_blocks, total_blocks));
            let mut sim = Sim::default();
            let mut cur: Option<u32> = None;
            let mut block_series = 0u64;
            let mut flush = |rank: u32,
                             sim: &mut Sim,
                             sink: &mut dyn BlockSink,
                             report: &mut Report|
             -> anyhow::Result<()> {
                let l = labels
                    .get(rank as usize)
                    .ok_or_else(|| anyhow!("internal error: bad series rank"))?;
                sink.series(l, &sim.samples)?;
                report.samples += sim.samples.len() as u64;
                if let Some(w) = written.get_mut(rank as usize) {
                    if !*w {
                        *w = true;
                        report.series += 1;
                    }
                }
                block_series += 1;
                Ok(())
            };
            let bounds = std::cell::Cell::new(None);
            sort_block(
                &mut store,
                block,
                count,
                &ranks,
                &mut |scan| {
                    bounds.set(Some((scan.first_min, scan.max + 1)));
                    Ok(())
                },
                &mut |s| {
                    if let Some((lo, hi)) = bounds.take() {
                        sink.begin(lo, hi)?;
                    }
                    if cur != Some(s.rank) {
                        if let Some(r) = cur {
                            flush(r, &mut sim, sink, &mut report)?;
                        }
                        cur = Some(s.rank);
                        sim.reset();
                    }
                    sim.push(&s, &mut report.drops)
                        .map_err(|r| match labels.get(s.rank as usize) {
                            Some(l) => reject_error(l, r),
                            None => anyhow!("internal error: bad series rank"),
                        })
                },
            )?;
            if let Some(r) = cur {
                flush(r, &mut sim, sink, &mut report)?;
            }
            sink.end()?;
            report.block_series += block_series;
            report.blocks += 1;
            done_blocks += 1;
        }
        Ok(())
    })();
    report.spilled_bytes = store.spilled_bytes();
    store.cleanup();
    result?;
    progress(Phase::Write(done_blocks, total_blocks));
    Ok(report)
}

/// Progress of [`import`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Input bytes read.
    Read(u64),
    /// Blocks written so far, of the total.
    Write(u64, u64),
}

/// Writes blocks with [`BlockWriter`] into a staging directory.
struct WriterSink {
    dir: PathBuf,
    chunk_range: i64,
    cur: Option<BlockWriter>,
    done: Vec<WrittenBlock>,
}

impl BlockSink for WriterSink {
    fn begin(&mut self, min_time: i64, max_time: i64) -> anyhow::Result<()> {
        let mut w = BlockWriter::create(&self.dir, min_time, max_time)?;
        w.set_chunk_range(self.chunk_range)?;
        self.cur = Some(w);
        Ok(())
    }

    fn series(&mut self, labels: &Labels, samples: &[(i64, f64)]) -> anyhow::Result<()> {
        let w = self
            .cur
            .as_mut()
            .ok_or_else(|| anyhow!("internal error: series outside a block"))?;
        w.add_series(labels, samples)?;
        Ok(())
    }

    fn end(&mut self) -> anyhow::Result<()> {
        let w = self
            .cur
            .take()
            .ok_or_else(|| anyhow!("internal error: no block to finish"))?;
        self.done.push(w.finish()?);
        Ok(())
    }
}

/// `OUTPUT_DIR/<ULID>.tmp-for-creation`: removed on drop unless committed, together with
/// `OUTPUT_DIR` itself if this run created it and it is empty.
struct Staging {
    dir: PathBuf,
    out: PathBuf,
    created_out: bool,
    armed: bool,
}

impl Staging {
    fn new(out: &Path) -> anyhow::Result<Staging> {
        let created_out = !out.exists();
        fs::create_dir_all(out).with_context(|| format!("create output dir {}", out.display()))?;
        let dir = out.join(format!("{}.tmp-for-creation", Ulid::new()));
        let staging = Staging {
            dir,
            out: out.to_path_buf(),
            created_out,
            armed: true,
        };
        fs::create_dir(&staging.dir)
            .with_context(|| format!("create {}", staging.dir.display()))?;
        Ok(staging)
    }

    /// Moves the finished blocks into `OUTPUT_DIR`, syncs it, removes the staging dir.
    fn commit(mut self, blocks: &[WrittenBlock]) -> anyhow::Result<()> {
        let mut moved: Vec<PathBuf> = Vec::new();
        let result = (|| -> anyhow::Result<()> {
            for b in blocks {
                let to = self.out.join(b.ulid.to_string());
                fs::rename(&b.path, &to)
                    .with_context(|| format!("rename {} to {}", b.path.display(), to.display()))?;
                moved.push(to);
            }
            File::open(&self.out)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("sync {}", self.out.display()))
        })();
        if result.is_err() {
            for m in &moved {
                let _ = fs::remove_dir_all(m);
            }
            return result;
        }
        self.armed = false;
        let _ = fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_dir_all(&self.dir);
            if self.created_out {
                let _ = fs::remove_dir(&self.out);
            }
        }
    }
}

fn human_bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn progress_bar(quiet: bool, size: Option<u64>) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match size {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message("reading");
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Run the command.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let block_ms = block_duration(args.max_block_duration);
    let opts = Options {
        block_ms,
        extra_labels: args.labels.clone(),
        buffer_samples: args.buffer_samples,
    };
    let stdin = args.input == "-";
    let name = if stdin {
        "<stdin>"
    } else {
        args.input.as_str()
    };
    let (reader, size): (Box<dyn Read>, Option<u64>) = if stdin {
        (Box::new(io::stdin().lock()), None)
    } else {
        let f = File::open(&args.input).with_context(|| format!("open {name}"))?;
        let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        (Box::new(f), size)
    };
    let staging = Staging::new(&args.output_dir)?;
    let bar = progress_bar(args.quiet, size);
    let mut sink = WriterSink {
        dir: staging.dir.clone(),
        chunk_range: block_ms.saturating_mul(2),
        cur: None,
        done: Vec::new(),
    };
    let result = import(
        reader,
        &opts,
        &staging.dir.join("spill"),
        &mut sink,
        &|p| match p {
            Phase::Read(n) => bar.set_position(n),
            Phase::Write(done, total) => {
                if done == 0 {
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} {msg} [{elapsed_precise}] {wide_bar} {pos}/{len} blocks",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_message("writing");
                    bar.set_length(total);
                }
                bar.set_position(done);
            }
        },
    );
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            drop(sink);
            drop(staging);
            return Err(e.context(name.to_string()));
        }
    };
    let blocks = std::mem::take(&mut sink.done);
    staging.commit(&blocks)?;
    for line in report.drops.lines() {
        eprintln!("tsblock-tools: warning: {line}");
    }
    if !args.quiet {
        let bytes: u64 = blocks.iter().map(|b| b.bytes).sum();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "tsblock-tools: wrote {} block{} to {}: {} series, {} samples, {} in {:.2}s ({:.0} samples/s)",
            report.blocks,
            if report.blocks == 1 { "" } else { "s" },
            args.output_dir.display(),
            report.series,
            report.samples,
            human_bytes(bytes),
            secs,
            report.samples_read as f64 / secs.max(1e-9),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
