use super::*;

#[derive(Debug, Default, Clone, PartialEq)]
struct MemBlock {
    min: i64,
    max: i64,
    series: Vec<(String, Vec<(i64, u64)>)>,
}

/// Collects blocks and checks the writer contract on the way.
#[derive(Default)]
struct MemSink {
    blocks: Vec<MemBlock>,
    open: Option<MemBlock>,
    last_labels: Option<Labels>,
}

impl BlockSink for MemSink {
    fn begin(&mut self, min_time: i64, max_time: i64) -> anyhow::Result<()> {
        assert!(self.open.is_none(), "begin twice");
        assert!(min_time < max_time);
        self.open = Some(MemBlock {
            min: min_time,
            max: max_time,
            series: Vec::new(),
        });
        self.last_labels = None;
        Ok(())
    }

    fn series(&mut self, labels: &Labels, samples: &[(i64, f64)]) -> anyhow::Result<()> {
        let b = self.open.as_mut().expect("series outside a block");
        if let Some(prev) = &self.last_labels {
            assert!(prev < labels, "{prev} !< {labels}");
        }
        self.last_labels = Some(labels.clone());
        assert!(!samples.is_empty());
        for w in samples.windows(2) {
            assert!(w[0].0 < w[1].0, "{labels}: {samples:?}");
        }
        for &(t, _) in samples {
            assert!(
                b.min <= t && t < b.max,
                "{t} outside [{}, {})",
                b.min,
                b.max
            );
        }
        b.series.push((
            labels.to_string(),
            samples.iter().map(|&(t, v)| (t, v.to_bits())).collect(),
        ));
        Ok(())
    }

    fn end(&mut self) -> anyhow::Result<()> {
        let b = self.open.take().expect("end without begin");
        assert_eq!(b.min, b.series.iter().map(|s| s.1[0].0).min().unwrap());
        assert_eq!(
            b.max,
            b.series
                .iter()
                .map(|s| s.1.last().unwrap().0)
                .max()
                .unwrap()
                + 1
        );
        self.blocks.push(b);
        Ok(())
    }
}

struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Tmp {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tsblock-import-unit-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        Tmp(p)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_with(input: &str, opts: &Options) -> anyhow::Result<(Vec<MemBlock>, Report)> {
    let tmp = Tmp::new();
    let mut sink = MemSink::default();
    let report = import(input.as_bytes(), opts, &tmp.0, &mut sink, &|_| {})?;
    assert!(sink.open.is_none());
    if tmp.0.exists() {
        // Spill files are removed at the end; the directory is the caller's.
        assert_eq!(std::fs::read_dir(&tmp.0).unwrap().count(), 0);
    }
    Ok((sink.blocks, report))
}

fn run(input: &str) -> (Vec<MemBlock>, Report) {
    run_with(input, &Options::default()).unwrap()
}

fn err(input: &str) -> String {
    match run_with(input, &Options::default()) {
        Ok((b, _)) => panic!("{input:?} imported: {b:?}"),
        Err(e) => format!("{e:#}"),
    }
}

fn f(v: f64) -> u64 {
    v.to_bits()
}

#[test]
fn series_are_sorted_and_blocks_cut_at_2h() {
    let (blocks, report) = run(concat!(
        "# TYPE b gauge\n",
        "b{x=\"2\"} 1 7199.999\n",
        "b{x=\"1\"} 2 7200\n",
        "a 3 100\n",
        "b{x=\"1\"} 4 7000\n",
        "# EOF\n"
    ));
    assert_eq!(
        blocks,
        vec![
            MemBlock {
                min: 100_000,
                max: 7_199_999 + 1,
                series: vec![
                    ("{__name__=\"a\"}".into(), vec![(100_000, f(3.0))]),
                    (
                        "{__name__=\"b\", x=\"1\"}".into(),
                        vec![(7_000_000, f(4.0))]
                    ),
                    (
                        "{__name__=\"b\", x=\"2\"}".into(),
                        vec![(7_199_999, f(1.0))]
                    ),
                ],
            },
            MemBlock {
                min: 7_200_000,
                max: 7_200_001,
                series: vec![(
                    "{__name__=\"b\", x=\"1\"}".into(),
                    vec![(7_200_000, f(2.0))]
                )],
            },
        ]
    );
    assert_eq!((report.blocks, report.series, report.samples), (2, 3, 4));
    assert_eq!(report.block_series, 4);
    assert_eq!(report.drops, Drops::default());
}

#[test]
fn drops_like_promtool_within_a_batch() {
    // Observed with promtool 2.42: a keeps 10, 20, 30; 15 (older), 2@20 (same) and 9@20
    // (other value) are dropped silently.
    let (blocks, report) = run("a 1 10\na 2 20\na 3 15\na 2 20\na 9 20\nb 1 5\na 4 30\n# EOF");
    assert_eq!(
        blocks[0].series,
        vec![
            (
                "{__name__=\"a\"}".to_string(),
                vec![(10_000, f(1.0)), (20_000, f(2.0)), (30_000, f(4.0))]
            ),
            ("{__name__=\"b\"}".to_string(), vec![(5_000, f(1.0))]),
        ]
    );
    assert_eq!(
        report.drops,
        Drops {
            out_of_order: 1,
            duplicate: 1,
            conflicting: 1,
            before_start: 0
        }
    );
    assert_eq!(report.samples, 4);
    assert_eq!(report.samples_read, 7);
}

fn batch_input(tail: &str) -> String {
    let mut s = String::new();
    for i in 0..5000 {
        s.push_str(&format!("a {i} {}\n", 1000 + i));
    }
    s.push_str(tail);
    s.push_str("# EOF\n");
    s
}

#[test]
fn collisions_across_batches_fail_like_promtool() {
    // The 5001st sample is in the second batch: older than a committed sample.
    assert!(err(&batch_input("a 7 1001\n")).contains("out-of-order sample at 1001000 ms"));
    // Same timestamp as the committed newest sample, other value.
    assert!(err(&batch_input("a 5 5999\n")).contains("different value"));
    // Same value is fine (dropped), and a later conflicting one in the same batch fails.
    let (_, r) = run(&batch_input("a 4999 5999\n"));
    assert_eq!(r.drops.duplicate, 1);
    assert!(err(&batch_input("a 4999 5999\na 5 5999\n")).contains("different value"));
    // Within one batch the same collisions are only dropped: 4999 samples, then two.
    let mut s = String::new();
    for i in 0..4999 {
        s.push_str(&format!("a {i} {}\n", 1000 + i));
    }
    s.push_str("a 7 1001\n# EOF\n");
    let (_, r) = run(&s);
    assert_eq!(r.drops.out_of_order, 1);
    // Other series' samples count toward the batch too.
    let mut s = String::new();
    s.push_str("a 1 2000\n");
    for i in 0..4999 {
        s.push_str(&format!("b {i} {}\n", 1000 + i));
    }
    s.push_str("a 2 1999\n# EOF\n");
    assert!(err(&s).contains("out-of-order"));
}

#[test]
fn negative_timestamps_follow_go_truncation() {
    // Observed with promtool 2.42: min -10 s truncates toward zero to block start 0, so
    // the sample at -10 s is dropped.
    let (blocks, r) = run("a 1 -10\nb 3 5\n# EOF\n");
    assert_eq!(blocks.len(), 1);
    assert_eq!(
        blocks[0].series,
        vec![("{__name__=\"b\"}".to_string(), vec![(5000, f(3.0))])]
    );
    assert_eq!(r.drops.before_start, 1);
    // An aligned negative minimum keeps everything: three blocks as promtool wrote them.
    let (blocks, r) =
        run("a 1 -10\na 2 -7200.5\na 3 -7200.001\nb 1 -7201\nb 2 -14400\nb 3 5\n# EOF\n");
    let spans: Vec<(i64, i64)> = blocks.iter().map(|b| (b.min, b.max)).collect();
    assert_eq!(
        spans,
        vec![(-7_201_000, -7_200_000), (-10_000, -9_999), (5000, 5001)]
    );
    assert_eq!(r.drops.out_of_order, 1); // b at -14400 s came after b at -7201 s
    assert_eq!(r.drops.before_start, 0);
}

#[test]
fn labels_empty_values_and_duplicates() {
    let (blocks, _) = run("foo{a=\"\",a=\"2\"} 1 1\nfoo{__name__=\"\",b=\"\"} 1 1\n# EOF\n");
    let names: Vec<&str> = blocks[0].series.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        vec!["{__name__=\"foo\"}", "{__name__=\"foo\", a=\"2\"}"]
    );
    let e = err("x 1 1\nfoo{a=\"1\",b=\"2\",a=\"3\"} 1 1\n# EOF\n");
    assert!(
        e.contains("line 2, column 17: duplicate label name \"a\""),
        "{e}"
    );
    let e = err("foo{__name__=\"bar\"} 1 1\n# EOF\n");
    assert!(
        e.contains("line 1, column 5: duplicate label name \"__name__\""),
        "{e}"
    );
    // A later parse error wins, as promtool parses everything first.
    let e = err("foo{a=\"1\",a=\"3\"} 1 1\nbad line\n# EOF\n");
    assert!(e.contains("line 2"), "{e}");
    // A duplicate-label sample dropped before the first block is no error (promtool
    // never appends it).
    let (blocks, r) = run("foo{a=\"1\",a=\"3\"} 1 -1\nok 1 5\n# EOF\n");
    assert_eq!(blocks.len(), 1);
    assert_eq!(r.drops.before_start, 1);
    // But one inside the blocks is.
    assert!(err("foo{a=\"1\",a=\"3\"} 1 -7200\nok 1 5\n# EOF\n").contains("duplicate"));
}

#[test]
fn same_series_written_differently_is_one_series() {
    let (blocks, _) = run(
        "m{b=\"1\",a=\"x\"} 1 1\nm{a=\"x\",b=\"1\"} 2 2\nm{a=\"\\x\",b=\"1\",c=\"\"} 3 3\n# EOF\n",
    );
    assert_eq!(blocks[0].series.len(), 2);
    // `\x` is no escape: the backslash stays, and sorts before `x`.
    assert_eq!(
        blocks[0].series[0].0,
        "{__name__=\"m\", a=\"\\\\x\", b=\"1\"}"
    );
    assert_eq!(blocks[0].series[1].1.len(), 2);
}

#[test]
fn extra_labels_set_and_remove() {
    let opts = Options {
        extra_labels: vec![("job".into(), "x".into()), ("drop".into(), "".into())],
        ..Options::default()
    };
    let (blocks, _) =
        run_with("m{job=\"a\",drop=\"y\",k=\"v\"} 1 1\nn 1 1\n# EOF\n", &opts).unwrap();
    let names: Vec<&str> = blocks[0].series.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "{__name__=\"m\", job=\"x\", k=\"v\"}",
            "{__name__=\"n\", job=\"x\"}"
        ]
    );
}

#[test]
fn empty_input_and_no_samples() {
    let (blocks, r) = run("# EOF\n");
    assert!(blocks.is_empty());
    assert_eq!(r.blocks, 0);
    let (blocks, _) = run("# HELP a x\n# TYPE a gauge\n# EOF");
    assert!(blocks.is_empty());
    assert!(err("").contains("line 1, column 1: the input does not end with \"# EOF\""));
    assert!(err("a 1 1\n").contains("line 2, column 1: the input does not end"));
    assert!(err("a 1 1\n# EOF\nb 1 1\n").contains("line 3, column 1: unexpected data after"));
}

#[test]
fn timestamps_beyond_the_block_arithmetic_are_rejected() {
    assert!(
        err("a 1 9223372036854775\n# EOF\n").contains("line 1, column 5: timestamp out of range")
    );
    run("a 1 9223372036854\n# EOF\n");
}

#[test]
fn block_durations() {
    let h = 3_600_000;
    assert_eq!(block_duration(None), 2 * h);
    assert_eq!(block_duration(Some(h)), 2 * h);
    assert_eq!(block_duration(Some(-5)), 2 * h);
    assert_eq!(block_duration(Some(6 * h - 1)), 2 * h);
    assert_eq!(block_duration(Some(6 * h)), 6 * h);
    assert_eq!(block_duration(Some(17 * h + 59 * 60_000)), 6 * h);
    assert_eq!(block_duration(Some(18 * h)), 18 * h);
    assert_eq!(block_duration(Some(100_000 * h)), 39_366 * h);
    assert_eq!(block_duration(Some(i64::MAX)), 39_366 * h);
    let (blocks, _) = run_with(
        "a 1 0\na 1 7200\na 1 21599\na 1 21600\n# EOF\n",
        &Options {
            block_ms: 6 * h,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(blocks.len(), 2);
}

#[test]
fn durations_parse_like_go() {
    let h = 3_600_000;
    for (s, want) in [
        ("2h", 2 * h),
        ("1h30m", 90 * 60_000),
        ("1.5h", 90 * 60_000),
        ("90m", 90 * 60_000),
        ("7200s", 2 * h),
        ("1500us", 1),
        ("999999ns", 0),
        ("0", 0),
        ("-3h", -3 * h),
        ("1d", 24 * h),
        ("2w", 14 * 24 * h),
        (".5h", 30 * 60_000),
    ] {
        assert_eq!(parse_duration_ms(s), Ok(want), "{s}");
    }
    for s in [
        "",
        "h",
        "2",
        "2x",
        "1..2h",
        "99999999999999999999h",
        "-",
        "2h3",
    ] {
        assert!(parse_duration_ms(s).is_err(), "{s}");
    }
}

#[test]
fn label_args() {
    assert_eq!(parse_label_arg("a=b=c"), Ok(("a".into(), "b=c".into())));
    assert_eq!(parse_label_arg("a="), Ok(("a".into(), "".into())));
    assert!(parse_label_arg("a").is_err());
    assert!(parse_label_arg("1a=b").is_err());
    assert!(parse_label_arg("__name__=").is_err());
}

/// A deterministic pseudo-random input over several blocks, with collisions.
fn messy_input(lines: usize, seed: u64) -> String {
    let mut x = seed;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut s = String::new();
    for _ in 0..lines {
        let series = next() % 23;
        let t = 1_000_000 + (next() % 30_000) as i64; // about 4 blocks
        let v = next() % 5;
        s.push_str(&format!("m{{s=\"{series}\"}} {v} {t}\n"));
    }
    s.push_str("# EOF\n");
    s
}

#[test]
fn spilling_gives_the_same_result() {
    // Series interleave randomly, so most samples collide; keep batches small by using
    // few samples per block so no batch boundary makes promtool fail.
    let input = messy_input(4000, 7);
    let (want, want_report) = run(&input);
    assert!(want.len() >= 4);
    assert!(want_report.drops.out_of_order > 0);
    for cap in [1, 2, 3, 17, 500, 999, 1000, 3999, 4000, 4001] {
        let opts = Options {
            buffer_samples: cap,
            ..Options::default()
        };
        let (got, report) = run_with(&input, &opts).unwrap();
        assert_eq!(got, want, "cap {cap}");
        assert_eq!(report.drops, want_report.drops, "cap {cap}");
        if cap < 4000 {
            assert!(report.spilled_bytes > 0, "cap {cap}");
        }
    }
}

#[test]
fn spilling_keeps_batch_semantics() {
    let input = batch_input("a 7 1001\n");
    for cap in [1, 64, 4999, 5000, 5001, 1 << 20] {
        let opts = Options {
            buffer_samples: cap,
            ..Options::default()
        };
        let e = run_with(&input, &opts).unwrap_err();
        assert!(format!("{e:#}").contains("out-of-order"), "cap {cap}");
    }
}

#[test]
fn values_keep_their_bits() {
    let (blocks, _) = run("a NaN 1\na -0 2\na +Inf 3\na -inf 4\na 5e-324 5\na 1e-400 6\n# EOF\n");
    let vals: Vec<u64> = blocks[0].series[0].1.iter().map(|s| s.1).collect();
    assert_eq!(
        vals,
        vec![
            openmetrics::GO_NAN_BITS,
            f(-0.0),
            f(f64::INFINITY),
            f(f64::NEG_INFINITY),
            f(5e-324),
            f(0.0)
        ]
    );
}

#[test]
fn errors_name_line_and_column() {
    let cases = [
        (
            "a 1 1\n# comment\n# EOF\n",
            "line 2, column 1: invalid comment",
        ),
        (
            "a 1 1\nb{x=\"1} 1 1\n# EOF\n",
            "line 2, column 5: unterminated label value",
        ),
        ("a 1 1\n  b 1 1\n# EOF\n", "line 2, column 1"),
        (
            "a 1 1\nb{x=\"ü\"} zz 1\n# EOF\n",
            "line 2, column 10: invalid number \"zz\"",
        ),
    ];
    for (input, want) in cases {
        let e = err(input);
        assert!(e.contains(want), "{input:?}: {e}");
    }
}
