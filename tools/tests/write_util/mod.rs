//! Helpers shared by the writer and generator tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use tsblock::{promtext, Db};

#[path = "../../../tests/common/shared.rs"]
mod shared;
#[allow(unused_imports)] // each test binary uses a different subset
pub use shared::{copy_dir, find_bin, first_difference, prometheus, promtool, TempDir};

/// Run promtool with `args`; panics with its stderr when it fails.
pub fn run_promtool(promtool: &Path, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new(promtool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "promtool {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `promtool tsdb dump` of a copy of `data` (2.42 needs `wal/` and writes `chunks_head/`).
pub fn promtool_dump(promtool: &Path, data: &Path) -> Vec<u8> {
    let tmp = TempDir::new("promtool-copy");
    let copy = tmp.path().join("data");
    copy_dir(data, &copy);
    std::fs::create_dir_all(copy.join("wal")).unwrap();
    run_promtool(
        promtool,
        &["tsdb".as_ref(), "dump".as_ref(), copy.as_os_str()],
    )
}

/// What `tsblock dump` prints for `data`: every sample, promtool's format.
pub fn tsblock_dump(data: &Path) -> Vec<u8> {
    let db = Db::open(data).unwrap();
    assert!(db.skipped().is_empty(), "{:?}", db.skipped());
    let mut out = Vec::new();
    for series in db.select(&[], i64::MIN, i64::MAX).unwrap() {
        let series = series.unwrap();
        let mut prefix = Vec::new();
        promtext::write_labels(&mut prefix, series.labels().iter());
        prefix.push(b' ');
        for s in series.samples() {
            let (t, v) = s.unwrap();
            out.extend_from_slice(&prefix);
            promtext::write_float(&mut out, v);
            out.push(b' ');
            out.extend_from_slice(t.to_string().as_bytes());
            out.push(b'\n');
        }
    }
    out
}
