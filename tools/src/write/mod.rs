//! Block writers: index, chunk segments, tombstones, meta.json.
//!
//! INTERFACE CONTRACT (implemented by the writers work; import, generate and compact use
//! only what is declared here):
//!
//! ```text
//! let mut w = BlockWriter::create(data_dir, min_time, max_time)?; // <dir>/<ULID>.tmp-for-creation
//! w.set_compaction(level, sources, parents);                    // optional; default level 1
//! for (labels, samples) in series_in_label_order {
//!     w.add_series(&labels, &samples)?; // labels strictly increasing (tsblock::Labels order),
//!                                       // samples strictly increasing in time, all in
//!                                       // [min_time, max_time); empty label values dropped
//! }
//! let written: WrittenBlock = w.finish()?; // fsync files + dir, rename to <dir>/<ULID>
//! ```
//!
//! A writer that is dropped without `finish` removes its temporary directory.
