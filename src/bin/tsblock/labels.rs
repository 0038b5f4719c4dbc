//! `tsblock labels` and `tsblock label-values`: label names and values, like Prometheus'
//! /api/v1/labels and /api/v1/label/<name>/values.

use anyhow::Context;
use tsblock::db::Db;
use tsblock::query::{parse_selector, Matcher};

use crate::output;
use crate::render;
use crate::timearg::TimeArgs;

/// List label names, sorted.
///
/// Names come from the blocks that overlap the time range; with --match, only from the
/// series matching one of the selectors there. Formats: text one per line (quoted when
/// a name holds special characters), json the /api/v1/labels answer, csv a `name` column.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock labels --data-dir data/
  tsblock labels --match up --match 'node_load1{instance=\"db1\"}'
  tsblock labels --format json --start now-6h --end now")]
pub struct LabelsArgs {
    /// Only names of series matching this PromQL selector; repeat for the union
    #[arg(long = "match", value_name = "SELECTOR")]
    matchers: Vec<String>,
    #[command(flatten)]
    time: TimeArgs,
}

/// List the values of one label, sorted.
///
/// Values come from the blocks that overlap the time range; with --match, only from the
/// series matching one of the selectors there. Formats: text one per line (Go-quoted
/// when a value holds special characters, e.g. a newline), json the
/// /api/v1/label/<name>/values answer, csv a `value` column.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock label-values --data-dir data/ job
  tsblock label-values __name__ --start 2023-11-14T00:00:00Z --end 2023-11-15T00:00:00Z
  tsblock label-values instance --match 'up{job=\"api\"}' --format json")]
pub struct LabelValuesArgs {
    /// Label name, e.g. job or __name__ for metric names
    #[arg(value_name = "NAME")]
    name: String,
    /// Only values in series matching this PromQL selector; repeat for the union
    #[arg(long = "match", value_name = "SELECTOR")]
    matchers: Vec<String>,
    #[command(flatten)]
    time: TimeArgs,
}

fn selectors(texts: &[String]) -> anyhow::Result<Vec<Vec<Matcher>>> {
    texts
        .iter()
        .map(|s| parse_selector(s).with_context(|| format!("--match {s:?}")))
        .collect()
}

fn open(global: &crate::Global) -> anyhow::Result<Db> {
    let db = Db::open(&global.data_dir(None))?;
    for skipped in db.skipped() {
        eprintln!("tsblock: skipping block: {skipped}");
    }
    Ok(db)
}

pub fn run_labels(args: LabelsArgs, global: &crate::Global) -> anyhow::Result<()> {
    let selectors = selectors(&args.matchers)?;
    let (start, end) = args.time.resolve()?;
    let db = open(global)?;
    let names = db.label_names(&selectors, start, end)?;
    let mut out = output::stdout()?;
    render::string_list(&mut out, global.format, "name", &names)?;
    output::finish(out)
}

pub fn run_label_values(args: LabelValuesArgs, global: &crate::Global) -> anyhow::Result<()> {
    let selectors = selectors(&args.matchers)?;
    let (start, end) = args.time.resolve()?;
    let db = open(global)?;
    let values = db.label_values(&args.name, &selectors, start, end)?;
    let mut out = output::stdout()?;
    render::string_list(&mut out, global.format, "value", &values)?;
    output::finish(out)
}
