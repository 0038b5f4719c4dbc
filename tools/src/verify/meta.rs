//! meta.json: version, ULID, time range, and stats against the block's content.

use std::path::Path;

use serde_json::Value;
use tsblock::db::is_ulid;

use super::{ProblemKind, Sink};

const FILE: &str = "meta.json";

/// What verify needs from meta.json.
pub(crate) struct Meta {
    /// `[minTime, maxTime)`, when both are present and valid.
    pub(crate) range: Option<(i64, i64)>,
    /// Stats, when the object is present (zero fields are omitted by Prometheus).
    stats: Option<Stats>,
    /// The file's text, to point at fields.
    text: Vec<u8>,
}

#[derive(Default)]
struct Stats {
    series: u64,
    chunks: u64,
    samples: u64,
    tombstones: u64,
}

/// Counts found in the block; `None` where they could not be established (damage).
pub(crate) struct Found {
    pub(crate) series: Option<u64>,
    pub(crate) chunks: Option<u64>,
    pub(crate) samples: Option<u64>,
    pub(crate) tombstones: Option<u64>,
}

/// Byte offset of the first `"key"` in the text.
fn key_offset(text: &[u8], key: &str) -> u64 {
    let pat = format!("\"{key}\"");
    text.windows(pat.len())
        .position(|w| w == pat.as_bytes())
        .unwrap_or(0) as u64
}

/// Check meta.json of the block in `dir`.
pub(crate) fn verify_meta(dir: &Path, sink: &mut Sink) -> Option<Meta> {
    let path = dir.join(FILE);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            sink.add(FILE, None, ProblemKind::Io, format!("cannot read: {e}"));
            return None;
        }
    };
    let v: Value = match serde_json::from_slice(&text) {
        Ok(v) => v,
        Err(e) => {
            sink.add(FILE, None, ProblemKind::Meta, format!("invalid JSON: {e}"));
            return None;
        }
    };
    let at = |key: &str| Some(key_offset(&text, key));
    if !v.is_object() {
        sink.add(FILE, Some(0), ProblemKind::Meta, "not a JSON object");
        return None;
    }
    match v.get("version") {
        Some(ver) if ver.as_u64() == Some(1) => {}
        Some(ver) => sink.add(
            FILE,
            at("version"),
            ProblemKind::Meta,
            format!("version {ver}, only 1 is defined"),
        ),
        None => sink.add(FILE, Some(0), ProblemKind::Meta, "no version field"),
    }
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match v.get("ulid").and_then(Value::as_str) {
        Some(u) => {
            if !is_ulid(u) {
                sink.add(
                    FILE,
                    at("ulid"),
                    ProblemKind::Meta,
                    format!("ulid {u:?} is not a valid ULID"),
                );
            } else if u != dir_name {
                sink.add(
                    FILE,
                    at("ulid"),
                    ProblemKind::Meta,
                    format!("ulid {u} differs from the directory name {dir_name:?}"),
                );
            }
        }
        None => sink.add(FILE, Some(0), ProblemKind::Meta, "no ulid string"),
    }
    let min = v.get("minTime").and_then(Value::as_i64);
    let max = v.get("maxTime").and_then(Value::as_i64);
    if min.is_none() {
        sink.add(FILE, at("minTime"), ProblemKind::Meta, "no integer minTime");
    }
    if max.is_none() {
        sink.add(FILE, at("maxTime"), ProblemKind::Meta, "no integer maxTime");
    }
    let mut range = None;
    if let (Some(min), Some(max)) = (min, max) {
        if min >= max {
            sink.add(
                FILE,
                at("maxTime"),
                ProblemKind::Meta,
                format!("minTime {min} is not before maxTime {max}"),
            );
        } else {
            range = Some((min, max));
        }
    }
    let stats = match v.get("stats") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            let mut s = Stats::default();
            for (key, slot) in [
                ("numSeries", &mut s.series),
                ("numChunks", &mut s.chunks),
                ("numSamples", &mut s.samples),
                ("numTombstones", &mut s.tombstones),
            ] {
                match o.get(key) {
                    None => {}
                    Some(x) => match x.as_u64() {
                        Some(n) => *slot = n,
                        None => sink.add(
                            FILE,
                            at(key),
                            ProblemKind::Meta,
                            format!("stats.{key} is not a count: {x}"),
                        ),
                    },
                }
            }
            Some(s)
        }
        Some(other) => {
            sink.add(
                FILE,
                at("stats"),
                ProblemKind::Meta,
                format!("stats is not an object: {other}"),
            );
            None
        }
    };
    Some(Meta { range, stats, text })
}

/// Compare meta.json's stats with what the block holds.
pub(crate) fn check_stats(meta: &Meta, found: &Found, sink: &mut Sink) {
    let Some(stats) = &meta.stats else {
        return;
    };
    for (key, claimed, actual) in [
        ("numSeries", stats.series, found.series),
        ("numChunks", stats.chunks, found.chunks),
        ("numSamples", stats.samples, found.samples),
        ("numTombstones", stats.tombstones, found.tombstones),
    ] {
        if let Some(actual) = actual {
            if actual != claimed {
                sink.add(
                    FILE,
                    Some(key_offset(&meta.text, key)),
                    ProblemKind::Stats,
                    format!("stats.{key} is {claimed}, the block holds {actual}"),
                );
            }
        }
    }
}
