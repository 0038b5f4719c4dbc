//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

/// `testdata/` of the repository.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Run the `tsblock` binary.
pub fn tsblock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .output()
        .expect("run tsblock")
}

/// Run `tsblock`, read the first 64 bytes of its output and close the pipe, like
/// `tsblock … | head -c 64`: its exit status and stderr.
pub fn tsblock_closed_pipe(args: &[&str]) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tsblock");
    let mut first = [0u8; 64];
    let mut stdout = child.stdout.take().expect("piped stdout");
    stdout.read_exact(&mut first).expect("64 bytes of output");
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    (child.wait().expect("wait"), stderr)
}

mod shared;
#[allow(unused_imports)] // each test binary uses a different subset
pub use shared::{copy_dir, find_bin, first_difference, prometheus, promtool, TempDir};

/// Decode a uvarint at `pos`: (value, position after it). For tests that edit real files.
pub fn uvarint_at(data: &[u8], pos: usize) -> (usize, usize) {
    let (mut v, mut i, mut shift) = (0usize, pos, 0);
    loop {
        let b = data[i];
        v |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b < 0x80 {
            return (v, i);
        }
        shift += 7;
    }
}
