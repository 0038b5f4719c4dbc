//! Helpers shared by the verify and compact integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tsblock::Db;

/// The repository's `testdata/`.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

#[path = "../../../tests/common/shared.rs"]
mod shared;
#[allow(unused_imports)] // each test binary uses a different subset
pub use shared::{copy_dir, find_bin, first_difference, prometheus, promtool, TempDir};

/// A copy of `testdata/<name>` in a fresh temporary dir.
pub fn copy_testdata(name: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(name);
    let dir = tmp.path().join(name);
    copy_dir(&testdata().join(name), &dir);
    (tmp, dir)
}

/// Block directories of a data dir (ULID names), sorted.
pub fn blocks(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(tsblock::db::is_ulid)
        })
        .collect();
    v.sort();
    v
}

/// What `tsblock dump DIR` prints: every sample of every series, promtool's format.
pub fn dump(dir: &Path) -> Vec<u8> {
    let db = Db::open(dir).unwrap();
    assert!(
        db.skipped().is_empty(),
        "skipped blocks: {:?}",
        db.skipped()
    );
    let mut out = Vec::new();
    for s in db.select(&[], i64::MIN, i64::MAX).unwrap() {
        let s = s.unwrap();
        let mut prefix = Vec::new();
        tsblock::promtext::write_labels(&mut prefix, s.labels().iter());
        prefix.push(b' ');
        for sample in s.samples() {
            let (t, v) = sample.unwrap();
            out.extend_from_slice(&prefix);
            tsblock::promtext::write_float(&mut out, v);
            out.extend_from_slice(format!(" {t}\n").as_bytes());
        }
    }
    out
}

/// `promtool tsdb dump` of a copy of `dir` (only its ULID blocks, plus the empty `wal/`
/// that promtool 2.42 needs); `None` without promtool.
pub fn promtool_dump(dir: &Path) -> Option<Vec<u8>> {
    let promtool = promtool()?;
    let tmp = TempDir::new("promtool");
    for b in blocks(dir) {
        copy_dir(&b, &tmp.path().join(b.file_name().unwrap()));
    }
    std::fs::create_dir_all(tmp.path().join("wal")).unwrap();
    let out = Command::new(promtool)
        .args(["tsdb", "dump"])
        .arg(tmp.path())
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool tsdb dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

/// Assert two dumps are byte-identical, showing the first difference.
pub fn assert_same_dump(got: &[u8], want: &[u8], what: &str) {
    assert!(
        got == want,
        "{what}: dumps differ: {}",
        first_difference(got, want)
    );
}
