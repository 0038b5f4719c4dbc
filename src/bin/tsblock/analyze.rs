//! `tsblock analyze`: churn and cardinality of one block, the report of
//! `promtool tsdb analyze`.
//!
//! Every number comes from the index: one parallel pass over the series entries (labels as
//! symbol ordinals, chunk time ranges) aggregates per label pair and per label name, keyed
//! by symbol ordinals; strings are looked up once per distinct pair at the end. Samples are
//! never decoded: `--extended` reads only each chunk's 2-byte sample count.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;
use serde::Serialize;
use tsblock::db::is_ulid;
use tsblock::format::SeriesRef;
use tsblock::index::SeriesEntry;
use tsblock::query::parse_metric_selector;
use tsblock::{Block, Matcher};

use crate::list::{block_metas, go_duration};
use crate::{output, Format};

/// Series entries per parallel task.
const BATCH: usize = 2048;
/// `--extended`: a chunk with this many samples or more is 100% full.
const FULL_CHUNK: u64 = 120;

/// Analyze churn and label cardinality of a block (like `promtool tsdb analyze`).
///
/// Takes promtool's positional arguments, `[DATA_DIR] [BLOCK_ID]`. A single argument that
/// is a ULID and not a directory is a block id in `--data-dir` (default `data/`); a block
/// directory path (`data/01H…`) also works. Without a block id the last block (greatest
/// minTime) is analyzed, as promtool does. Sections list the top --limit entries, ties by
/// text; label values are printed raw, newlines included, as promtool prints them.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock analyze testdata/multi
  tsblock analyze --data-dir testdata/multi 01M81S5K5T0TQMN7EP4EFC8V86 --limit 5
  tsblock analyze data/ --match 'http_requests_total{job=\"api\"}' --extended
  tsblock analyze --format json testdata/multi | jq '.metricNameCardinality[0]'")]
pub struct Args {
    /// How many items to show in each list
    #[arg(long, default_value_t = 20, value_name = "N")]
    limit: usize,
    /// Analyze only the series matching this selector (as newer promtool's --match)
    #[arg(long = "match", value_name = "SELECTOR")]
    selector: Option<String>,
    /// Also report how full the chunks are (reads chunk headers, decodes no samples)
    #[arg(long)]
    extended: bool,
    /// Data directory, or a block id (ULID) when it is the only argument and not a directory
    #[arg(value_name = "DATA_DIR|BLOCK_ID")]
    first: Option<PathBuf>,
    /// Block to analyze [default: the last block]
    #[arg(value_name = "BLOCK_ID")]
    block_id: Option<String>,
}

pub fn run(args: Args, global: &crate::Global) -> anyhow::Result<()> {
    let matchers = args
        .selector
        .as_deref()
        .map(|s| parse_metric_selector(s).with_context(|| format!("--match {s:?}")))
        .transpose()?;
    let (dir, block_id) = resolve_args(&args, global);
    let block = open_block(&dir, block_id.as_deref())?;
    let report = analyze(&block, matchers.as_deref(), args.extended, args.limit)?;
    let mut out = output::stdout()?;
    match global.format {
        Format::Text => report.write_text(&mut out, args.selector.as_deref())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report.json(args.selector.as_deref()))?;
            out.write_all(b"\n")?;
        }
        Format::Csv => report.write_csv(&mut out, args.selector.as_deref())?,
    }
    output::finish(out)
}

/// The data dir and the block id from promtool-style positionals.
fn resolve_args(args: &Args, global: &crate::Global) -> (PathBuf, Option<String>) {
    match (&args.first, &args.block_id) {
        (first, Some(id)) => (global.data_dir(first.as_deref()), Some(id.clone())),
        (Some(p), None) if p.join("meta.json").is_file() => {
            // A block directory: its parent is the data dir.
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = parent.unwrap_or(Path::new(".")).to_owned();
            (dir, p.file_name().map(|n| n.to_string_lossy().into_owned()))
        }
        (Some(p), None) if !p.is_dir() && p.to_str().is_some_and(is_ulid) => {
            (global.data_dir(None), p.to_str().map(str::to_owned))
        }
        (first, None) => (global.data_dir(first.as_deref()), None),
    }
}

/// The block with meta ULID `id`, or the last block by minTime (promtool's choice).
fn open_block(dir: &Path, id: Option<&str>) -> anyhow::Result<Block> {
    let mut metas = block_metas(dir)?;
    let found = match id {
        Some(id) => metas
            .iter()
            .position(|(_, m)| m.ulid == id)
            .map(|i| metas.swap_remove(i)),
        None => metas.pop(),
    };
    let Some((path, meta)) = found else {
        match id {
            Some(id) => anyhow::bail!("block {id} not found in {}", dir.display()),
            None => anyhow::bail!("no blocks in {}", dir.display()),
        }
    };
    Ok(Block::open_with_meta(&path, meta)?)
}

/// A minimal FxHash: the keys are symbol ordinals, no need for SipHash's DoS resistance.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Per label pair: summed uncovered time and number of series.
#[derive(Default, Clone, Copy)]
struct PairStat {
    uncovered: u64,
    series: u64,
}

/// What one pass over (some of) the series entries collects. Keys are symbol ordinals.
#[derive(Default)]
struct Scan {
    /// (name, value) → stats.
    pairs: FxMap<(u32, u32), PairStat>,
    /// name → summed uncovered time.
    names: FxMap<u32, u64>,
    /// Total label pairs over all series.
    entries: u64,
    /// `--extended`: chunks per fullness decile.
    fullness: [u64; 10],
}

impl Scan {
    /// Add `other` in; sums wrap as Go's uint64 sums do.
    fn merge(mut self, mut other: Scan) -> Scan {
        if self.pairs.len() < other.pairs.len() {
            std::mem::swap(&mut self, &mut other);
        }
        for (k, v) in other.pairs {
            let s = self.pairs.entry(k).or_default();
            s.uncovered = s.uncovered.wrapping_add(v.uncovered);
            s.series += v.series;
        }
        for (k, v) in other.names {
            let s = self.names.entry(k).or_default();
            *s = s.wrapping_add(v);
        }
        self.entries += other.entries;
        for (a, b) in self.fullness.iter_mut().zip(other.fullness) {
            *a += b;
        }
        self
    }
}

/// Add the series `refs` of `block` to `s`.
fn scan(block: &Block, refs: &[u32], extended: bool, mut s: Scan) -> tsblock::Result<Scan> {
    let ix = block.index();
    let meta = block.meta();
    let range = meta.max_time.wrapping_sub(meta.min_time) as u64;
    let mut entry = SeriesEntry::default();
    for &r in refs {
        ix.series(SeriesRef(r), &mut entry)?;
        // The part of the block's range the series does not cover, computed as promtool
        // does in uint64 (it wraps if chunks stick out of the block). A series with no
        // chunks, on which promtool crashes, covers nothing.
        let span = match (entry.chunks.first(), entry.chunks.last()) {
            (Some(first), Some(last)) => last.max_time.wrapping_sub(first.min_time) as u64,
            _ => 0,
        };
        let uncovered = range.wrapping_sub(span);
        for &(n, v) in &entry.labels {
            let p = s.pairs.entry((n, v)).or_default();
            p.uncovered = p.uncovered.wrapping_add(uncovered);
            p.series += 1;
            let u = s.names.entry(n).or_default();
            *u = u.wrapping_add(uncovered);
        }
        s.entries += entry.labels.len() as u64;
        if extended {
            for c in &entry.chunks {
                let chunk = block.chunks().chunk(c.chunk)?;
                // Every chunk encoding starts with a big-endian u16 sample count.
                let n = match chunk.data {
                    [a, b, ..] => u64::from(u16::from_be_bytes([*a, *b])),
                    _ => 0,
                };
                // promtool's bucket: ceil(10 * min(n, 120) / 120) - 1. An empty chunk
                // (which crashes promtool) counts as under 10%.
                let decile = (n.min(FULL_CHUNK) * 10).div_ceil(FULL_CHUNK).max(1) - 1;
                s.fullness[decile as usize] += 1;
            }
        }
    }
    Ok(s)
}

/// One line of a section: a count and the text promtool prints after it (shared between
/// the sections that list the same keys).
#[derive(Clone)]
struct Item {
    count: u64,
    key: Arc<[u8]>,
}

/// The analysis of one block: the top `limit` entries of each section, sorted by count
/// descending, then text.
struct Report {
    block_id: String,
    range_ms: i64,
    num_series: u64,
    matched_series: usize,
    label_names: usize,
    postings: usize,
    postings_entries: u64,
    churn_pairs: Vec<Item>,
    churn_names: Vec<Item>,
    common_pairs: Vec<Item>,
    value_lengths: Vec<Item>,
    cardinality: Vec<Item>,
    metric_names: Vec<Item>,
    /// `--extended` only: chunks per decile of fullness, and in all.
    fullness: Option<([u64; 10], u64)>,
}

/// Keep the `limit` first items in (count descending, text) order, sorted.
fn top(items: &mut Vec<Item>, limit: usize) {
    let order = |a: &Item, b: &Item| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key));
    if limit == 0 {
        items.clear();
        return;
    }
    if limit < items.len() {
        items.select_nth_unstable_by(limit - 1, order);
        items.truncate(limit);
    }
    items.sort_unstable_by(order);
}

fn analyze(
    block: &Block,
    matchers: Option<&[Matcher]>,
    extended: bool,
    limit: usize,
) -> anyhow::Result<Report> {
    let ix = block.index();
    let meta = block.meta();
    let refs = match matchers {
        Some(ms) => block.select_postings(ms)?,
        None => ix.all_postings()?,
    };
    let scan = refs
        .par_chunks(BATCH)
        .try_fold(Scan::default, |acc, refs| scan(block, refs, extended, acc))
        .try_reduce(Scan::default, |a, b| Ok(a.merge(b)))?;

    let range = meta.max_time.wrapping_sub(meta.min_time);
    // promtool: uint64(float64(sum) / float64(maxTime - minTime)).
    let per_range = |sum: u64| (sum as f64 / range as f64) as u64;

    // Label names, looked up once each.
    let mut names: FxMap<u32, Arc<[u8]>> = FxMap::default();
    for &n in scan.names.keys() {
        names.insert(n, ix.symbol(n)?.into());
    }
    // Pairs as promtool keys them, the string `name=value`, with their name ordinal.
    let pairs: Vec<((u32, u32), PairStat)> = scan.pairs.iter().map(|(&k, &v)| (k, v)).collect();
    let keyed: Vec<(u32, Arc<[u8]>, PairStat)> = pairs
        .par_iter()
        .map(|&((n, v), stat)| {
            let name = &names[&n];
            let value = ix.symbol(v)?;
            let mut key = Vec::with_capacity(name.len() + 1 + value.len());
            key.extend_from_slice(name);
            key.push(b'=');
            key.extend_from_slice(value);
            Ok((n, key.into(), stat))
        })
        .collect::<tsblock::Result<_>>()?;
    drop(pairs);

    // Per label name: distinct values and their summed length; series per metric name.
    let mut per_name: FxMap<u32, (u64, u64)> = FxMap::default();
    let mut metric_names = Vec::new();
    let metric_name = ix.find_symbol(b"__name__")?;
    for (n, key, stat) in &keyed {
        let name_len = names[n].len();
        let nv = per_name.entry(*n).or_default();
        nv.0 += 1;
        nv.1 += (key.len() - name_len - 1) as u64;
        if Some(*n) == metric_name {
            metric_names.push(Item {
                count: stat.series,
                key: key[name_len + 1..].into(),
            });
        }
    }

    // Distinct symbol pairs give distinct keys unless a label name holds '=' (possible
    // with UTF-8 names): then merge the pairs that promtool's string-keyed map merges.
    let mut keyed: Vec<(Arc<[u8]>, PairStat)> = keyed.into_iter().map(|(_, k, s)| (k, s)).collect();
    if names.values().any(|n| n.contains(&b'=')) {
        let mut merged: HashMap<Arc<[u8]>, PairStat> = HashMap::new();
        for (k, v) in keyed {
            let s = merged.entry(k).or_default();
            s.uncovered = s.uncovered.wrapping_add(v.uncovered);
            s.series += v.series;
        }
        keyed = merged.into_iter().collect();
    }
    let postings = keyed.len();
    let mut churn_pairs = Vec::with_capacity(keyed.len());
    let mut common_pairs = Vec::with_capacity(keyed.len());
    for (key, stat) in keyed {
        churn_pairs.push(Item {
            count: per_range(stat.uncovered),
            key: key.clone(),
        });
        common_pairs.push(Item {
            count: stat.series,
            key,
        });
    }
    let (mut churn_names, mut value_lengths, mut cardinality) =
        (Vec::new(), Vec::new(), Vec::new());
    for (n, &(values, length)) in &per_name {
        let name = names[n].clone();
        let uncovered = scan.names.get(n).copied().unwrap_or(0);
        churn_names.push(Item {
            count: per_range(uncovered),
            key: name.clone(),
        });
        value_lengths.push(Item {
            count: length,
            key: name.clone(),
        });
        cardinality.push(Item {
            count: values,
            key: name,
        });
    }
    let mut sections = [
        &mut churn_pairs,
        &mut churn_names,
        &mut common_pairs,
        &mut value_lengths,
        &mut cardinality,
        &mut metric_names,
    ];
    sections.par_iter_mut().for_each(|items| top(items, limit));
    Ok(Report {
        block_id: meta.ulid.clone(),
        range_ms: range,
        num_series: meta.stats.num_series,
        matched_series: refs.len(),
        label_names: per_name.len(),
        postings,
        postings_entries: scan.entries,
        churn_pairs,
        churn_names,
        common_pairs,
        value_lengths,
        cardinality,
        metric_names,
        fullness: extended.then(|| (scan.fullness, scan.fullness.iter().sum())),
    })
}

/// Section titles as promtool prints them, with the JSON/CSV name of each.
const SECTIONS: [(&str, &str); 6] = [
    ("Label pairs most involved in churning", "labelPairsChurn"),
    ("Label names most involved in churning", "labelNamesChurn"),
    ("Most common label pairs", "commonLabelPairs"),
    (
        "Label names with highest cumulative label value length",
        "labelValueLength",
    ),
    ("Highest cardinality labels", "labelCardinality"),
    ("Highest cardinality metric names", "metricNameCardinality"),
];

impl Report {
    fn sections(&self) -> [&[Item]; 6] {
        [
            &self.churn_pairs,
            &self.churn_names,
            &self.common_pairs,
            &self.value_lengths,
            &self.cardinality,
            &self.metric_names,
        ]
    }

    fn duration(&self) -> String {
        go_duration(self.range_ms.wrapping_mul(1_000_000))
    }

    /// promtool's `--extended` bars: one `#` per whole percent of all chunks.
    fn bars(fullness: &[u64; 10], total: u64) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        fullness.iter().enumerate().map(move |(i, &n)| {
            let percent = (n * 100).checked_div(total).unwrap_or(0);
            ((i as u64 + 1) * 10, n, percent)
        })
    }

    fn write_text(&self, out: &mut impl Write, selector: Option<&str>) -> std::io::Result<()> {
        writeln!(out, "Block ID: {}", self.block_id)?;
        writeln!(out, "Duration: {}", self.duration())?;
        writeln!(out, "Series: {}", self.num_series)?;
        if let Some(s) = selector {
            writeln!(out, "Matcher: {s}")?;
        }
        writeln!(out, "Label names: {}", self.label_names)?;
        if selector.is_some() {
            writeln!(out, "Matched series: {}", self.matched_series)?;
        }
        writeln!(out, "Postings (unique label pairs): {}", self.postings)?;
        writeln!(
            out,
            "Postings entries (total label pairs): {}",
            self.postings_entries
        )?;
        for ((title, _), items) in SECTIONS.iter().zip(self.sections()) {
            writeln!(out, "\n{title}:")?;
            for item in items.iter() {
                write!(out, "{} ", item.count)?;
                out.write_all(&item.key)?;
                out.write_all(b"\n")?;
            }
        }
        if let Some((fullness, total)) = &self.fullness {
            writeln!(out, "\nCompaction analysis:")?;
            writeln!(
                out,
                "Fullness: Amount of samples in chunks (100% is 120 samples)"
            )?;
            for (decile, _, percent) in Report::bars(fullness, *total) {
                writeln!(out, "{decile:>7}%: {}", "#".repeat(percent as usize))?;
            }
        }
        Ok(())
    }

    fn json(&self, selector: Option<&str>) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        let mut put = |k: &str, v: serde_json::Value| {
            obj.insert(k.to_owned(), v);
        };
        put("blockId", self.block_id.clone().into());
        put("duration", self.duration().into());
        put("durationMs", self.range_ms.into());
        put("series", self.num_series.into());
        put("matcher", selector.into());
        put(
            "matchedSeries",
            selector.map(|_| self.matched_series).into(),
        );
        put("labelNames", self.label_names.into());
        put("postings", self.postings.into());
        put("postingsEntries", self.postings_entries.into());
        #[derive(Serialize)]
        struct JsonItem {
            count: u64,
            key: String,
        }
        for ((_, name), items) in SECTIONS.iter().zip(self.sections()) {
            let items: Vec<JsonItem> = items
                .iter()
                .map(|i| JsonItem {
                    count: i.count,
                    key: String::from_utf8_lossy(&i.key).into_owned(),
                })
                .collect();
            put(name, serde_json::to_value(items).unwrap_or_default());
        }
        if let Some((fullness, total)) = &self.fullness {
            let bars: Vec<serde_json::Value> = Report::bars(fullness, *total)
                .map(|(decile, chunks, percent)| {
                    serde_json::json!({"upToPercent": decile, "chunks": chunks, "percentOfChunks": percent})
                })
                .collect();
            put("chunkFullness", bars.into());
        }
        serde_json::Value::Object(obj)
    }

    fn write_csv(&self, out: &mut impl Write, selector: Option<&str>) -> std::io::Result<()> {
        let mut row = |section: &str, count: String, key: &[u8]| -> std::io::Result<()> {
            write!(out, "{section},{count},")?;
            write_csv_field(out, key)?;
            out.write_all(b"\n")
        };
        row("section", "count".into(), b"key")?;
        row("blockId", String::new(), self.block_id.as_bytes())?;
        row("duration", String::new(), self.duration().as_bytes())?;
        row("series", self.num_series.to_string(), b"")?;
        if let Some(s) = selector {
            row("matcher", String::new(), s.as_bytes())?;
            row("matchedSeries", self.matched_series.to_string(), b"")?;
        }
        row("labelNames", self.label_names.to_string(), b"")?;
        row("postings", self.postings.to_string(), b"")?;
        row("postingsEntries", self.postings_entries.to_string(), b"")?;
        for ((_, name), items) in SECTIONS.iter().zip(self.sections()) {
            for item in items.iter() {
                row(name, item.count.to_string(), &item.key)?;
            }
        }
        if let Some((fullness, total)) = &self.fullness {
            for (decile, chunks, _) in Report::bars(fullness, *total) {
                row(
                    "chunkFullness",
                    chunks.to_string(),
                    format!("{decile}%").as_bytes(),
                )?;
            }
        }
        Ok(())
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn write_csv_field(out: &mut impl Write, field: &[u8]) -> std::io::Result<()> {
    if field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.write_all(b"\"")?;
        for chunk in field.split_inclusive(|&b| b == b'"') {
            out.write_all(chunk)?;
            if chunk.ends_with(b"\"") {
                out.write_all(b"\"")?;
            }
        }
        out.write_all(b"\"")
    } else {
        out.write_all(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut v = Vec::new();
        write_csv_field(&mut v, b"a=b").unwrap();
        v.push(b'|');
        write_csv_field(&mut v, b"x,\"y\"\nz").unwrap();
        assert_eq!(v, b"a=b|\"x,\"\"y\"\"\nz\"");
    }
}
