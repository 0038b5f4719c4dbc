//! `tsblock query`: the raw samples of the series a PromQL selector matches.

use std::io::Write;

use anyhow::Context;
use tsblock::db::Db;
use tsblock::query::{parse_selector, Series};

use crate::output::{self, Stats};
use crate::render;
use crate::timearg::TimeArgs;
use crate::Format;

/// Prometheus' stale marker: a NaN with this exact bit pattern.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// Print the samples of every series a selector matches.
///
/// Like a range-vector selector (`up[1h]`) evaluated by Prometheus: the window is
/// closed at both ends, stale markers are left out and series without samples in the
/// window are not printed (`tsblock dump` shows everything, stale markers included).
/// Series come in label order, each with its samples in time order.
///
/// Formats: text shows each series once, then its samples with RFC 3339 UTC timestamps;
/// json is the Prometheus HTTP API's matrix answer (as from `/api/v1/query` with
/// `up[1h]`); csv has the columns series,timestamp,value with promtool-style label sets
/// and timestamps in ms since the epoch.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock query --data-dir data/ 'up{job=\"api\"}' --start now-2h
  tsblock query 'http_requests_total{code=~\"5..\"}' --start 2023-11-14T22:00:00Z --end 2023-11-14T23:00:00Z
  tsblock query --format json 'node_load1' --start 1700000000 --end 1700003600.5
  tsblock query --format csv '{__name__=~\"node_.+\", instance=\"db1\"}' --start -30m > samples.csv")]
pub struct Args {
    /// PromQL series selector, e.g. 'up{job="api"}'
    #[arg(value_name = "SELECTOR")]
    selector: String,
    #[command(flatten)]
    time: TimeArgs,
    /// Print series, chunks and samples read, blocks opened and elapsed time to stderr
    #[arg(long)]
    stats: bool,
}

pub fn run(args: Args, global: &crate::Global) -> anyhow::Result<()> {
    let selector =
        parse_selector(&args.selector).with_context(|| format!("selector {:?}", args.selector))?;
    let (start, end) = args.time.resolve()?;
    let db = Db::open(&global.data_dir(None))?;
    for skipped in db.skipped() {
        eprintln!("tsblock: skipping block: {skipped}");
    }
    let format = global.format;
    let mut out = output::stdout()?;
    match format {
        Format::Json => {
            out.write_all(render::JSON_START)?;
            out.write_all(b"{\"resultType\":\"matrix\",\"result\":[")?;
        }
        Format::Csv => out.write_all(b"series,timestamp,value\n")?,
        Format::Text => {}
    }
    let stats = Stats::start();
    let set = db.select(&[selector], start, end)?;
    let mut first = true;
    set.par_for_each(
        |s| format_series(&s, format, &stats),
        |text| {
            let Some(text) = text else { return Ok(()) };
            match format {
                Format::Json if !first => output::write(&mut out, b",")?,
                // A blank line between series.
                Format::Text if !first => output::write(&mut out, b"\n")?,
                _ => {}
            }
            first = false;
            output::write(&mut out, &text)
        },
    )?;
    if format == Format::Json {
        out.write_all(b"]}")?;
        out.write_all(render::JSON_END)?;
    }
    output::finish(out)?;
    if args.stats {
        stats.report(&db, start, end);
    }
    Ok(())
}

/// The samples of a series without stale markers.
fn samples(series: &Series<'_>, stats: &Stats) -> tsblock::Result<Vec<(i64, f64)>> {
    stats.series(series);
    let mut v = Vec::new();
    let mut read = 0;
    for s in series.samples() {
        let (t, f) = s?;
        read += 1;
        if f.to_bits() != STALE_NAN {
            v.push((t, f));
        }
    }
    stats.samples(read);
    Ok(v)
}

/// One series in `format`, or `None` when it has no samples.
fn format_series(
    series: &Series<'_>,
    format: Format,
    stats: &Stats,
) -> tsblock::Result<Option<Vec<u8>>> {
    let samples = samples(series, stats)?;
    if samples.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(64 + samples.len() * 32);
    match format {
        Format::Json => {
            out.extend_from_slice(b"{\"metric\":");
            render::json_labels(&mut out, series.labels());
            out.extend_from_slice(b",\"values\":[");
            for (i, &(t, v)) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                render::api_timestamp(&mut out, t);
                out.extend_from_slice(b",\"");
                render::api_float(&mut out, v);
                out.extend_from_slice(b"\"]");
            }
            out.extend_from_slice(b"]}");
        }
        Format::Csv => {
            let mut labels = Vec::new();
            tsblock::promtext::write_labels(&mut labels, series.labels().iter());
            let mut field = Vec::with_capacity(labels.len() + 8);
            render::csv_field(&mut field, &labels);
            let mut ts = itoa::Buffer::new();
            for &(t, v) in &samples {
                out.extend_from_slice(&field);
                out.push(b',');
                out.extend_from_slice(ts.format(t).as_bytes());
                out.push(b',');
                render::api_float(&mut out, v);
                out.push(render::CSV_EOL);
            }
        }
        Format::Text => {
            render::text_labels(&mut out, series.labels());
            out.push(b'\n');
            // Values right-aligned within the series: format them all first.
            let mut values = Vec::with_capacity(samples.len() * 8);
            let mut ends = Vec::with_capacity(samples.len());
            for &(_, v) in &samples {
                render::api_float(&mut values, v);
                ends.push(values.len());
            }
            let mut width = 0;
            let mut from = 0;
            for &e in &ends {
                width = width.max(e - from);
                from = e;
            }
            let mut from = 0;
            for (&(t, _), &e) in samples.iter().zip(&ends) {
                out.extend_from_slice(b"  ");
                render::rfc3339_ms(&mut out, t);
                out.extend_from_slice(b"  ");
                out.extend(std::iter::repeat(b' ').take(width - (e - from)));
                out.extend_from_slice(&values[from..e]);
                out.push(b'\n');
                from = e;
            }
        }
    }
    Ok(Some(out))
}
