//! Chunk encodings (stub, being written).
