//! Property test: arbitrary series → BlockWriter → tsblock::Db → the same series, with
//! bit-exact values.

mod write_util;

use std::collections::BTreeMap;

use proptest::prelude::*;
use tsblock::{Db, Labels};
use tsblock_tools::write::BlockWriter;
use write_util::TempDir;

/// Label strings: unicode, quotes, backslashes, newlines, sometimes empty.
fn label_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c]{0,2}",
        "[a-z_]{1,8}",
        "\\PC{0,6}",
        Just("\"quoted\"\n\\slash".to_owned()),
        Just("🎉 ünï\tcode".to_owned()),
        Just(String::new()),
    ]
}

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[a-z_]{1,4}|\\PC{1,3}|__name__", label_string(), 1..5)
}

/// Values with the special bit patterns the format must keep exactly.
fn value_bits() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => any::<u64>(),
        1 => Just(0x7FF0_0000_0000_0002u64), // stale marker
        1 => Just(0x7FF8_0000_0000_0001u64), // Go's NaN
        1 => Just(f64::INFINITY.to_bits()),
        1 => Just(f64::NEG_INFINITY.to_bits()),
        1 => Just((-0.0f64).to_bits()),
        1 => Just(1u64),                     // smallest subnormal
        1 => Just(0x000F_FFFF_FFFF_FFFFu64), // largest subnormal
        2 => (0..100u32).prop_map(|v| f64::from(v).to_bits()),
        2 => Just(1.5f64.to_bits()),
    ]
}

/// Strictly increasing, irregular timestamps (possibly negative) with their values.
fn samples() -> impl Strategy<Value = Vec<(i64, u64)>> {
    (
        -5_000_000_000i64..5_000_000_000,
        prop::collection::vec(
            (
                prop_oneof![
                    4 => 1i64..30_000,
                    1 => Just(15_000i64),
                    1 => 1i64..10_000_000,
                ],
                value_bits(),
            ),
            0..400,
        ),
    )
        .prop_map(|(start, steps)| {
            let mut t = start;
            steps
                .into_iter()
                .map(|(d, v)| {
                    t += d;
                    (t, v)
                })
                .collect()
        })
}

type Case = Vec<(BTreeMap<String, String>, Vec<(i64, u64)>)>;

fn case() -> impl Strategy<Value = (Case, i64, u64)> {
    (
        prop::collection::vec((labels(), samples()), 1..12),
        prop_oneof![Just(7_200_000i64), Just(14_400_000), 1_000i64..100_000_000],
        prop_oneof![Just(512u64 << 20), 64u64..4096],
    )
}

/// What the block must hold: labels with empty values dropped, first series wins on a
/// duplicate, series without samples or labels absent, in label order.
fn expected(case: &Case) -> BTreeMap<Labels, Vec<(i64, u64)>> {
    let mut out = BTreeMap::new();
    for (l, s) in case {
        let clean = Labels::from_pairs(l.iter().filter(|(_, v)| !v.is_empty()));
        if clean.is_empty() || s.is_empty() || out.contains_key(&clean) {
            continue;
        }
        out.insert(clean, s.clone());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn block_round_trip((case, chunk_range, segment_size) in case()) {
        let want = expected(&case);
        let all_t = want.values().flatten().map(|s| s.0);
        let (min, max) = all_t.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
        let (min, max) = if want.is_empty() { (0, 1) } else { (min, max + 1) };
        let tmp = TempDir::new("roundtrip");
        let mut w = BlockWriter::create(tmp.path(), min, max).unwrap();
        w.set_sync(false);
        w.set_chunk_range(chunk_range).unwrap();
        w.set_segment_size(segment_size).unwrap();
        for (labels, s) in &want {
            let samples: Vec<(i64, f64)> = s.iter().map(|&(t, v)| (t, f64::from_bits(v))).collect();
            prop_assert!(w.add_series(labels, &samples).unwrap().is_some());
        }
        let block = w.finish().unwrap();
        prop_assert_eq!(block.meta.stats.num_series, want.len() as u64);
        let n: u64 = want.values().map(|s| s.len() as u64).sum();
        prop_assert_eq!(block.meta.stats.num_samples, n);

        let db = Db::open(tmp.path()).unwrap();
        let mut got = BTreeMap::new();
        let mut chunks = 0u64;
        for series in db.select(&[], i64::MIN, i64::MAX).unwrap() {
            let series = series.unwrap();
            chunks += series.chunk_count() as u64;
            let s: Vec<(i64, u64)> = series
                .samples()
                .map(|r| r.map(|(t, v)| (t, v.to_bits())))
                .collect::<Result<_, _>>()
                .unwrap();
            got.insert(series.labels().clone(), s);
        }
        prop_assert_eq!(chunks, block.meta.stats.num_chunks);
        prop_assert_eq!(got, want);
        // The writer's output passes every check verify makes.
        for report in tsblock_tools::verify::verify_path(tmp.path()).unwrap() {
            prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
        }
    }
}

#[test]
fn unsorted_and_empty_valued_labels_are_handled() {
    // The same case the property test builds, without proptest: a label with an empty
    // value is dropped, and dropping it can move the series in the order.
    let tmp = TempDir::new("emptyvalue");
    let mut w = BlockWriter::create(tmp.path(), 0, 100).unwrap();
    let a = Labels::from_pairs([("a", ""), ("b", "1")]);
    let b = Labels::from_pairs([("a", "x")]);
    assert!(b < Labels::from_pairs([("b", "1")]));
    // {a=""} sorts before {a="x"} as given, but cleaned it is {b="1"}, after {a="x"}:
    w.add_series(&b, &[(1, 1.0)]).unwrap();
    w.add_series(&a, &[(2, 2.0)]).unwrap();
    w.finish().unwrap();
    let db = Db::open(tmp.path()).unwrap();
    let names: Vec<String> = db
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| s.unwrap().labels().to_string())
        .collect();
    assert_eq!(names, [r#"{a="x"}"#, r#"{b="1"}"#]);
}
