//! Helpers shared by the writer and generator tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tsblock::{promtext, Db};

/// A fresh, empty temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tsblock-tools-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// The `promtool` binary, or `None` when it is not installed. Under CI (env `CI` set) a
/// missing promtool fails the test instead of skipping it.
pub fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("promtool is required under CI (install Debian's `prometheus`)");
    }
    if found.is_none() {
        eprintln!("promtool not installed; skipping the Prometheus cross-check");
    }
    found
}

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

/// The first line where two outputs differ, for readable failures.
pub fn first_difference(got: &[u8], want: &[u8]) -> String {
    let (g, w) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    for (i, (a, b)) in g.lines().zip(w.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  got:  {a}\n  want: {b}", i + 1);
        }
    }
    format!(
        "line counts differ: got {}, want {}",
        g.lines().count(),
        w.lines().count()
    )
}
