//! `tsblock dump`: every sample of the selected series, byte-identical to
//! `promtool tsdb dump`.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Mutex;

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
    let mut out = output::stdout()?;
    let set = db.select(&selectors, args.min_time, args.max_time)?;
    set.par_for_each(
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
///
/// Each line is the label prefix (built once) and a tail `value timestamp\n` formatted
/// in place right after it, in one reused buffer, so a line costs one copy into `out`.
fn format_series(series: Series<'_>, stats: &Stats) -> tsblock::Result<Text> {
    stats.series(&series);
    let mut line = Vec::with_capacity(256);
    promtext::write_labels(&mut line, series.labels().iter());
    line.push(b' ');
    let prefix = line.len();
    line.resize(prefix + TAIL, 0);
    let mut out = Text::with_capacity(reserve_guess(series.chunk_count(), prefix));
    let mut ts = promtext::IntFormatter::default();
    let mut n = 0;
    for sample in series.samples() {
        let (t, v) = sample?;
        let Some(tail) = line[prefix..].first_chunk_mut::<TAIL>() else {
            unreachable!("line is prefix + TAIL bytes long")
        };
        let len = format_tail(tail, v, t, &mut ts);
        out.0.extend_from_slice(&line[..prefix + len]);
        n += 1;
    }
    stats.samples(n);
    Ok(out)
}

/// Room for `value timestamp\n`, with the slack the fixed-size writers need.
const TAIL: usize = promtext::FLOAT_BUF + 1 + promtext::INT_BUF;

/// Writes `value timestamp\n` at the start of `tail`, returning its length.
#[inline]
fn format_tail(tail: &mut [u8; TAIL], v: f64, t: i64, ts: &mut promtext::IntFormatter) -> usize {
    let Some(float) = tail.first_chunk_mut::<{ promtext::FLOAT_BUF }>() else {
        unreachable!("FLOAT_BUF <= TAIL")
    };
    // At most 24 bytes; the timestamp goes right after it and a space.
    let n = promtext::format_float(float, v);
    let Some(digits) = tail[n + 1..].first_chunk_mut::<{ promtext::INT_BUF }>() else {
        unreachable!("n + 1 + INT_BUF <= TAIL")
    };
    let m = ts.format(digits, t);
    tail[n] = b' ';
    tail[n + 1 + m] = b'\n';
    n + 2 + m
}

/// Output bytes to reserve for a series: chunks hold about 120 samples (Prometheus'
/// target; a range query reads fewer), each line the prefix plus up to about 40 bytes
/// (over-reserving only costs address space; a final doubling would copy it all). Capped
/// so a huge series grows the usual way instead of reserving memory up front.
fn reserve_guess(chunks: usize, prefix: usize) -> usize {
    const SAMPLES_PER_CHUNK: usize = 120;
    const MAX: usize = 16 << 20;
    chunks
        .saturating_mul(SAMPLES_PER_CHUNK)
        .saturating_mul(prefix + 40)
        .min(MAX)
}

/// One series' dump text. Dropping it (once written) hands its buffer to the next
/// series: writing into memory that is already mapped avoids a page fault per 4 KiB of
/// output, which cost more system time than the formatting's user time.
struct Text(Vec<u8>);

/// Buffers of written [`Text`]s, most recent last, and their total capacity.
static SPARE: Mutex<(Vec<Vec<u8>>, usize)> = Mutex::new((Vec::new(), 0));

/// At most this many bytes of buffer capacity wait in [`SPARE`].
const SPARE_BYTES: usize = 32 << 20;

impl Text {
    /// An empty text with room for `n` bytes, in a spare buffer if one is big enough.
    /// Sizes are rounded up to a power of two so that buffers fit many series.
    fn with_capacity(n: usize) -> Text {
        let n = n.max(1 << 16).next_power_of_two();
        let spare = SPARE.lock().ok().and_then(|mut spare| {
            let i = spare.0.iter().rposition(|b| b.capacity() >= n)?;
            let buf = spare.0.swap_remove(i);
            spare.1 -= buf.capacity();
            Some(buf)
        });
        Text(spare.unwrap_or_else(|| Vec::with_capacity(n)))
    }
}

impl Deref for Text {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        buf.clear();
        if let Ok(mut spare) = SPARE.lock() {
            if spare.1 + buf.capacity() <= SPARE_BYTES {
                spare.1 += buf.capacity();
                spare.0.push(buf);
            }
        }
    }
}
