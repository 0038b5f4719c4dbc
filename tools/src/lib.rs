//! tsblock-tools: writers for Prometheus TSDB blocks, and the commands built on them:
//! OpenMetrics import, compaction, verification and synthetic data generation.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod compact;
pub mod generate;
pub mod import;
pub mod verify;
pub mod write;
