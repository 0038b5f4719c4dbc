//! `tsblock`: query Prometheus TSDB blocks from a shell.

mod analyze;
mod completions;
mod dump;
mod labels;
mod list;
mod output;
mod query;
mod render;
mod series;
mod timearg;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Read Prometheus TSDB data directories: fast, read-only, no server needed.
#[derive(Parser)]
#[command(name = "tsblock", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes.
#[derive(clap::Args)]
pub struct Global {
    /// Prometheus data directory [default: data/]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Worker threads [default: all cores]
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// Output format, for commands that print data
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

impl Global {
    /// The data dir: a positional argument (promtool style) wins over `--data-dir`.
    pub fn data_dir(&self, positional: Option<&Path>) -> PathBuf {
        positional
            .map(Path::to_owned)
            .or_else(|| self.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("data/"))
    }
}

/// How data is printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned, for people.
    Text,
    /// The Prometheus HTTP API's JSON shapes.
    Json,
    /// Comma-separated values with a header.
    Csv,
}

#[derive(Subcommand)]
enum Command {
    Dump(dump::Args),
    Query(query::Args),
    Series(series::Args),
    Labels(labels::LabelsArgs),
    LabelValues(labels::LabelValuesArgs),
    List(list::Args),
    Analyze(analyze::Args),
    Completions(completions::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One descriptor per chunk segment stays open; large data dirs need more than 1024.
    #[cfg(unix)]
    let _ = tsblock::storage::raise_fd_limit();
    if let Some(n) = cli.global.threads {
        // Only fails if a pool was already built, which nothing here does.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let g = &cli.global;
    let result = match cli.command {
        Command::Dump(args) => dump::run(args, g),
        Command::Query(args) => query::run(args, g),
        Command::Series(args) => series::run(args, g),
        Command::Labels(args) => labels::run_labels(args, g),
        Command::LabelValues(args) => labels::run_label_values(args, g),
        Command::List(args) => list::run(args, g),
        Command::Analyze(args) => analyze::run(args, g),
        Command::Completions(args) => completions::run(args, g),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tsblock: {}", output::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
