//! `tsblock dump`: every sample of the selected series, byte-identical to
//! `promtool tsdb dump`.

use std::path::PathBuf;

use anyhow::Context;
use tsblock::db::Db;
use tsblock::promtext;
use tsblock::query::{parse_metric_selector, Series};

use crate::output::{self, Stats};

/// Print samples as `{labels} value timestamp`, one per line, in promtool's format.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock dump testdata/multi
  tsblock dump --match 'up{job=\"api\"}' --min-time 1000000 --max-time 2000000 data/")]
pub struct Args {
    /// Series selector (PromQL syntax); repeat for the union. Default: every series.
    #[arg(long = "match", value_name = "SELECTOR")]
    matchers: Vec<String>,
    /// Start of the range in ms since the epoch, inclusive.
    #[arg(long, default_value_t = i64::MIN, allow_negative_numbers = true)]
    min_time: i64,
    /// End of the range in ms since the epoch, inclusive.
    #[arg(long, default_value_t = i64::MAX, allow_negative_numbers = true)]
    max_time: i64,
    /// Print series, chunks and samples read, blocks opened and elapsed time to stderr
    #[arg(long)]
    stats: bool,
    /// Prometheus data directory [default: --data-dir, else data/]
    data_dir: Option<PathBuf>,
}

pub fn run(args: Args, global: &crate::Global) -> anyhow::Result<()> {
    let selectors = args
        .matchers
        .iter()
        // promtool parses --match with the metric-selector grammar, without PromQL's
        // expression checks, so `{foo=""}` is accepted (and selects series without foo).
        .map(|s| parse_metric_selector(s).with_context(|| format!("--match {s:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let db = Db::open(&global.data_dir(args.data_dir.as_deref()))?;
    for skipped in db.skipped() {
        eprintln!("tsblock: skipping block: {skipped}");
    }
    let stats = Stats::start();
    let mut out = output::stdout();
    let set = db.select(&selectors, args.min_time, args.max_time)?;
    set.par_for_each(
        output::batch_size(),
        |s| format_series(s, &stats),
        |text| output::write(&mut out, &text),
    )?;
    output::finish(out)?;
    if args.stats {
        stats.report(&db, args.min_time, args.max_time);
    }
    Ok(())
}

/// All lines of one series.
fn format_series(series: Series<'_>, stats: &Stats) -> tsblock::Result<Vec<u8>> {
    stats.series(&series);
    let mut prefix = Vec::new();
    promtext::write_labels(&mut prefix, series.labels().iter());
    prefix.push(b' ');
    let mut out = Vec::new();
    let mut ts = itoa::Buffer::new();
    let mut n = 0;
    for sample in series.samples() {
        let (t, v) = sample?;
        out.extend_from_slice(&prefix);
        promtext::write_float(&mut out, v);
        out.push(b' ');
        out.extend_from_slice(ts.format(t).as_bytes());
        out.push(b'\n');
        n += 1;
    }
    stats.samples(n);
    Ok(out)
}
