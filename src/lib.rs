//! tsblock: a fast, read-only reader for Prometheus TSDB blocks.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod chunkenc;
pub mod decode;
pub mod error;
pub mod promtext;
pub mod storage;

pub use error::{Error, Result};
pub mod format;
pub mod index;
pub mod chunks;
pub mod tombstones;
pub mod block;
pub mod db;
pub mod labels;
pub mod query;
