//! `meta.json`, formatted as Prometheus formats it: Go's `json.MarshalIndent` with a tab,
//! fields in Prometheus' order, zero stats omitted, no trailing newline.
//!
//! ```text
//! {
//!     "ulid": "01…",
//!     "minTime": 0,
//!     "maxTime": 7200000,
//!     "stats": { "numSamples": …, "numSeries": …, "numChunks": …[, "numTombstones": …] },
//!     "compaction": { "level": 1, "sources": [ "01…" ][, "parents": [ {ulid, minTime, maxTime} ]] },
//!     "version": 1
//! }
//! ```

use serde::Serialize;
use ulid::Ulid;

/// A block this one was compacted from (`compaction.parents[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDesc {
    /// The parent's ULID.
    #[serde(serialize_with = "ser_ulid")]
    pub ulid: Ulid,
    /// The parent's minTime.
    pub min_time: i64,
    /// The parent's maxTime.
    pub max_time: i64,
}

/// The block statistics meta.json records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Samples in all chunks.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Series in the index.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Chunks in the segments.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Tombstone intervals.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn ser_ulid<S: serde::Serializer>(u: &Ulid, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&u.to_string())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaJson<'a> {
    ulid: String,
    min_time: i64,
    max_time: i64,
    stats: Stats,
    compaction: CompactionJson<'a>,
    version: u32,
}

#[derive(Serialize)]
struct CompactionJson<'a> {
    level: u32,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    sources: Vec<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    parents: &'a [BlockDesc],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    hints: &'a [String],
}

/// Everything meta.json says about a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaInfo {
    /// The block's ULID.
    pub ulid: Ulid,
    /// First timestamp the block may hold (ms, inclusive).
    pub min_time: i64,
    /// End of the block's range (ms, exclusive).
    pub max_time: i64,
    /// Counts.
    pub stats: Stats,
    /// Compaction level (1 for blocks made from raw samples).
    pub level: u32,
    /// ULIDs of the level-1 ancestors; written sorted and deduplicated.
    pub sources: Vec<Ulid>,
    /// Direct inputs of a compaction.
    pub parents: Vec<BlockDesc>,
    /// Hints such as `from-out-of-order`; written sorted.
    pub hints: Vec<String>,
}

impl MetaInfo {
    /// The meta.json bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut sources = self.sources.clone();
        sources.sort();
        sources.dedup();
        let mut hints = self.hints.clone();
        hints.sort();
        hints.dedup();
        let m = MetaJson {
            ulid: self.ulid.to_string(),
            min_time: self.min_time,
            max_time: self.max_time,
            stats: self.stats,
            compaction: CompactionJson {
                level: self.level,
                sources: sources.iter().map(Ulid::to_string).collect(),
                parents: &self.parents,
                hints: &hints,
            },
            version: 1,
        };
        let mut out = Vec::with_capacity(512);
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        // Serializing plain structs of strings and integers into a Vec cannot fail.
        if m.serialize(&mut ser).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_prometheus() {
        let u = Ulid::from_string("01M81S5K5T0TQMN7EP4EFC8V86").unwrap();
        let m = MetaInfo {
            ulid: u,
            min_time: 1000000000,
            max_time: 1000780372,
            stats: Stats {
                num_samples: 893,
                num_series: 43,
                num_chunks: 47,
                num_tombstones: 0,
            },
            level: 1,
            sources: vec![u],
            parents: vec![],
            hints: vec![],
        };
        let want = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/multi/01M81S5K5T0TQMN7EP4EFC8V86/meta.json"
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8(m.to_json()).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    #[test]
    fn parents_and_tombstones_and_empty_stats() {
        let u = Ulid::from_string("01M81S5K5T0TQMN7EP4EFC8V86").unwrap();
        let p = BlockDesc {
            ulid: u,
            min_time: 1,
            max_time: 2,
        };
        let m = MetaInfo {
            ulid: u,
            min_time: 0,
            max_time: 10,
            stats: Stats {
                num_tombstones: 3,
                ..Stats::default()
            },
            level: 2,
            sources: vec![u, u],
            parents: vec![p],
            hints: vec![],
        };
        let s = String::from_utf8(m.to_json()).unwrap();
        assert!(
            s.contains("\"stats\": {\n\t\t\"numTombstones\": 3\n\t}"),
            "{s}"
        );
        assert!(s.contains("\"parents\": [\n\t\t\t{\n\t\t\t\t\"ulid\": \"01M81S5K5T0TQMN7EP4EFC8V86\",\n\t\t\t\t\"minTime\": 1,\n\t\t\t\t\"maxTime\": 2\n\t\t\t}\n\t\t]"), "{s}");
        assert_eq!(s.matches("01M81S5K5T0TQMN7EP4EFC8V86").count(), 3);
        let empty = MetaInfo {
            stats: Stats::default(),
            ..m
        };
        assert!(String::from_utf8(empty.to_json())
            .unwrap()
            .contains("\"stats\": {},"));
    }
}
