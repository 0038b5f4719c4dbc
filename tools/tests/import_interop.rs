//! `tsblock-tools import openmetrics` against the real thing: for the same inputs,
//! promtool 2.42's `create-blocks-from openmetrics` and ours must give blocks that
//! `promtool tsdb dump` prints identically and `promtool tsdb list` counts identically
//! (blocks, time ranges, samples, chunks, series); `promtool tsdb analyze` must accept
//! ours; and a real Prometheus server must answer range queries identically on both.
//! Without promtool/prometheus these comparisons are skipped, except under CI (env `CI`),
//! where they fail.

mod import_common;

use std::fmt::Write as _;
use std::path::Path;

use import_common::*;

/// Imports `input` with both tools and compares everything promtool can tell about the
/// results. Returns our import's stderr and our block count.
fn compare(input: &Path, extra: &[&str]) -> (String, usize) {
    let tmp = TempDir::new("interop");
    let ours = tmp.join("ours");
    let out = import_ok(input, &ours, extra);
    let our_stderr = stderr(&out);
    let reader_view = tsblock_dump(&ours);
    assert!(!reader_view.is_empty(), "no samples imported");
    let blocks = entries(&ours).len();
    let Some(promtool) = promtool() else {
        return (our_stderr, blocks);
    };
    let theirs = tmp.join("theirs");
    let o = promtool_import(&promtool, input, &theirs, extra);
    assert!(o.status.success(), "promtool failed: {}", stderr(&o));

    let want = promtool_dump(&promtool, &theirs);
    let got = promtool_dump(&promtool, &ours);
    assert!(!want.is_empty());
    assert!(got == want, "{}", first_difference(&got, &want));
    // The tsblock reader sees the same samples in our blocks.
    assert!(
        reader_view == want,
        "{}",
        first_difference(&reader_view, &want)
    );

    let want_list = promtool_list(&promtool, &theirs);
    let got_list = promtool_list(&promtool, &ours);
    assert_eq!(
        got_list, want_list,
        "promtool tsdb list (min, max, samples, chunks, series)"
    );

    let copy = readable_copy(&ours, &tmp, "analyze");
    let all = entries(&ours);
    // First, middle and last block (analyzing dozens of blocks is slow).
    let mut pick = vec![
        all[0].clone(),
        all[all.len() / 2].clone(),
        all[all.len() - 1].clone(),
    ];
    pick.dedup();
    for block in pick {
        let o = run_promtool(
            &promtool,
            &["tsdb", "analyze", copy.to_str().unwrap(), &block],
        );
        assert!(o.status.success(), "analyze {block}: {}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("Block ID: "));
    }
    (our_stderr, blocks)
}

#[test]
fn counters_and_gauges_match_promtool() {
    compare(&data("basic.om"), &[]);
}

#[test]
fn histograms_summaries_and_exemplars_match_promtool() {
    compare(&data("histograms.om"), &[]);
}

#[test]
fn tricky_labels_match_promtool() {
    compare(&data("labels.om"), &[]);
}

#[test]
fn value_and_timestamp_syntax_matches_promtool() {
    compare(&data("values.om"), &[]);
}

#[test]
fn collisions_match_promtool_and_are_counted() {
    let (err, _) = compare(&data("collisions.om"), &[]);
    for want in [
        "warning: dropped 5 out-of-order samples",
        "warning: dropped 3 duplicate samples",
        "warning: dropped 2 samples with a timestamp already used in their series but a different value",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    assert!(!err.contains("before the first block"), "{err}");
}

#[test]
fn negative_timestamps_match_promtool() {
    let (err, _) = compare(&data("negative.om"), &[]);
    assert!(
        err.contains("warning: dropped 2 samples before the first block's start"),
        "{err}"
    );
}

/// `series` series over `hours`, one sample every `step` seconds with some jitter, from
/// 1 000 000 s.
fn long_input(series: usize, hours: i64, step: i64) -> String {
    let mut s = String::from("# TYPE long counter\n");
    for k in 0..series {
        let mut v = 0u64;
        let mut t = 1_000_000_000i64 + k as i64 * 1234;
        while t < 1_000_000_000 + hours * 3_600_000 {
            v += (t as u64 / 1000) % 17;
            writeln!(
                s,
                "long_total{{k=\"{k}\"}} {v} {}.{:03}",
                t / 1000,
                t % 1000
            )
            .unwrap();
            t += step * 1000 + (t % 7) - 3;
        }
    }
    s.push_str("# EOF\n");
    s
}

#[test]
fn many_blocks_match_promtool() {
    let tmp = TempDir::new("long");
    let input = tmp.join("long.om");
    std::fs::write(&input, long_input(4, 30, 37)).unwrap();
    let (_, blocks) = compare(&input, &[]);
    assert_eq!(blocks, 16);
}

#[test]
fn max_block_duration_matches_promtool() {
    let tmp = TempDir::new("maxdur");
    let input = tmp.join("long.om");
    std::fs::write(&input, long_input(3, 60, 300)).unwrap();
    // 1h and 5h59m fall back to 2h; 20h picks 18h, 168h picks 162h, 9999h picks 4374h.
    for (d, blocks) in [
        ("1h", 31),
        ("5h59m", 31),
        ("6h", 11),
        ("20h", 4),
        ("168h", 2),
        ("9999h", 1),
    ] {
        let arg = format!("--max-block-duration={d}");
        assert_eq!(compare(&input, &[&arg]).1, blocks, "{d}");
    }
}

/// More than 5000 samples per block: promtool commits in batches of 5000, and exact
/// duplicates of a committed sample are accepted (and dropped).
#[test]
fn batch_boundaries_match_promtool() {
    let tmp = TempDir::new("batch");
    let mut s = String::new();
    // All in the block [1000800 s, 1008000 s).
    for i in 0..6000 {
        writeln!(s, "b{{s=\"{}\"}} {} {}", i % 3, i / 3, 1_000_800 + i / 3).unwrap();
    }
    // Re-send the first series' sample at 1002466 s (identical). It is the series' newest
    // sample in the first batch of 5000, which is committed by then: promtool accepts it
    // and drops it (newer samples came in since).
    writeln!(s, "b{{s=\"0\"}} 1666 1002466").unwrap();
    s.push_str("# EOF\n");
    let input = tmp.join("batch.om");
    std::fs::write(&input, &s).unwrap();
    let (err, _) = compare(&input, &[]);
    assert!(
        err.contains("warning: dropped 1 out-of-order sample "),
        "{err}"
    );

    // With another value, or an older timestamp, both tools fail; we leave nothing behind.
    for (line, ours, theirs) in [
        (
            "b{s=\"0\"} 7 1002466",
            "different value",
            "duplicate sample for timestamp",
        ),
        (
            "b{s=\"0\"} 1666 1002465",
            "out-of-order sample",
            "out of order sample",
        ),
    ] {
        let bad = s.replace("b{s=\"0\"} 1666 1002466\n# EOF", &format!("{line}\n# EOF"));
        assert_ne!(bad, s);
        let input = tmp.join("batch-bad.om");
        std::fs::write(&input, bad).unwrap();
        let out = tmp.join("out-bad");
        let o = import(&[input.to_str().unwrap(), out.to_str().unwrap()]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(ours), "{}", stderr(&o));
        assert!(!out.exists(), "{:?}", entries(&out));
        if let Some(promtool) = promtool() {
            let o = promtool_import(&promtool, &input, &tmp.join("theirs-bad"), &[]);
            assert!(!o.status.success());
            assert!(stderr(&o).contains(theirs), "{}", stderr(&o));
        }
    }
}

/// One input made of all the small ones (their names do not collide) plus a long series.
fn combined_input() -> String {
    let mut s = String::new();
    for f in [
        "basic.om",
        "histograms.om",
        "labels.om",
        "values.om",
        "collisions.om",
    ] {
        let text = std::fs::read(data(f)).unwrap();
        let text = String::from_utf8_lossy(&text).into_owned();
        assert!(!text.contains('\u{fffd}'));
        s.push_str(text.strip_suffix("# EOF\n").unwrap());
    }
    s.push_str(
        long_input(2, 10, 60)
            .strip_prefix("# TYPE long counter\n")
            .unwrap(),
    );
    s
}

#[test]
fn prometheus_server_answers_the_same() {
    let Some(prometheus) = prometheus() else {
        return;
    };
    let Some(promtool) = promtool() else {
        return;
    };
    let tmp = TempDir::new("server");
    let input = tmp.join("all.om");
    std::fs::write(&input, combined_input()).unwrap();
    let ours = tmp.join("ours");
    import_ok(&input, &ours, &["--quiet"]);
    let theirs = tmp.join("theirs");
    let o = promtool_import(&promtool, &input, &theirs, &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    let a = Server::start(&prometheus, &theirs);
    let b = Server::start(&prometheus, &ours);
    let queries = [
        ("{__name__=~\".+\"}[30d]", "1100000"),
        ("{__name__=~\".+\"}[90m]", "1007200"),
        (
            "http_requests_total{code=\"500\",method=~\"P.*\"}[1h]",
            "1009000",
        ),
        ("weird[1d]", "1001000"),
        ("{__name__=\"weird\",a=~\".*\\\\\\\\.*\"}[1d]", "1001000"),
        ("v[1d]", "1001000"),
        ("ts[1d]", "1001000"),
        (
            "{__name__=~\"rpc_duration_seconds_.*\",le!=\"\"}[1d]",
            "1000100",
        ),
        ("c[1d]", "1010000"),
        ("long_total{k=\"1\"}[2h]", "1028000"),
        ("long_total[1h]", "1007200"),
    ];
    let mut total = 0;
    for (q, t) in queries {
        let want = a.query(q, t);
        let got = b.query(q, t);
        let n = want.as_array().map_or(0, Vec::len);
        assert!(n > 0, "{q} at {t}: no result");
        total += n;
        assert_eq!(got, want, "{q} at {t}");
    }
    assert!(total > 50);
}
