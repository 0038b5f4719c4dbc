//! `tsblock list` (being written).

/// Not available yet.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _global: &crate::Global) -> anyhow::Result<()> {
    anyhow::bail!("`list` is not available yet")
}
