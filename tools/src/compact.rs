//! `tsblock-tools compact`: merge the blocks of a data directory the way Prometheus'
//! compactor does, offline.
//!
//! **Plan** ([`plan`]): overlapping blocks are merged first (vertical compaction); then
//! adjacent blocks that fall into one aligned range of 6h, 18h, 54h, … (2h·3ⁱ, up to
//! `--max-block-duration`, default 31d) are merged (horizontal); then big blocks with many
//! tombstones are rewritten. This repeats until nothing is left to do. Unlike Prometheus,
//! the newest block takes part by default (an offline data dir gets no new head block next
//! to it; `--keep-newest` restores Prometheus' behaviour). `--eager` also merges ranges that
//! are not full yet and rewrites every block with tombstones.
//!
//! **Content.** A new block holds exactly what a query of the data dir returns for its
//! time range: one sample per timestamp, tombstoned samples removed (the new block has no
//! tombstones), and conflicting duplicates of overlapping blocks resolved as `tsblock dump`
//! and `promtool tsdb dump` resolve them, so the dump of the data dir is byte-identical
//! before and after. Samples are re-encoded into XOR chunks cut like Prometheus' head cuts
//! them. meta.json: level = highest parent level + 1, sources = sorted union of the
//! parents' sources, parents = the merged blocks. A result without samples is not written.
//!
//! **Crash safety.** A new block is written to `<ULID>.tmp-for-creation`, every file and
//! the directory are fsynced, and it is renamed into place. Only then are the sources
//! retired: each is renamed to `<ULID>.tmp-for-deletion` (readers stop seeing it), the data
//! dir is fsynced, and the directories are deleted. Killed at any point, the data dir holds
//! either the sources, or the sources and the new block (same samples; readers merge
//! them), or the new block; `*.tmp-for-*` directories are ignored by readers. A later run
//! removes those leftovers and retires blocks that a present block lists as its parents
//! (what Prometheus does at startup), then goes on planning. A query that already has a
//! source block open keeps reading it while it is deleted (its files stay mapped).
//!
//! One limit comes from the read semantics, not from the writing: when merged blocks hold
//! *conflicting* duplicates (same series and timestamp, different values), which value a
//! query shows depends on the exact set of blocks (promtool's heap-based merge). In the
//! short window where the new block sits beside its sources, a query may show another of
//! the conflicting values; no sample is lost or duplicated, and finishing (or re-running)
//! the compaction restores the exact result. No order of renames avoids this; a reader
//! that hides blocks listed as `parents` of another block (as the Prometheus server does)
//! would.
//!
//! Do not run it on the data dir of a running Prometheus.

pub mod plan;

mod exec;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use exec::{TMP_CREATION, TMP_DELETION};
pub use plan::{
    format_duration, parse_duration, plan_all, plan_next, BlockInfo, PlanOptions, Reason, Step,
};

/// Progress points of a compaction run, for progress output and crash tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A step is about to start.
    StepStarted,
    /// One merged series was written.
    Series,
    /// A new block was renamed into place.
    BlockWritten,
    /// A source block was renamed to `*.tmp-for-deletion`.
    SourceRenamed,
    /// A retired source block was deleted.
    SourceDeleted,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The plan step.
    pub step: Step,
    /// The new block (`None`: the result was empty and nothing was written).
    pub written: Option<PathBuf>,
    /// Series and samples in the new block.
    pub series: u64,
    /// Samples in the new block.
    pub samples: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Leftover `*.tmp-for-*` directories of an earlier run that were removed.
    pub removed_leftovers: Vec<PathBuf>,
    /// Blocks superseded by a block listing them as parents, retired.
    pub retired_superseded: Vec<String>,
    /// The compactions done, in order.
    pub steps: Vec<StepReport>,
}

/// The planner's view of the blocks of `data_dir` now, and the names of block directories
/// skipped because their meta.json is unreadable.
pub fn blocks(data_dir: &Path) -> anyhow::Result<(Vec<BlockInfo>, Vec<String>)> {
    let (found, skipped) = exec::read_blocks(data_dir)?;
    Ok((found.into_iter().map(|f| f.info).collect(), skipped))
}

/// The compactions a run would do, without changing anything: first the leftovers it would
/// remove and the superseded blocks it would retire, then the steps.
pub fn dry_run(data_dir: &Path, opts: &PlanOptions) -> anyhow::Result<Report> {
    let leftovers = exec::leftovers(data_dir)?;
    let (found, _) = exec::read_blocks(data_dir)?;
    let superseded = exec::superseded(&found);
    let blocks: Vec<BlockInfo> = found
        .into_iter()
        .map(|f| f.info)
        .filter(|b| !superseded.iter().any(|s| s.ulid == b.ulid))
        .collect();
    Ok(Report {
        removed_leftovers: leftovers,
        retired_superseded: superseded.into_iter().map(|b| b.ulid).collect(),
        steps: plan_all(&blocks, opts)
            .into_iter()
            .map(|step| StepReport {
                step,
                written: None,
                series: 0,
                samples: 0,
            })
            .collect(),
    })
}

/// Compact `data_dir` until the planner has nothing left to do. `event` is called at each
/// progress point.
pub fn compact_dir(
    data_dir: &Path,
    opts: &PlanOptions,
    event: &dyn Fn(Event),
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let leftovers = exec::leftovers(data_dir)?;
    exec::remove_leftovers(data_dir, &leftovers)?;
    report.removed_leftovers = leftovers;
    loop {
        let (found, _) = exec::read_blocks(data_dir)?;
        let superseded = exec::superseded(&found);
        if !superseded.is_empty() {
            exec::retire(data_dir, &superseded, event)?;
            report
                .retired_superseded
                .extend(superseded.into_iter().map(|b| b.ulid));
            continue;
        }
        let blocks: Vec<BlockInfo> = found.into_iter().map(|f| f.info).collect();
        // Every run of overlapping blocks at once, from one query of the whole dir: merging
        // one run changes how a query breaks ties in the others.
        let mut groups = Vec::new();
        let mut rest = blocks.clone();
        while let Some(step) = plan_next(&rest, opts).filter(|s| s.reason == Reason::Overlap) {
            rest.retain(|b| !step.blocks.iter().any(|s| s.ulid == b.ulid));
            groups.push(step);
        }
        let whole_dir = !groups.is_empty();
        if groups.is_empty() {
            match plan_next(&blocks, opts) {
                Some(step) => groups.push(step),
                None => break,
            }
        }
        event(Event::StepStarted);
        let written = exec::write_groups(data_dir, &groups, whole_dir, event)?;
        let sources: Vec<BlockInfo> = groups.iter().flat_map(|g| g.blocks.clone()).collect();
        exec::retire(data_dir, &sources, event)?;
        for (step, w) in groups.into_iter().zip(written) {
            report.steps.push(StepReport {
                step,
                series: w.as_ref().map_or(0, |w| w.info.stats.num_series),
                samples: w.as_ref().map_or(0, |w| w.info.stats.num_samples),
                written: w.map(|w| w.path),
            });
        }
    }
    Ok(report)
}

/// Merge the blocks of a data directory as Prometheus' compactor would, offline.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Plan: overlapping blocks first; then adjacent blocks inside one aligned \
range of 6h, 18h, 54h, ... (2h times powers of 3, up to --max-block-duration); then big \
blocks with many tombstones. Repeats until nothing is left. The dump of the data dir is the \
same before and after. Stop Prometheus first.

Examples:
  tsblock-tools compact --dry-run data/
  tsblock-tools compact --max-block-duration 36h data/"
)]
pub struct Args {
    /// Prometheus data directory.
    data_dir: PathBuf,
    /// Largest block to create (e.g. 36h, 31d; Prometheus' default is 10% of the retention
    /// time, at most 31d).
    #[arg(long, value_name = "DURATION", default_value = "31d", value_parser = parse_duration)]
    max_block_duration: i64,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Leave the newest block out of range merges, as a running Prometheus does.
    #[arg(long, conflicts_with = "eager")]
    keep_newest: bool,
    /// Treat the data as final: also merge ranges that are not full yet, and rewrite every
    /// block that has tombstones.
    #[arg(long)]
    eager: bool,
    /// No progress or summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Environment variable for crash tests: when set, at every progress point (each series
/// written, the new block's rename, each source's rename and deletion) compact prints
/// [`STEP_MARKER`] on stderr and waits for a line on stdin, so a test can SIGKILL it at an
/// exact point.
pub const STEP_ENV: &str = "TSBLOCK_TOOLS_COMPACT_STEP";

/// The line [`STEP_ENV`] prints at each progress point.
pub const STEP_MARKER: &str = "tsblock-tools: compact step";

fn describe(b: &BlockInfo) -> String {
    format!(
        "{} [{}, {}) {} level {}",
        b.ulid,
        b.min_time,
        b.max_time,
        format_duration(b.max_time - b.min_time),
        b.level
    )
}

/// Run the command.
pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = PlanOptions {
        max_block_duration: args.max_block_duration,
        keep_newest: args.keep_newest,
        eager: args.eager,
    };
    let dir = &args.data_dir;
    anyhow::ensure!(dir.is_dir(), "{} is not a directory", dir.display());
    let (_, skipped) = blocks(dir)?;
    if !args.quiet {
        for s in &skipped {
            eprintln!("tsblock-tools: skipping {s}: unreadable meta.json");
        }
    }
    if args.dry_run {
        let r = dry_run(dir, &opts)?;
        let ranges: Vec<String> = opts.ranges().into_iter().map(format_duration).collect();
        println!("plan for {} (ranges {}):", dir.display(), ranges.join(", "));
        for l in &r.removed_leftovers {
            println!("remove leftover {}", l.display());
        }
        for s in &r.retired_superseded {
            println!("retire {s}: superseded by a block that lists it as a parent");
        }
        if r.steps.is_empty() {
            println!("nothing to compact");
        }
        for (i, s) in r.steps.iter().enumerate() {
            let st = &s.step;
            println!(
                "{}. merge {} block(s) ({}) into new-{} [{}, {}) {} level {}:",
                i + 1,
                st.blocks.len(),
                st.reason,
                i + 1,
                st.min_time(),
                st.max_time(),
                format_duration(st.max_time() - st.min_time()),
                st.level()
            );
            for b in &st.blocks {
                println!("     {}", describe(b));
            }
        }
        return Ok(());
    }
    let stepping = std::env::var_os(STEP_ENV).is_some();
    let spinner = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("compact {spinner} {pos} series {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb
    });
    let event = |e: Event| {
        if stepping {
            eprintln!("{STEP_MARKER}");
            // Wait for the go-ahead; a closed stdin just lets the run finish.
            let _ = std::io::stdin().read_line(&mut String::new());
        }
        if let (Some(pb), Event::Series) = (&spinner, e) {
            pb.inc(1);
        }
    };
    let report =
        compact_dir(dir, &opts, &event).with_context(|| format!("compacting {}", dir.display()))?;
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    if args.quiet {
        return Ok(());
    }
    for l in &report.removed_leftovers {
        eprintln!("tsblock-tools: removed leftover {}", l.display());
    }
    for s in &report.retired_superseded {
        eprintln!("tsblock-tools: retired {s}, superseded by a compacted block");
    }
    for s in &report.steps {
        let names: Vec<&str> = s.step.blocks.iter().map(|b| b.ulid.as_str()).collect();
        match &s.written {
            Some(p) => eprintln!(
                "tsblock-tools: merged {} block(s) ({}; {}) into {} [{}, {}) level {}: {} series, {} samples",
                names.len(),
                s.step.reason,
                names.join(", "),
                p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                s.step.min_time(),
                s.step.max_time(),
                s.step.level(),
                s.series,
                s.samples
            ),
            None => eprintln!(
                "tsblock-tools: removed {} block(s) ({}; {}) without samples left",
                names.len(),
                s.step.reason,
                names.join(", ")
            ),
        }
    }
    if report.steps.is_empty() {
        eprintln!("tsblock-tools: nothing to compact in {}", dir.display());
    }
    Ok(())
}
