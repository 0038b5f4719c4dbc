//! `tsblock completions`: shell completion scripts, generated from the CLI definition.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::output;

/// Print a completion script for SHELL to stdout.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  tsblock completions bash > ~/.local/share/bash-completion/completions/tsblock
  tsblock completions zsh > ~/.zfunc/_tsblock      # with fpath+=~/.zfunc in ~/.zshrc
  tsblock completions fish > ~/.config/fish/completions/tsblock.fish")]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args, _global: &crate::Global) -> anyhow::Result<()> {
    let mut cmd = crate::Cli::command();
    // Generated into memory: clap_complete panics on write errors, and `| head` is not one.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tsblock", &mut script);
    let mut out = output::stdout()?;
    out.write_all(&script)?;
    output::finish(out)
}
