//! `tsblock-tools`: build, compact, verify and generate Prometheus TSDB blocks.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tsblock_tools::{compact, generate, import, verify};

/// Build, compact and verify Prometheus TSDB blocks.
#[derive(Parser)]
#[command(name = "tsblock-tools", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build blocks from sample data.
    #[command(subcommand)]
    Import(ImportCommand),
    Compact(compact::Args),
    Verify(verify::Args),
    Generate(generate::Args),
}

#[derive(Subcommand)]
enum ImportCommand {
    Openmetrics(import::Args),
}

fn main() -> ExitCode {
    // Compaction opens every source block's segments at once.
    #[cfg(unix)]
    let _ = tsblock::storage::raise_fd_limit();
    let result = match Cli::parse().command {
        Command::Import(ImportCommand::Openmetrics(args)) => import::run(args),
        Command::Compact(args) => compact::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Generate(args) => generate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e
                .chain()
                .map(|c| c.to_string().replace('\n', " "))
                .collect();
            eprintln!("tsblock-tools: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
