//! `tsblock labels` and `tsblock label-values` (being written).

/// Not available yet.
#[derive(clap::Args)]
pub struct LabelsArgs {}

/// Not available yet.
#[derive(clap::Args)]
pub struct LabelValuesArgs {}

pub fn run_labels(_args: LabelsArgs, _global: &crate::Global) -> anyhow::Result<()> {
    anyhow::bail!("`labels` is not available yet")
}

pub fn run_label_values(_args: LabelValuesArgs, _global: &crate::Global) -> anyhow::Result<()> {
    anyhow::bail!("`label-values` is not available yet")
}
