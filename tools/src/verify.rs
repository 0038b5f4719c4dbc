//! `tsblock-tools verify` (being written).

/// Not available yet.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`verify` is not available yet")
}
