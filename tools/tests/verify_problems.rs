//! `verify` on real Prometheus blocks: clean on every testdata dir, and each injected
//! problem class is reported with the right kind, file and offset.

mod verify_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use tsblock::format::BlockMeta;
use tsblock::index::IndexReader;
use tsblock::Db;
use tsblock_tools::verify::{verify_block, verify_path, Problem, ProblemKind};
use verify_support::{copy_dir, testdata, TempDir};

const DIRS: [&str; 5] = ["multi", "overlap", "overlap_abc", "tombstones", "stale"];

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(d[at..at + 4].try_into().unwrap())
}

/// (value, encoded length) of the uvarint at `at`.
fn uvarint(d: &[u8], at: usize) -> (u64, usize) {
    let (mut v, mut shift, mut i) = (0u64, 0, at);
    loop {
        let b = d[i];
        v |= u64::from(b & 0x7f) << shift;
        i += 1;
        if b < 0x80 {
            return (v, i - at);
        }
        shift += 7;
    }
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A copy of the block of `testdata/<dir>` chosen by `pick` (max by key), in a temp dir.
fn victim(dir: &str, key: impl Fn(&BlockMeta) -> u64) -> (TempDir, PathBuf) {
    let db = Db::open(&testdata().join(dir)).unwrap();
    let block = db.blocks().iter().max_by_key(|b| key(b.meta())).unwrap();
    let tmp = TempDir::new("verify");
    let copy = tmp.path().join(block.dir().file_name().unwrap());
    copy_dir(block.dir(), &copy);
    (tmp, copy)
}

fn multi_victim() -> (TempDir, PathBuf) {
    victim("multi", |m| m.stats.num_chunks)
}

fn tomb_victim() -> (TempDir, PathBuf) {
    victim("tombstones", |m| m.stats.num_tombstones)
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut d = std::fs::read(path).unwrap();
    f(&mut d);
    std::fs::write(path, d).unwrap();
}

/// Assert a problem of `kind` in `file` at `offset` is among `problems`.
fn assert_found(problems: &[Problem], kind: ProblemKind, file: &str, offset: Option<u64>) {
    assert!(
        problems
            .iter()
            .any(|p| p.kind == kind && p.file == file && (offset.is_none() || p.offset == offset)),
        "no {kind:?} problem in {file} at {offset:?}; got:\n{}",
        problems
            .iter()
            .map(|p| format!("  {p} [{:?}]", p.kind))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Offset of the (framed) postings list of the pair with the most / fewest refs.
fn postings_list(index: &Path, want: impl Fn(usize) -> bool) -> (u64, Vec<u32>) {
    let ix = IndexReader::open(index).unwrap();
    let names: Vec<Vec<u8>> = ix.label_names().map(<[u8]>::to_vec).collect();
    for n in &names {
        for v in ix.label_values(n) {
            let (_, off) = v.unwrap();
            let mut refs = Vec::new();
            ix.read_postings(off, &mut refs).unwrap();
            if want(refs.len()) {
                return (off, refs);
            }
        }
    }
    panic!("no postings list fits");
}

/// Rewrite the postings list at `off` with `refs` (same count) and a correct CRC.
fn rewrite_postings(d: &mut [u8], off: usize, refs: &[u32]) {
    let len = be32(d, off) as usize;
    assert_eq!(len, 4 + 4 * refs.len());
    for (i, r) in refs.iter().enumerate() {
        d[off + 8 + 4 * i..off + 12 + 4 * i].copy_from_slice(&r.to_be_bytes());
    }
    let crc = crc32c::crc32c(&d[off + 4..off + 4 + len]);
    d[off + 4 + len..off + 8 + len].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn clean_on_every_testdata_dir() {
    for dir in DIRS {
        let reports = verify_path(&testdata().join(dir)).unwrap();
        assert!(!reports.is_empty(), "{dir}: no blocks verified");
        for r in &reports {
            assert!(
                r.problems.is_empty(),
                "{dir}: {:?}",
                r.problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            );
            // The counts verify established are the real content: they equal meta.json.
            let meta = BlockMeta::read(&r.dir).unwrap();
            assert_eq!(r.counts.series, meta.stats.num_series, "{dir}");
            assert_eq!(r.counts.chunks, meta.stats.num_chunks, "{dir}");
            assert_eq!(r.counts.samples, meta.stats.num_samples, "{dir}");
            assert_eq!(r.counts.tombstones, meta.stats.num_tombstones, "{dir}");
            assert_eq!(r.counts.undecoded_chunks, 0);
        }
    }
    // One block dir works as the path too.
    let (_tmp, block) = multi_victim();
    assert_eq!(verify_path(&block).unwrap().len(), 1);
    assert!(verify_block(&block).unwrap().is_empty());
}

#[test]
fn checksum_flips_are_found_in_every_section() {
    let (_tmp, block) = multi_victim();
    let index = block.join("index");
    let clean = std::fs::read(&index).unwrap();
    let ix = IndexReader::open(&index).unwrap();
    let toc = ix.toc();
    let toc_at = clean.len() as u64 - 52;
    let series = u64::from(ix.all_postings().unwrap()[3]) * 16;
    let (list, _) = postings_list(&index, |n| n >= 2);
    drop(ix);
    let cases: [(&str, u64, u64); 5] = [
        ("TOC", toc_at + 3, toc_at),
        ("symbols", toc.symbols + 12, toc.symbols),
        ("series entry", series + 4, series),
        ("postings list", list + 9, list),
        (
            "postings offset table",
            toc.postings_table + 9,
            toc.postings_table,
        ),
    ];
    for (what, flip, expect) in cases {
        let mut bad = clean.clone();
        bad[flip as usize] ^= 0x20;
        std::fs::write(&index, &bad).unwrap();
        let problems = verify_block(&block).unwrap();
        println!("{what}: {problems:#?}");
        assert_found(&problems, ProblemKind::Checksum, "index", Some(expect));
    }
    std::fs::write(&index, &clean).unwrap();

    // A chunk record: flip a data byte of the second record.
    let seg = block.join("chunks/000001");
    let second = second_record(&block);
    edit(&seg, |d| d[second as usize + 5] ^= 0x01);
    let problems = verify_block(&block).unwrap();
    assert_found(
        &problems,
        ProblemKind::Checksum,
        "chunks/000001",
        Some(second),
    );

    // Tombstones: the CRC covers the entries.
    let (_tmp2, tblock) = tomb_victim();
    let tpath = tblock.join("tombstones");
    let len = std::fs::metadata(&tpath).unwrap().len();
    edit(&tpath, |d| d[6] ^= 0x01);
    let problems = verify_block(&tblock).unwrap();
    assert_found(
        &problems,
        ProblemKind::Checksum,
        "tombstones",
        Some(len - 4),
    );
}

/// Offset of the second chunk record of segment 1 (from the series' chunk refs).
fn second_record(block: &Path) -> u64 {
    let ix = IndexReader::open(&block.join("index")).unwrap();
    let mut offs = Vec::new();
    let mut e = tsblock::index::SeriesEntry::default();
    for r in ix.all_postings().unwrap() {
        ix.series(tsblock::format::SeriesRef(r), &mut e).unwrap();
        offs.extend(e.chunks.iter().map(|c| u64::from(c.chunk.offset())));
    }
    offs.sort_unstable();
    offs[1]
}

#[test]
fn wrong_stats_in_meta_json() {
    let (_tmp, block) = tomb_victim();
    let meta_path = block.join("meta.json");
    let text = std::fs::read_to_string(&meta_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["numSeries", "numChunks", "numSamples", "numTombstones"] {
        let n = v["stats"][key].as_u64().unwrap();
        v["stats"][key] = (n + 1).into();
    }
    let new = serde_json::to_string_pretty(&v).unwrap();
    std::fs::write(&meta_path, &new).unwrap();
    let problems = verify_block(&block).unwrap();
    for key in ["numSeries", "numChunks", "numSamples", "numTombstones"] {
        let at = new.find(&format!("\"{key}\"")).unwrap() as u64;
        assert_found(&problems, ProblemKind::Stats, "meta.json", Some(at));
    }
    assert_eq!(problems.len(), 4, "{problems:#?}");
}

#[test]
fn meta_json_identity_and_range() {
    let (_tmp, block) = multi_victim();
    let meta_path = block.join("meta.json");
    let text = std::fs::read_to_string(&meta_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let max = v["maxTime"].as_i64().unwrap();
    // The last samples now lie at or after maxTime.
    v["maxTime"] = (max - 1000).into();
    v["version"] = 2.into();
    std::fs::write(&meta_path, serde_json::to_string(&v).unwrap()).unwrap();
    let problems = verify_block(&block).unwrap();
    assert_found(&problems, ProblemKind::Meta, "meta.json", None);
    assert_found(&problems, ProblemKind::ChunkTime, "index", None);
    assert!(problems
        .iter()
        .any(|p| p.message.contains("outside the block's range")));

    // A block directory whose name is not its ULID.
    let renamed = block.with_file_name("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    std::fs::rename(&block, &renamed).unwrap();
    let problems = verify_block(&renamed).unwrap();
    assert!(problems
        .iter()
        .any(|p| p.kind == ProblemKind::Meta && p.message.contains("directory name")));

    // minTime >= maxTime.
    v["version"] = 1.into();
    v["maxTime"] = v["minTime"].clone();
    std::fs::write(
        renamed.join("meta.json"),
        serde_json::to_string(&v).unwrap(),
    )
    .unwrap();
    let problems = verify_block(&renamed).unwrap();
    assert!(problems
        .iter()
        .any(|p| p.kind == ProblemKind::Meta && p.message.contains("not before maxTime")));
}

#[test]
fn truncated_and_missing_files() {
    let (_tmp, block) = multi_victim();
    // Index cut in half: the TOC (last 52 bytes) is now garbage.
    let index = block.join("index");
    let clean = std::fs::read(&index).unwrap();
    let half = clean.len() / 2;
    std::fs::write(&index, &clean[..half]).unwrap();
    let problems = verify_block(&block).unwrap();
    assert_found(
        &problems,
        ProblemKind::Checksum,
        "index",
        Some(half as u64 - 52),
    );
    std::fs::write(&index, &clean[..3]).unwrap();
    assert_found(
        &verify_block(&block).unwrap(),
        ProblemKind::Truncated,
        "index",
        Some(0),
    );
    std::fs::remove_file(&index).unwrap();
    assert_found(
        &verify_block(&block).unwrap(),
        ProblemKind::Io,
        "index",
        None,
    );
    std::fs::write(&index, &clean).unwrap();

    // A segment cut inside its second record.
    let seg = block.join("chunks/000001");
    let seg_clean = std::fs::read(&seg).unwrap();
    let second = second_record(&block);
    std::fs::write(&seg, &seg_clean[..second as usize + 3]).unwrap();
    let problems = verify_block(&block).unwrap();
    assert_found(
        &problems,
        ProblemKind::Truncated,
        "chunks/000001",
        Some(second),
    );
    // ... and chunk refs past the cut point at nothing.
    assert_found(&problems, ProblemKind::Bounds, "index", None);
    std::fs::remove_file(&seg).unwrap();
    assert!(verify_block(&block)
        .unwrap()
        .iter()
        .any(|p| p.kind == ProblemKind::Bounds && p.message.contains("segment file")));
    std::fs::write(&seg, &seg_clean).unwrap();

    // Empty meta.json.
    std::fs::write(block.join("meta.json"), b"").unwrap();
    assert_found(
        &verify_block(&block).unwrap(),
        ProblemKind::Meta,
        "meta.json",
        None,
    );

    // Tombstones cut by one byte: the CRC no longer matches.
    let (_tmp2, tblock) = tomb_victim();
    let t = std::fs::read(tblock.join("tombstones")).unwrap();
    std::fs::write(tblock.join("tombstones"), &t[..t.len() - 1]).unwrap();
    assert_found(
        &verify_block(&tblock).unwrap(),
        ProblemKind::Checksum,
        "tombstones",
        Some(t.len() as u64 - 5),
    );
    std::fs::write(tblock.join("tombstones"), &t[..3]).unwrap();
    assert_found(
        &verify_block(&tblock).unwrap(),
        ProblemKind::Truncated,
        "tombstones",
        Some(0),
    );
}

#[test]
fn unsorted_postings_with_fixed_crc() {
    let (_tmp, block) = multi_victim();
    let index = block.join("index");
    let (off, mut refs) = postings_list(&index, |n| n >= 3);
    refs.swap(0, 1);
    edit(&index, |d| rewrite_postings(d, off as usize, &refs));
    let problems = verify_block(&block).unwrap();
    assert_found(&problems, ProblemKind::Order, "index", Some(off));
    assert!(
        problems.iter().all(|p| p.kind != ProblemKind::Checksum),
        "{problems:#?}"
    );
}

#[test]
fn postings_that_disagree_with_series_labels() {
    let (_tmp, block) = multi_victim();
    let index = block.join("index");
    let all = IndexReader::open(&index).unwrap().all_postings().unwrap();
    let (off, refs) = postings_list(&index, |n| n == 1);
    let other = *all.iter().find(|&&r| r != refs[0]).unwrap();
    edit(&index, |d| rewrite_postings(d, off as usize, &[other]));
    let problems = verify_block(&block).unwrap();
    assert_found(&problems, ProblemKind::Postings, "index", Some(off));
    assert!(problems.iter().any(|p| p.message.contains("lacks series")));
    assert!(problems
        .iter()
        .any(|p| p.message.contains("do not have that label pair")));
}

#[test]
fn chunk_meta_time_mismatch_with_fixed_crc() {
    let (_tmp, block) = multi_victim();
    let index = block.join("index");
    let r = IndexReader::open(&index).unwrap().all_postings().unwrap()[5];
    let at = r as usize * 16;
    edit(&index, |d| {
        let (len, n) = uvarint(d, at);
        let body = at + n;
        let mut p = body;
        let (labels, k) = uvarint(d, p);
        p += k;
        for _ in 0..2 * labels {
            p += uvarint(d, p).1;
        }
        let (chunks, k) = uvarint(d, p);
        assert!(chunks > 0);
        p += k;
        p += uvarint(d, p).1; // mint
                              // maxt - mint: change the low bits of its first byte.
        let b = d[p];
        d[p] = if b & 0x7f == 0x7f { b - 1 } else { b + 1 };
        let end = body + len as usize;
        let crc = crc32c::crc32c(&d[body..end]);
        d[end..end + 4].copy_from_slice(&crc.to_be_bytes());
    });
    let problems = verify_block(&block).unwrap();
    assert_found(&problems, ProblemKind::ChunkTime, "index", Some(at as u64));
    assert!(
        problems.iter().all(|p| p.kind != ProblemKind::Checksum),
        "{problems:#?}"
    );
}

#[test]
fn tombstone_ref_to_a_missing_series() {
    let (_tmp, block) = multi_victim();
    let mut entries = Vec::new();
    put_uvarint(&mut entries, 999_999);
    put_uvarint(&mut entries, 20); // mint 10, zig-zag
    put_uvarint(&mut entries, 40); // maxt 20
    let mut file = vec![0x01, 0x30, 0xba, 0x30, 0x01];
    file.extend_from_slice(&entries);
    file.extend_from_slice(&crc32c::crc32c(&entries).to_be_bytes());
    std::fs::write(block.join("tombstones"), file).unwrap();
    let problems = verify_block(&block).unwrap();
    assert_found(&problems, ProblemKind::Tombstone, "tombstones", Some(5));
    // meta.json says there are no tombstones, and there is one now.
    assert_found(&problems, ProblemKind::Stats, "meta.json", None);
}

#[test]
fn cli_reports_problems_with_block_file_and_offset() {
    let bin = env!("CARGO_BIN_EXE_tsblock-tools");
    let ok = Command::new(bin)
        .args(["verify", "--quiet"])
        .arg(testdata().join("multi"))
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert!(ok.stdout.is_empty() && ok.stderr.is_empty());

    let (tmp, block) = multi_victim();
    let second = second_record(&block);
    edit(&block.join("chunks/000001"), |d| {
        d[second as usize + 5] ^= 0x01
    });
    let out = Command::new(bin)
        .arg("verify")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let want = format!(
        "{}: offset {second}: chunk record: checksum mismatch",
        block.join("chunks/000001").display()
    );
    assert!(stdout.starts_with(&want), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("problem(s) in 1 of 1 block(s)"));

    let quiet = Command::new(bin)
        .args(["verify", "-q"])
        .arg(&block)
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(1));
    assert!(quiet.stderr.is_empty());
    assert_eq!(String::from_utf8(quiet.stdout).unwrap(), stdout);

    let missing = Command::new(bin)
        .args(["verify", "/nonexistent/tsblock/dir"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
}
