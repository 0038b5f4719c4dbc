//! tsblock: a fast, read-only reader for Prometheus TSDB blocks.
//!
//! It opens the block directories real Prometheus writes (`meta.json`, `index`,
//! `chunks/000001…`, `tombstones`) through read-only memory maps and answers range queries
//! exactly as Prometheus does: same matcher semantics, same merge of overlapping blocks,
//! same tombstone trimming.
//!
//! ```
//! use tsblock::{parse_selector, Db};
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/multi");
//! let db = Db::open(dir.as_ref())?;
//! let selector = parse_selector(r#"{__name__=~".+", job!="nope"}"#)?;
//! let mut samples = 0;
//! for series in db.select(&[selector], i64::MIN, i64::MAX)? {
//!     let series = series?;
//!     for sample in series.samples() {
//!         let (_timestamp_ms, _value) = sample?;
//!         samples += 1;
//!     }
//! }
//! assert!(samples > 0);
//! let names = db.label_names(&[], i64::MIN, i64::MAX)?;
//! assert!(names.iter().any(|n| n == b"__name__"));
//! # Ok::<(), tsblock::Error>(())
//! ```
//!
//! # Reading is lazy
//! Opening a block reads its index header, TOC, and the symbol and postings offset tables,
//! keeping only every 32nd entry of each in memory. Series entries, postings lists and
//! chunks are decoded straight from the maps when a query touches them; a chunk segment is
//! mapped the first time one of its chunks is read.
//!
//! # The memory-map contract
//! Block files are mapped read-only and shared (`MAP_SHARED`), so the kernel pages them in
//! on demand and can drop them under memory pressure. This is sound because blocks are
//! immutable: Prometheus (and tsblock-tools) write a block under a temporary name and
//! rename it into place, and remove blocks whole. Deleting a block that is open is fine on
//! Linux. **Truncating or rewriting a block file while it is open is not**: a read of a
//! vanished page kills the process with SIGBUS. Do not point tsblock at files another
//! program modifies in place.
//!
//! # Untrusted bytes
//! Every read from a map goes through a bounds-checked cursor, every length and offset from
//! disk through checked arithmetic, and every CRC32C the format has is verified when its
//! data is read. Damage is reported as an [`Error`] naming the file, section and offset;
//! iterators yield the error and stop.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod block;
pub mod chunkenc;
pub mod chunks;
pub mod db;
pub mod decode;
pub mod error;
pub mod format;
pub mod index;
pub mod labels;
pub mod promtext;
pub mod query;
pub mod storage;
pub mod tombstones;

pub use block::Block;
pub use db::Db;
pub use error::{Error, Result};
pub use labels::Labels;
pub use query::{parse_selector, MatchOp, Matcher, Samples, Series, SeriesSet};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::Db>();
        assert_send_sync::<crate::Block>();
        assert_send_sync::<crate::Series<'static>>();
        assert_send_sync::<crate::SeriesSet<'static>>();
        assert_send_sync::<crate::Samples<'static>>();
        assert_send_sync::<crate::Matcher>();
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::Labels>();
    }
}
