//! `tsblock-tools import` (being written).

/// Not available yet.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`import` is not available yet")
}
