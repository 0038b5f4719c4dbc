//! `tsblock list`: the blocks of a data dir, with the columns and numbers of
//! `promtool tsdb list`, plus which blocks overlap and which carry tombstones.
//!
//! Only `meta.json`, the tombstones file and file sizes are read: no index is opened.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use tsblock::db::is_ulid;
use tsblock::format::BlockMeta;
use tsblock::tombstones::Tombstones;

use crate::{output, Format};

/// List the blocks of a data directory (like `promtool tsdb list`).
///
/// The first eight columns are promtool's, with the same numbers and formatting: times in ms
/// since the epoch, DURATION as Go prints durations, SIZE in bytes (meta.json + index +
/// chunk segments + tombstones). FLAGS adds `overlap` for a block whose time range
/// intersects another block's and `tombstones=N` for a block with N deleted intervals.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock list testdata/multi
  tsblock list -r --data-dir /var/lib/prometheus
  tsblock list --format json data/ | jq '.[] | select(.overlapsWith != [])'

--human changes the text output only; json and csv always carry raw numbers.")]
pub struct Args {
    /// Print times as UTC dates and sizes as KiB/MiB (promtool's -r)
    #[arg(short = 'r', long, visible_alias = "human-readable")]
    human: bool,
    /// Prometheus data directory [default: --data-dir, else data/]
    data_dir: Option<PathBuf>,
}

/// One row of the listing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    ulid: String,
    min_time: i64,
    max_time: i64,
    /// As Go's `time.Duration` prints it, e.g. `1h59m30.41s`.
    duration: String,
    duration_ms: i64,
    num_samples: u64,
    num_chunks: u64,
    num_series: u64,
    /// Bytes, counted as promtool counts them.
    size: u64,
    /// ULIDs of the blocks whose time ranges intersect this one's.
    overlaps_with: Vec<String>,
    /// Deleted intervals in the tombstones file.
    tombstones: usize,
}

pub fn run(args: Args, global: &crate::Global) -> anyhow::Result<()> {
    let dir = global.data_dir(args.data_dir.as_deref());
    let rows = rows(&dir)?;
    let mut out = output::stdout()?;
    match global.format {
        Format::Text => out.write_all(text(&rows, args.human).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => out.write_all(csv(&rows).as_bytes())?,
    }
    output::finish(out)
}

/// Metas of the blocks of `dir`, sorted as promtool (and [`tsblock::Db`]) sort them: by
/// minTime, ties in directory-name order. Blocks whose meta.json cannot be read are skipped
/// with a note on stderr, as promtool skips them.
pub fn block_metas(dir: &Path) -> anyhow::Result<Vec<(PathBuf, BlockMeta)>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("read {}", dir.display()))?;
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir && entry.file_name().to_str().is_some_and(is_ulid) {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    let mut metas = Vec::with_capacity(dirs.len());
    for path in dirs {
        match BlockMeta::read(&path) {
            Ok(meta) => metas.push((path, meta)),
            Err(e) => eprintln!("tsblock: skipping block: {e}"),
        }
    }
    metas.sort_by_key(|(_, m)| m.min_time);
    Ok(metas)
}

fn rows(dir: &Path) -> anyhow::Result<Vec<Row>> {
    let metas = block_metas(dir)?;
    let overlaps = overlapping(&metas);
    metas
        .iter()
        .zip(overlaps)
        .map(|((path, meta), overlaps_with)| {
            let tombstones = Tombstones::read(&path.join("tombstones"))?;
            let span = meta.max_time.wrapping_sub(meta.min_time);
            Ok(Row {
                ulid: meta.ulid.clone(),
                min_time: meta.min_time,
                max_time: meta.max_time,
                duration: go_duration(span.wrapping_mul(1_000_000)),
                duration_ms: span,
                num_samples: meta.stats.num_samples,
                num_chunks: meta.stats.num_chunks,
                num_series: meta.stats.num_series,
                size: block_size(path)?,
                overlaps_with,
                tombstones: tombstones.interval_count(),
            })
        })
        .collect()
}

/// For each block (sorted by minTime), the ULIDs of the others whose half-open ranges
/// `[minTime, maxTime)` intersect its own.
fn overlapping(metas: &[(PathBuf, BlockMeta)]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); metas.len()];
    for (i, (_, a)) in metas.iter().enumerate() {
        for (j, (_, b)) in metas.iter().enumerate().skip(i + 1) {
            // Sorted by minTime: no later block can start before `a` ends.
            if b.min_time >= a.max_time {
                break;
            }
            if b.min_time < b.max_time {
                out[i].push(b.ulid.clone());
                out[j].push(a.ulid.clone());
            }
        }
    }
    out
}

/// promtool's block size: meta.json + index + every numerically named file in `chunks/` +
/// tombstones (0 when absent). Other files in the block dir do not count.
fn block_size(block: &Path) -> anyhow::Result<u64> {
    let len = |p: &Path| -> anyhow::Result<u64> {
        Ok(std::fs::metadata(p)
            .with_context(|| format!("stat {}", p.display()))?
            .len())
    };
    let mut size = len(&block.join("meta.json"))? + len(&block.join("index"))?;
    let tombstones = block.join("tombstones");
    if tombstones.exists() {
        size += len(&tombstones)?;
    }
    let chunks = block.join("chunks");
    for entry in std::fs::read_dir(&chunks).with_context(|| format!("read {}", chunks.display()))? {
        let entry = entry.with_context(|| format!("read {}", chunks.display()))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.parse::<u64>().is_ok())
        {
            size += len(&entry.path())?;
        }
    }
    Ok(size)
}

const HEADER: [&str; 9] = [
    "BLOCK ULID",
    "MIN TIME",
    "MAX TIME",
    "DURATION",
    "NUM SAMPLES",
    "NUM CHUNKS",
    "NUM SERIES",
    "SIZE",
    "FLAGS",
];

fn flags(row: &Row) -> String {
    let mut f = Vec::new();
    if !row.overlaps_with.is_empty() {
        f.push("overlap".to_owned());
    }
    if row.tombstones > 0 {
        f.push(format!("tombstones={}", row.tombstones));
    }
    if f.is_empty() {
        "-".to_owned()
    } else {
        f.join(",")
    }
}

fn text(rows: &[Row], human: bool) -> String {
    let time = |t: i64| {
        if human {
            go_utc_time(t / 1000)
        } else {
            t.to_string()
        }
    };
    let mut table: Vec<Vec<String>> = vec![HEADER.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        table.push(vec![
            r.ulid.clone(),
            time(r.min_time),
            time(r.max_time),
            r.duration.clone(),
            r.num_samples.to_string(),
            r.num_chunks.to_string(),
            r.num_series.to_string(),
            if human {
                go_base2_bytes(r.size)
            } else {
                r.size.to_string()
            },
            flags(r),
        ]);
    }
    tabwrite(&table)
}

/// Align cells as promtool's Go `tabwriter` (min width 13, padding 2, spaces) does: every
/// cell but the last of a line is padded to its column's width; the last is written as is.
fn tabwrite(table: &[Vec<String>]) -> String {
    let ncols = table.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![13usize; ncols];
    for line in table {
        for (w, cell) in widths.iter_mut().zip(line.iter().take(line.len() - 1)) {
            *w = (*w).max(cell.chars().count() + 2);
        }
    }
    let mut out = String::new();
    for line in table {
        for (i, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < line.len() {
                let pad = widths[i] - cell.chars().count();
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "ulid,min_time,max_time,duration,num_samples,num_chunks,num_series,size,overlaps_with,tombstones\n",
    );
    for r in rows {
        // No field can hold a comma or quote except overlaps_with, which uses spaces.
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            r.ulid,
            r.min_time,
            r.max_time,
            r.duration,
            r.num_samples,
            r.num_chunks,
            r.num_series,
            r.size,
            r.overlaps_with.join(" "),
            r.tombstones
        );
    }
    out
}

/// A duration of `nanos` nanoseconds as Go's `time.Duration.String` prints it:
/// `0s`, `999ms`, `1.5µs`, `13m0.372s`, `2h0m0s`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let mut u = nanos.unsigned_abs();
    // Built back to front, then reversed.
    let mut rev: Vec<char> = Vec::with_capacity(24);
    if u < 1_000_000_000 {
        let (unit, prec) = match u {
            0..=999 => ("ns", 0),
            1_000..=999_999 => ("µs", 3),
            _ => ("ms", 6),
        };
        rev.extend(unit.chars().rev());
        u = push_frac(&mut rev, u, prec);
        push_int(&mut rev, u);
    } else {
        rev.push('s');
        u = push_frac(&mut rev, u, 9);
        push_int(&mut rev, u % 60);
        u /= 60;
        if u > 0 {
            rev.push('m');
            push_int(&mut rev, u % 60);
            u /= 60;
            if u > 0 {
                rev.push('h');
                push_int(&mut rev, u);
            }
        }
    }
    if nanos < 0 {
        rev.push('-');
    }
    rev.into_iter().rev().collect()
}

/// Push (reversed) the `prec` low decimal digits of `v` as a fraction without trailing
/// zeros, with its '.', or nothing when they are all zero. Returns `v / 10^prec`.
fn push_frac(rev: &mut Vec<char>, mut v: u64, prec: u32) -> u64 {
    let mut printed = false;
    for _ in 0..prec {
        let digit = v % 10;
        printed = printed || digit != 0;
        if printed {
            rev.push(char::from(b'0' + digit as u8));
        }
        v /= 10;
    }
    if printed {
        rev.push('.');
    }
    v
}

fn push_int(rev: &mut Vec<char>, mut v: u64) {
    loop {
        rev.push(char::from(b'0' + (v % 10) as u8));
        v /= 10;
        if v == 0 {
            break;
        }
    }
}

/// Seconds since the epoch as Go prints `time.Unix(secs, 0).UTC()`:
/// `1970-01-12 13:46:40 +0000 UTC`.
pub fn go_utc_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let year = if y < 0 {
        format!("-{:04}", y.unsigned_abs())
    } else {
        format!("{y:04}")
    };
    format!(
        "{year}-{m:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Bytes as Go's `units.Base2Bytes.String` prints them: every non-zero base-1024 digit with
/// its unit, largest first, e.g. `22KiB413B`, `1MiB`, `0B`.
pub fn go_base2_bytes(mut n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut parts: Vec<String> = Vec::new();
    for (i, unit) in UNITS.iter().enumerate() {
        if n % 1024 != 0 || (i == 0 && n == 0) {
            parts.push(format!("{}{unit}", n % 1024));
        }
        n /= 1024;
        if n == 0 {
            break;
        }
    }
    parts.reverse();
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        let ms = |m: i64| go_duration(m * 1_000_000);
        assert_eq!(ms(0), "0s");
        assert_eq!(ms(780_372), "13m0.372s");
        assert_eq!(ms(7_170_410), "1h59m30.41s");
        assert_eq!(ms(7_200_000), "2h0m0s");
        assert_eq!(ms(3_001), "3.001s");
        assert_eq!(ms(999), "999ms");
        assert_eq!(ms(1), "1ms");
        assert_eq!(ms(-1_500), "-1.5s");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(7), "7ns");
        assert_eq!(go_duration(i64::MIN), "-2562047h47m16.854775808s");
        assert_eq!(go_duration(i64::MAX), "2562047h47m16.854775807s");
    }

    #[test]
    fn utc_times_print_like_go() {
        assert_eq!(go_utc_time(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(go_utc_time(1_000_000), "1970-01-12 13:46:40 +0000 UTC");
        assert_eq!(go_utc_time(1_795_356_291), "2026-11-22 14:04:51 +0000 UTC");
        assert_eq!(go_utc_time(951_782_400), "2000-02-29 00:00:00 +0000 UTC");
        assert_eq!(go_utc_time(-1), "1969-12-31 23:59:59 +0000 UTC");
    }

    #[test]
    fn sizes_print_like_go_units() {
        assert_eq!(go_base2_bytes(0), "0B");
        assert_eq!(go_base2_bytes(22_941), "22KiB413B");
        assert_eq!(go_base2_bytes(1024), "1KiB");
        assert_eq!(go_base2_bytes(1024 * 1024 + 1), "1MiB1B");
        assert_eq!(go_base2_bytes(1023), "1023B");
    }

    #[test]
    fn tabwriter_pads_all_but_the_last_cell() {
        let t = vec![
            vec!["A".to_owned(), "BB".to_owned(), "C".to_owned()],
            vec![
                "a-very-long-cell".to_owned(),
                "b".to_owned(),
                "c".to_owned(),
            ],
        ];
        assert_eq!(
            tabwrite(&t),
            "A                 BB           C\na-very-long-cell  b            c\n"
        );
    }
}
