//! The `tsblock` binary's behaviour at the edges: bad blocks, pipes, errors.

mod common;

use common::{copy_dir, testdata, tsblock, tsblock_closed_pipe, TempDir};

#[test]
fn broken_meta_is_reported_and_tmp_dirs_are_ignored() {
    let tmp = TempDir::new("cli-meta");
    copy_dir(&testdata().join("multi"), tmp.path());
    let mut blocks: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    blocks.sort();
    let broken = &blocks[0];
    std::fs::write(broken.join("meta.json"), b"{not json").unwrap();
    // A half-written compaction output and a block being deleted: never loaded.
    std::fs::create_dir(
        tmp.path()
            .join("01H00000000000000000000000.tmp-for-creation"),
    )
    .unwrap();
    std::fs::write(
        tmp.path()
            .join("01H00000000000000000000000.tmp-for-creation/index"),
        b"junk",
    )
    .unwrap();
    copy_dir(
        &blocks[1],
        &tmp.path().join(format!(
            "{}.tmp-for-deletion",
            blocks[1].file_name().unwrap().to_str().unwrap()
        )),
    );

    let out = tsblock(&["dump", tmp.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = broken.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(name) && stderr.contains("meta.json"),
        "stderr: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    // The remaining blocks' samples are all there, with no duplicates from the .tmp copy.
    let full = tsblock(&["dump", testdata().join("multi").to_str().unwrap()]);
    assert!(out.stdout.len() < full.stdout.len() && !out.stdout.is_empty());
}

#[test]
fn corrupt_block_is_a_one_line_error_and_nonzero_exit() {
    let tmp = TempDir::new("cli-corrupt");
    copy_dir(&testdata().join("multi"), tmp.path());
    let block = std::fs::read_dir(tmp.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let seg = block.join("chunks/000001");
    let mut data = std::fs::read(&seg).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0x40;
    std::fs::write(&seg, data).unwrap();
    let out = tsblock(&["dump", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(block.file_name().unwrap().to_str().unwrap()),
        "{stderr}"
    );
    assert!(
        stderr.contains("chunks/000001") && stderr.contains("checksum"),
        "{stderr}"
    );

    let index = block.join("index");
    let len = std::fs::metadata(&index).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let out = tsblock(&["dump", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "no partial output when a block cannot be opened"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("index"));
}

#[test]
fn closed_pipe_is_success() {
    let multi = testdata().join("multi");
    let (status, stderr) = tsblock_closed_pipe(&["dump", multi.to_str().unwrap()]);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn bad_selector_and_missing_dir_are_errors() {
    let out = tsblock(&[
        "dump",
        "--match",
        "up{job=",
        testdata().join("multi").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--match"));
    let out = tsblock(&["dump", "/nonexistent/tsblock-data"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/tsblock-data"));
}

#[test]
fn union_of_repeated_matches() {
    let dir = testdata().join("multi");
    let d = dir.to_str().unwrap();
    let a = tsblock(&["dump", "--match", "up", d]).stdout;
    let b = tsblock(&["dump", "--match", "bare_gauge", d]).stdout;
    let both = tsblock(&[
        "dump",
        "--match",
        "up",
        "--match",
        "bare_gauge",
        "--match",
        "up{job=\"a\"}",
        d,
    ])
    .stdout;
    let mut want: Vec<&[u8]> = a
        .split_inclusive(|&c| c == b'\n')
        .chain(b.split_inclusive(|&c| c == b'\n'))
        .collect();
    // Series order is label order: bare_gauge sorts before up.
    want.sort_by_key(|l| !l.starts_with(b"{__name__=\"bare_gauge\""));
    assert!(!a.is_empty() && !b.is_empty());
    assert_eq!(both, want.concat());
}

#[test]
fn dump_stats_agree_with_output_and_meta() {
    let dir = testdata().join("multi");
    let out = tsblock(&["dump", "--stats", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| -> u64 {
        let rest = &stderr[stderr
            .find(&format!("{name} "))
            .unwrap_or_else(|| panic!("{name} in {stderr}"))
            + name.len()
            + 1..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let lines = out
        .stdout
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let db = tsblock::Db::open(&dir).unwrap();
    let meta = |f: fn(&tsblock::format::BlockStats) -> u64| {
        db.blocks().iter().map(|b| f(&b.meta().stats)).sum::<u64>()
    };
    // multi/ has no overlaps and no tombstones: everything is read exactly once.
    assert_eq!(field("samples"), lines);
    assert_eq!(field("samples"), meta(|s| s.num_samples));
    assert_eq!(field("chunks"), meta(|s| s.num_chunks));
    assert_eq!(field("blocks"), db.blocks().len() as u64);
    assert_eq!(field("series"), 45);
}
