//! `tsblock-tools generate`: deterministic, realistic synthetic data, as blocks or as
//! OpenMetrics text.
//!
//! ```text
//! seed ─► Model (series sorted by labels; targets, churn, values from hashes)
//!            │
//!            ├─ --format blocks:      for each 2h window: BlockWriter ─► OUTPUT_DIR/<ULID>/
//!            │                        (series state carried from window to window)
//!            └─ --format openmetrics: series by series ─► OUTPUT (file or `-`), `# EOF`
//! ```
//!
//! Both formats carry exactly the same samples, and blocks are cut with promtool's chunk
//! range (twice the block duration), so `generate --format blocks` gives the same chunks
//! as `promtool tsdb create-blocks-from openmetrics` of `generate --format openmetrics`.

pub mod model;
pub mod openmetrics;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};

use crate::write::BlockWriter;
use model::{Model, SeriesState};

/// Block duration of generated blocks: 2h, Prometheus' smallest block range.
pub const BLOCK_DURATION: i64 = 2 * 3600 * 1000;

/// Output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// 2h-aligned TSDB blocks written into OUTPUT_DIR.
    Blocks,
    /// OpenMetrics text (for `promtool tsdb create-blocks-from openmetrics`).
    Openmetrics,
}

/// Generate realistic synthetic series (counters, gauges, histograms, constant series,
/// churning pods), deterministically from a seed.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  tsblock-tools generate data/ --series 1000 --duration 24h --interval 15s
  tsblock-tools generate - --format openmetrics --series 50 --duration 2h | promtool tsdb create-blocks-from openmetrics /dev/stdin data/")]
pub struct Args {
    /// Data directory for `blocks`; output file (or `-` for stdout) for `openmetrics`.
    pub output: PathBuf,
    /// Number of series.
    #[arg(long, default_value_t = 100)]
    pub series: usize,
    /// Time span, e.g. 24h, 90m, 1h30m, 2d.
    #[arg(long, default_value = "2h", value_parser = parse_duration)]
    pub duration: i64,
    /// Scrape interval, e.g. 15s, 1m, 500ms.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub interval: i64,
    /// Random seed; the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First timestamp, ms since the epoch [default: 2024-01-01T00:00:00Z].
    #[arg(
        long,
        default_value_t = 1_704_067_200_000,
        allow_negative_numbers = true
    )]
    pub start: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Blocks)]
    pub format: Format,
    /// No summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parse a duration such as `15s`, `1h30m`, `500ms`, `2d`, `1w`, `1y` (Prometheus units;
/// a year is 365 days) into ms. Must be positive.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let err = || format!("invalid duration {s:?} (examples: 15s, 1h30m, 500ms, 2d)");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(err());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit: i64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return Err(err()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(err)?;
    }
    if total <= 0 {
        return Err(format!("duration {s:?} must be positive"));
    }
    Ok(total)
}

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Blocks written (0 for OpenMetrics).
    pub blocks: usize,
    /// Series in the model.
    pub series: usize,
    /// Samples written.
    pub samples: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Run the command.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.series == 0 {
        bail!("--series must be at least 1");
    }
    // Keep block arithmetic (2h windows around the range) far from the ends of i64.
    const LIMIT: i64 = 1 << 62;
    match args.start.checked_add(args.duration) {
        Some(end) if args.start > -LIMIT && end < LIMIT => {}
        _ => bail!("--start and --start + --duration must be within ±2^62 ms"),
    }
    let t0 = Instant::now();
    let model = Model::new(
        args.seed,
        args.series,
        args.start,
        args.duration,
        args.interval,
    );
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let summary = match args.format {
        Format::Blocks => write_blocks(&model, &args.output, show_progress)?,
        Format::Openmetrics => {
            if args.output == Path::new("-") {
                let stdout = std::io::stdout();
                write_openmetrics(&model, &mut stdout.lock(), show_progress)?
            } else {
                let f = std::fs::File::create(&args.output)
                    .with_context(|| format!("creating {}", args.output.display()))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
                let s = write_openmetrics(&model, &mut w, show_progress)?;
                w.into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("writing {}", args.output.display()))?;
                s
            }
        }
    };
    if !args.quiet {
        let secs = t0.elapsed().as_secs_f64();
        eprintln!(
            "generated {} blocks, {} series, {} samples, {} bytes in {:.2}s ({:.0} samples/s)",
            summary.blocks,
            summary.series,
            summary.samples,
            summary.bytes,
            secs,
            summary.samples as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

fn progress(show: bool, len: u64, what: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} ({eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_owned());
    pb
}

/// Write the model as 2h-aligned blocks into `dir`; empty windows get no block.
pub fn write_blocks(model: &Model, dir: &Path, show_progress: bool) -> anyhow::Result<Summary> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let first = model.start.div_euclid(BLOCK_DURATION) * BLOCK_DURATION;
    let windows: Vec<i64> = (0..)
        .map(|i: i64| first + i * BLOCK_DURATION)
        .take_while(|&w| w < model.end)
        .collect();
    let pb = progress(show_progress, windows.len() as u64, "blocks");
    let mut states = vec![SeriesState::default(); model.series.len()];
    let mut summary = Summary {
        series: model.series.len(),
        ..Summary::default()
    };
    let mut buf: Vec<(i64, f64)> = Vec::new();
    for &from in &windows {
        let to = from + BLOCK_DURATION;
        let mut w = BlockWriter::create(dir, from, to)?;
        // promtool's create-blocks-from appends with a chunk range of twice the block
        // duration; use the same so the chunks come out identical.
        w.set_chunk_range(crate::write::PROMTOOL_CHUNK_RANGE)?;
        let mut samples = 0u64;
        for (i, st) in states.iter_mut().enumerate() {
            buf.clear();
            model.samples(i, st, from, to, &mut buf);
            if !buf.is_empty() {
                samples += buf.len() as u64;
                let labels = &model.series[i].labels;
                w.add_series(labels, &buf)
                    .with_context(|| format!("block [{from}, {to})"))?;
            }
        }
        if w.series_count() > 0 {
            let b = w.finish()?;
            summary.blocks += 1;
            summary.samples += samples;
            summary.bytes += b.bytes;
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(summary)
}

/// Write the model as OpenMetrics text. A closed pipe ends the output quietly.
pub fn write_openmetrics(
    model: &Model,
    out: &mut dyn Write,
    show_progress: bool,
) -> anyhow::Result<Summary> {
    let pb = progress(show_progress, model.series.len() as u64, "series");
    let mut summary = Summary {
        series: model.series.len(),
        ..Summary::default()
    };
    // Families in order of first appearance, each with its series in label order.
    let mut by_family: Vec<Vec<usize>> = vec![Vec::new(); model.families.len()];
    let mut order: Vec<usize> = Vec::new();
    for (i, s) in model.series.iter().enumerate() {
        if let Some(list) = by_family.get_mut(s.family) {
            if list.is_empty() {
                order.push(s.family);
            }
            list.push(i);
        }
    }
    let mut text: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut samples: Vec<(i64, f64)> = Vec::new();
    let mut head: Vec<u8> = Vec::new();
    let result = (|| -> std::io::Result<()> {
        for f in order {
            let (name, mtype) = &model.families[f];
            text.clear();
            // Counter families are named without `_total` in the TYPE line.
            let _ = writeln!(text, "# TYPE {name} {}", mtype.as_str());
            for &i in &by_family[f] {
                samples.clear();
                model.samples(
                    i,
                    &mut SeriesState::default(),
                    i64::MIN,
                    i64::MAX,
                    &mut samples,
                );
                head.clear();
                openmetrics::push_series(&mut head, &model.series[i].labels);
                head.push(b' ');
                for &(t, v) in &samples {
                    text.extend_from_slice(&head);
                    openmetrics::push_value(&mut text, v);
                    text.push(b' ');
                    openmetrics::push_timestamp(&mut text, t);
                    text.push(b'\n');
                }
                summary.samples += samples.len() as u64;
                if text.len() > 1 << 16 {
                    out.write_all(&text)?;
                    summary.bytes += text.len() as u64;
                    text.clear();
                }
                pb.inc(1);
            }
            out.write_all(&text)?;
            summary.bytes += text.len() as u64;
        }
        out.write_all(b"# EOF\n")?;
        summary.bytes += 6;
        out.flush()
    })();
    pb.finish_and_clear();
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(summary),
        Err(e) => Err(anyhow::Error::new(e).context("writing OpenMetrics")),
        Ok(()) => Ok(summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s"), Ok(15_000));
        assert_eq!(parse_duration("24h"), Ok(86_400_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("2d"), Ok(172_800_000));
        for bad in [
            "",
            "15",
            "s",
            "1x",
            "0s",
            "-5s",
            "1.5h",
            "99999999999999999999y",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
