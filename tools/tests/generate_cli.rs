//! `tsblock-tools generate`: determinism, output formats, summary line.

mod write_util;

use std::path::Path;
use std::process::Command;

use tsblock::Db;
use write_util::{tsblock_dump, TempDir};

fn generate(out: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
        .arg("generate")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const SMALL: &[&str] = &["--series", "60", "--duration", "3h", "--interval", "1m"];

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let tmp = TempDir::new("determinism");
    let dump = |name: &str, seed: &str| {
        let dir = tmp.path().join(name);
        generate(&dir, &[SMALL, &["--seed", seed, "--quiet"]].concat());
        tsblock_dump(&dir)
    };
    let (a, b, c) = (dump("a", "42"), dump("b", "42"), dump("c", "43"));
    assert!(!a.is_empty());
    assert!(a == b, "same seed, different data");
    assert!(a != c, "different seeds, same data");

    let om = |seed: &str| {
        let out = generate(
            Path::new("-"),
            &[
                SMALL,
                &["--seed", seed, "--format", "openmetrics", "--quiet"],
            ]
            .concat(),
        );
        out.stdout
    };
    let (x, y, z) = (om("42"), om("42"), om("43"));
    assert!(x == y && x != z);
    // The text has exactly the samples of the blocks.
    let samples = x
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .count();
    assert_eq!(
        samples,
        a.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count()
    );
}

#[test]
fn openmetrics_to_stdout_and_file() {
    let tmp = TempDir::new("om");
    let out = generate(
        Path::new("-"),
        &[SMALL, &["--format", "openmetrics"]].concat(),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with("\n# EOF\n"),
        "{}",
        &text[text.len().saturating_sub(200)..]
    );
    let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    assert!(types > 5, "{types}");
    for kind in ["counter", "gauge", "histogram"] {
        assert!(text.contains(&format!(" {kind}\n")), "no {kind}");
    }
    assert!(text.contains("_bucket{") && text.contains("le=\"+Inf\""));
    // Float-second timestamps with ms precision.
    let line = text.lines().find(|l| !l.starts_with('#')).unwrap();
    let ts = line.rsplit(' ').next().unwrap();
    assert!(
        ts.contains('.') && ts.split('.').nth(1).unwrap().len() >= 3,
        "{line}"
    );
    // Summary on stderr.
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("samples") && err.ends_with('\n'), "{err}");

    let file = tmp.path().join("out.om");
    let out = generate(
        &file,
        &[SMALL, &["--format", "openmetrics", "--quiet"]].concat(),
    );
    assert!(out.stderr.is_empty() && out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn blocks_are_two_hour_aligned_with_churn_and_summary() {
    let tmp = TempDir::new("blocks");
    let dir = tmp.path().join("d");
    let out = generate(
        &dir,
        &[
            "--series",
            "300",
            "--duration",
            "7h",
            "--interval",
            "15s",
            "--start",
            "1000",
        ],
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("generated 4 blocks, 300 series, "), "{err}");
    let db = Db::open(&dir).unwrap();
    assert_eq!(db.blocks().len(), 4);
    for b in db.blocks() {
        let m = b.meta();
        assert_eq!(m.min_time % 7_200_000, 0);
        assert_eq!(m.max_time - m.min_time, 7_200_000);
    }
    // Churn: the set of series differs between blocks, and not every series lasts.
    let series_in = |i: usize| db.blocks()[i].meta().stats.num_series;
    let total: std::collections::BTreeSet<String> = db
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| s.unwrap().labels().to_string())
        .collect();
    assert_eq!(total.len(), 300);
    assert!((0..4).any(|i| series_in(i) < 300), "no churn");
    let names: std::collections::BTreeSet<Vec<u8>> = db
        .label_values("__name__", &[], i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .collect();
    assert!(names.len() > 20, "{}", names.len());
    for l in [
        "job",
        "instance",
        "pod",
        "namespace",
        "method",
        "code",
        "le",
    ] {
        assert!(
            !db.label_values(l, &[], i64::MIN, i64::MAX)
                .unwrap()
                .is_empty(),
            "no {l}"
        );
    }
}

#[test]
fn bad_arguments_fail_cleanly() {
    for args in [
        &["--duration", "5x"][..],
        &["--interval", "0s"],
        &["--series", "0"],
        &["--format", "csv"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
            .args(["generate", "/nonexistent/never-created"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    assert!(!Path::new("/nonexistent/never-created").exists());
}
