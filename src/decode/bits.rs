//! MSB-first bit reader for chunk payloads (stub, being written).
