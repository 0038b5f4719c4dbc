//! `tsblock series`: the label sets of the series that selectors match.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Context;
use tsblock::db::Db;
use tsblock::query::parse_selector;
use tsblock::Labels;

use crate::render;
use crate::timearg::TimeArgs;
use crate::{output, Format};

/// List the series that match any of the selectors, like Prometheus' /api/v1/series.
///
/// A series is listed when it has data in the time range. Series come in label order.
///
/// Formats: text prints one series per line, PromQL style; json is the /api/v1/series
/// answer; csv has one column per label name (the union over all listed series, sorted)
/// and one row per series, with an empty cell where a series lacks the label.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock series --data-dir data/ up
  tsblock series 'http_requests_total{code=~\"5..\"}' 'up{job=\"api\"}' --start now-1d
  tsblock series --format json '{__name__=~\"node_.+\"}' --start 2023-11-14 --end 2023-11-15
  tsblock series --format csv '{job=\"node\"}' > series.csv")]
pub struct Args {
    /// PromQL series selectors; a series matching any of them is listed
    #[arg(value_name = "SELECTOR", required = true)]
    selectors: Vec<String>,
    #[command(flatten)]
    time: TimeArgs,
}

pub fn run(args: Args, global: &crate::Global) -> anyhow::Result<()> {
    let selectors = args
        .selectors
        .iter()
        .map(|s| parse_selector(s).with_context(|| format!("selector {s:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (start, end) = args.time.resolve()?;
    let db = Db::open(&global.data_dir(None))?;
    for skipped in db.skipped() {
        eprintln!("tsblock: skipping block: {skipped}");
    }
    let set = db.select(&selectors, start, end)?;
    let mut out = output::stdout()?;
    let mut buf = Vec::new();
    match global.format {
        Format::Json => {
            out.write_all(render::JSON_START)?;
            out.write_all(b"[")?;
            for (i, series) in set.enumerate() {
                let series = series?;
                buf.clear();
                if i > 0 {
                    buf.push(b',');
                }
                render::json_labels(&mut buf, series.labels());
                out.write_all(&buf)?;
            }
            out.write_all(b"]")?;
            out.write_all(render::JSON_END)?;
        }
        Format::Text => {
            for series in set {
                let series = series?;
                buf.clear();
                render::text_labels(&mut buf, series.labels());
                buf.push(b'\n');
                out.write_all(&buf)?;
            }
        }
        Format::Csv => {
            let all = set
                .map(|s| s.map(|s| s.labels().clone()))
                .collect::<tsblock::Result<Vec<Labels>>>()?;
            write_csv(&mut out, &all)?;
        }
    }
    output::finish(out)
}

/// One column per label name, one row per series.
/// Nothing at all when there are no series: there are no columns to name.
fn write_csv(out: &mut impl Write, all: &[Labels]) -> std::io::Result<()> {
    if all.is_empty() {
        return Ok(());
    }
    let names: BTreeSet<&[u8]> = all.iter().flat_map(|l| l.iter().map(|(n, _)| n)).collect();
    let mut buf = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        render::csv_field(&mut buf, name);
    }
    buf.push(render::CSV_EOL);
    out.write_all(&buf)?;
    for labels in all {
        buf.clear();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            render::csv_field(&mut buf, labels.get(name).unwrap_or_default());
        }
        buf.push(render::CSV_EOL);
        out.write_all(&buf)?;
    }
    Ok(())
}
