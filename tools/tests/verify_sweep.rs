//! Corruption sweep for `verify`: bit flips and truncations all over every file of real
//! Prometheus blocks. verify must never panic or hang, and every damage to the index,
//! a chunk segment or the tombstones file must be reported (every byte of those files is
//! covered by a CRC, a structural rule or a zero-padding rule).

mod verify_support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use tsblock::Db;
use tsblock_tools::verify::{verify_block, Problem};
use verify_support::{copy_dir, testdata, TempDir};

/// verify with a deadline; a panic or a hang fails the test.
fn problems(block: &Path) -> Vec<Problem> {
    let (tx, rx) = mpsc::channel();
    let b = block.to_owned();
    let h = std::thread::spawn(move || {
        let _ = tx.send(verify_block(&b).expect("verify_block"));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(p) => {
            h.join().expect("verify thread");
            p
        }
        Err(_) => panic!("verify panicked or hung on {}", block.display()),
    }
}

/// Positions spread over `0..len`: both ends and about `n` evenly spaced ones.
fn spread(len: usize, n: usize) -> Vec<usize> {
    let step = (len / n).max(1);
    let mut v: Vec<usize> = (0..len).step_by(step).collect();
    v.push(len - 1);
    v
}

fn copy_block(dir: &str, pick: impl Fn(&tsblock::Block) -> u64) -> (TempDir, PathBuf) {
    let db = Db::open(&testdata().join(dir)).unwrap();
    let block = db.blocks().iter().max_by_key(|b| pick(b)).unwrap();
    let tmp = TempDir::new("sweep");
    let copy = tmp.path().join(block.dir().file_name().unwrap());
    copy_dir(block.dir(), &copy);
    (tmp, copy)
}

/// Flip bytes at spread positions of `file` (alternating masks) and cut it at spread
/// lengths; `must_report` says whether each damage has to produce a problem.
fn sweep(block: &Path, file: &str, n: usize, must_report: bool) -> usize {
    let path = block.join(file);
    let clean = std::fs::read(&path).unwrap();
    assert!(
        problems(block).is_empty(),
        "{file}: clean copy has problems"
    );
    let mut cases = 0;
    for (i, pos) in spread(clean.len(), n).into_iter().enumerate() {
        // (0x01 would turn index version 2 into the valid 3.)
        for mask in [[0x10u8, 0x04][i % 2], 0xff] {
            let mut bad = clean.clone();
            bad[pos] ^= mask;
            std::fs::write(&path, &bad).unwrap();
            let p = problems(block);
            assert!(
                !must_report || !p.is_empty(),
                "{file}: flip {mask:#04x} at {pos} of {} went unnoticed",
                clean.len()
            );
            cases += 1;
        }
    }
    for len in spread(clean.len(), n / 2) {
        std::fs::write(&path, &clean[..len]).unwrap();
        let p = problems(block);
        assert!(
            !must_report || !p.is_empty(),
            "{file}: cut to {len} of {} bytes went unnoticed",
            clean.len()
        );
        cases += 1;
    }
    std::fs::write(&path, &clean).unwrap();
    cases
}

#[test]
fn index_damage_is_always_reported() {
    let (_tmp, block) = copy_block("multi", |b| b.meta().stats.num_chunks);
    let cases = sweep(&block, "index", 700, true);
    assert!(cases > 1000, "only {cases} cases");
}

#[test]
fn chunk_segment_damage_is_always_reported() {
    let (_tmp, block) = copy_block("multi", |b| b.meta().stats.num_chunks);
    let cases = sweep(&block, "chunks/000001", 400, true);
    assert!(cases > 600, "only {cases} cases");
    std::fs::remove_file(block.join("chunks/000001")).unwrap();
    assert!(!problems(&block).is_empty(), "missing segment unnoticed");
}

#[test]
fn tombstones_damage_is_always_reported() {
    let (_tmp, block) = copy_block("tombstones", |b| b.meta().stats.num_tombstones);
    let len = std::fs::metadata(block.join("tombstones")).unwrap().len() as usize;
    sweep(&block, "tombstones", len, true);
}

#[test]
fn meta_json_damage_never_panics() {
    let (_tmp, block) = copy_block("tombstones", |b| b.meta().stats.num_tombstones);
    sweep(&block, "meta.json", 300, false);
}

#[test]
fn every_testdata_block_survives_a_coarse_sweep() {
    for dir in ["overlap", "overlap_abc", "stale"] {
        let (_tmp, block) = copy_block(dir, |b| b.meta().stats.num_samples);
        for file in ["index", "chunks/000001"] {
            sweep(&block, file, 60, true);
        }
    }
}
