//! `tsblock completions` (being written).

/// Not available yet.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _global: &crate::Global) -> anyhow::Result<()> {
    anyhow::bail!("`completions` is not available yet")
}
