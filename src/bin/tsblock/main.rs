//! `tsblock`: query Prometheus TSDB blocks from a shell.

mod dump;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Read Prometheus TSDB data directories: fast, read-only, no server needed.
#[derive(Parser)]
#[command(name = "tsblock", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Dump(dump::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dump(args) => dump::run(args),
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
