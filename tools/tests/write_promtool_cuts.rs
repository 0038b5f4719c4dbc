//! Chunk cutting against promtool 2.42: the same samples backfilled by
//! `promtool tsdb create-blocks-from openmetrics` and written by BlockWriter (with
//! promtool's chunk range, twice the 2h block duration) give the same chunks, byte for
//! byte, including the 30-sample re-estimate, the 240-sample hard cut after a rate
//! increase, irregular timestamps and series that start late.

mod write_util;

use std::fmt::Write as _;

use tsblock::{Db, Labels};
use tsblock_tools::generate::openmetrics::push_timestamp;
use tsblock_tools::write::BlockWriter;
use write_util::{promtool, run_promtool, TempDir};

/// Deterministic pseudo-random numbers (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn series_set() -> Vec<(String, Vec<(i64, f64)>)> {
    let t0: i64 = 1_000_000_000_000; // 800 s before a 2h boundary, in the first half of 4h
    let mut r = Rng(0x1234_5678);
    let mut out = Vec::new();
    let mut add = |name: &str, ts: Vec<i64>, r: &mut Rng| {
        let v = ts
            .into_iter()
            .map(|t| (t, (r.next() % 10_000) as f64 / 8.0))
            .collect();
        out.push((name.to_owned(), v));
    };
    add("s01", (0..30_000).map(|i| t0 + i * 1000).collect(), &mut r);
    add("s15", (0..2_000).map(|i| t0 + i * 15_000).collect(), &mut r);
    add("s60", (0..600).map(|i| t0 + i * 60_000).collect(), &mut r);
    let mut t = t0;
    let jittered: Vec<i64> = (0..3_000)
        .map(|_| {
            t += 7_000 + (r.next() % 6_000) as i64;
            t
        })
        .collect();
    add("s10j", jittered, &mut r);
    // 30 slow samples, then a 1 s burst: the estimate is far away, so 240 cuts.
    let burst = (0..30)
        .map(|i| t0 + i * 60_000)
        .chain((0..3_000).map(|i| t0 + 1_800_000 + i * 1000))
        .collect();
    add("burst", burst, &mut r);
    add(
        "late",
        (0..3_000).map(|i| t0 + 3 * 3_600_000 + i * 5000).collect(),
        &mut r,
    );
    out
}

#[test]
fn chunks_are_cut_like_promtool_backfill() {
    let Some(promtool) = promtool() else { return };
    let tmp = TempDir::new("cuts");
    let set = series_set();
    let mut om = String::from("# TYPE m gauge\n");
    for (name, samples) in &set {
        for &(t, v) in samples {
            let mut ts = Vec::new();
            push_timestamp(&mut ts, t);
            let _ = writeln!(
                om,
                "m{{s=\"{name}\"}} {v} {}",
                String::from_utf8(ts).unwrap()
            );
        }
    }
    om.push_str("# EOF\n");
    let input = tmp.path().join("in.om");
    std::fs::write(&input, om).unwrap();
    let theirs = tmp.path().join("theirs");
    run_promtool(
        &promtool,
        &[
            "tsdb".as_ref(),
            "create-blocks-from".as_ref(),
            "openmetrics".as_ref(),
            input.as_os_str(),
            theirs.as_os_str(),
        ],
    );
    let db = Db::open(&theirs).unwrap();
    assert!(db.blocks().len() >= 5);
    let ours = tmp.path().join("ours");
    let mut sorted: Vec<(Labels, &Vec<(i64, f64)>)> = set
        .iter()
        .map(|(n, s)| {
            (
                Labels::from_pairs([("__name__", "m"), ("s", n.as_str())]),
                s,
            )
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut chunks_seen = 0;
    for b in db.blocks() {
        let m = b.meta();
        let mut w = BlockWriter::create(&ours, m.min_time, m.max_time).unwrap();
        w.set_sync(false);
        w.set_chunk_range(2 * 7_200_000).unwrap();
        for (labels, samples) in &sorted {
            let part: Vec<(i64, f64)> = samples
                .iter()
                .copied()
                .filter(|&(t, _)| t >= m.min_time && t < m.max_time)
                .collect();
            w.add_series(labels, &part).unwrap();
        }
        let written = w.finish().unwrap();
        assert_eq!(written.meta.stats, m.stats, "block {}", m.ulid);
        let seg = |dir: &std::path::Path| std::fs::read(dir.join("chunks/000001")).unwrap();
        assert!(
            seg(&written.path) == seg(b.dir()),
            "chunks of block [{}, {}) differ from promtool's",
            m.min_time,
            m.max_time
        );
        chunks_seen += m.stats.num_chunks;
    }
    assert!(chunks_seen > 200, "{chunks_seen}");
}
