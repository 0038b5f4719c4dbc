//! Test helpers shared by both crates' integration tests (the tools' test support modules
//! include this file by path): temporary dirs, tree copies, and finding the Prometheus
//! binaries, which must exist under CI.

use std::path::{Path, PathBuf};

/// A fresh, empty temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tsblock-test-{tag}-{}-{}",
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

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
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

/// A binary from PATH, or `None`. Under CI (env `CI` set) a missing binary fails the test
/// instead of skipping it; `.ci/run` installs Debian's `prometheus` package.
pub fn find_bin(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("{name} is required under CI (install Debian's `prometheus` package)");
        }
        eprintln!("{name} not installed: skipping the comparison with it (CI requires it)");
    }
    found
}

/// The `promtool` binary (see [`find_bin`]).
pub fn promtool() -> Option<PathBuf> {
    find_bin("promtool")
}

/// The `prometheus` server binary (see [`find_bin`]).
pub fn prometheus() -> Option<PathBuf> {
    find_bin("prometheus")
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
