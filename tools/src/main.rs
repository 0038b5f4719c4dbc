//! `tsblock-tools`: writers for Prometheus TSDB blocks (import, compact, verify, generate).
//!
//! The commands land in later work; for now the binary only explains itself.

use std::process::ExitCode;

const USAGE: &str = "\
tsblock-tools: build, compact and verify Prometheus TSDB blocks

Usage: tsblock-tools <COMMAND>

Commands (planned):
  import openmetrics INPUT [OUTPUT_DIR]   build blocks from OpenMetrics text
  compact DATA_DIR                        merge overlapping and adjacent blocks
  verify PATH                             check every CRC and invariant
  generate OUTPUT_DIR                     write synthetic benchmark data
";

fn main() -> ExitCode {
    eprint!("{USAGE}");
    match std::env::args().nth(1).as_deref() {
        None | Some("-h") | Some("--help") | Some("help") => ExitCode::SUCCESS,
        Some(other) => {
            eprintln!("error: command `{other}` is not available yet");
            ExitCode::from(2)
        }
    }
}
