//! Block writers: index, chunk segments, tombstones, meta.json (being written).
