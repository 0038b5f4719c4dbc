//! Corruption sweeps on a real Prometheus block: truncations and bit flips in every index
//! section, in chunk segments and in tombstones must give an error (where the damaged bytes
//! are checksummed or structural), and never a panic or a hang.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use common::{copy_dir, testdata, uvarint_at, TempDir};
use tsblock::db::Db;
use tsblock::index::IndexReader;

/// Read everything a reader can touch: all series and samples, every postings list.
fn read_everything(dir: &Path) -> tsblock::Result<()> {
    let db = Db::open(dir)?;
    if let Some(e) = db.skipped().first() {
        return Err(tsblock::Error::Meta {
            path: dir.into(),
            reason: e.to_string(),
        });
    }
    for s in db.select(&[], i64::MIN, i64::MAX)? {
        for sample in s?.samples() {
            sample?;
        }
    }
    for b in db.blocks() {
        let ix = b.index();
        let names: Vec<Vec<u8>> = ix.label_names().map(<[u8]>::to_vec).collect();
        for n in names.iter().map(Vec::as_slice).chain([&b""[..]]) {
            for v in ix.label_values(n) {
                let (_, off) = v?;
                ix.read_postings(off, &mut Vec::new())?;
            }
        }
    }
    Ok(())
}

/// Run `read_everything` with a deadline; a panic or hang fails the test.
fn outcome(dir: &Path) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let d = dir.to_owned();
    let h = std::thread::spawn(move || {
        let _ = tx.send(read_everything(&d).map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(r) => {
            h.join().expect("reader thread");
            r
        }
        Err(_) => panic!("reader panicked or hung on {}", dir.display()),
    }
}

/// The block of testdata/multi with the most chunks, copied into a temp data dir.
fn victim() -> (TempDir, PathBuf, PathBuf) {
    let src = testdata().join("multi");
    let db = Db::open(&src).unwrap();
    let block = db
        .blocks()
        .iter()
        .max_by_key(|b| b.meta().stats.num_chunks)
        .unwrap();
    let tmp = TempDir::new("corrupt");
    let name = block.dir().file_name().unwrap();
    let original = block.dir().to_owned();
    let copy = tmp.path().join(name);
    copy_dir(&original, &copy);
    (tmp, original, copy)
}

/// Byte ranges of the index that the reader checksums or parses, given a clean index.
fn checked_ranges(index: &Path) -> Vec<(String, std::ops::Range<usize>)> {
    let data = std::fs::read(index).unwrap();
    let ix = IndexReader::open(index).unwrap();
    let toc = ix.toc();
    let be32 = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
    let framed = |at: u64| at as usize..at as usize + 4 + be32(at as usize) + 4;
    let mut ranges = vec![
        ("header".into(), 0..5),
        ("toc".into(), data.len() - 52..data.len()),
        ("symbols".into(), framed(toc.symbols)),
        ("postings table".into(), framed(toc.postings_table)),
    ];
    for r in ix.all_postings().unwrap() {
        let start = r as usize * 16;
        let (len, i) = uvarint_at(&data, start);
        ranges.push((format!("series {r}"), start..i + len + 4));
    }
    let names: Vec<Vec<u8>> = ix.label_names().map(<[u8]>::to_vec).collect();
    for n in names.iter().map(Vec::as_slice).chain([&b""[..]]) {
        for v in ix.label_values(n) {
            let off = v.unwrap().1;
            ranges.push(("postings".into(), framed(off)));
        }
    }
    ranges
}

/// Positions spread over a range: both ends and up to `n` evenly spaced ones.
fn spread(r: &std::ops::Range<usize>, n: usize) -> Vec<usize> {
    let len = r.end - r.start;
    let step = (len / n).max(1);
    let mut v: Vec<usize> = (r.start..r.end).step_by(step).collect();
    v.push(r.end - 1);
    v
}

#[test]
fn clean_copy_reads_fine() {
    let (_tmp, _orig, copy) = victim();
    outcome(copy.parent().unwrap()).expect("clean block must read");
}

#[test]
fn index_bit_flips_in_checked_bytes_are_errors() {
    let (_tmp, orig, copy) = victim();
    let clean = std::fs::read(orig.join("index")).unwrap();
    let mut cases = 0;
    for (what, range) in checked_ranges(&orig.join("index")) {
        for pos in spread(&range, 12) {
            let mut bad = clean.clone();
            bad[pos] ^= 0x10;
            std::fs::write(copy.join("index"), &bad).unwrap();
            assert!(
                outcome(copy.parent().unwrap()).is_err(),
                "flip at {pos} in {what} went unnoticed"
            );
            cases += 1;
        }
    }
    // Unchecked bytes (padding, legacy label indices) may flip silently, but must not crash.
    for pos in spread(&(0..clean.len()), 400) {
        let mut bad = clean.clone();
        bad[pos] ^= 0xff;
        std::fs::write(copy.join("index"), &bad).unwrap();
        let _ = outcome(copy.parent().unwrap());
        cases += 1;
    }
    assert!(cases > 500, "only {cases} cases");
}

#[test]
fn truncated_index_is_an_error() {
    let (_tmp, orig, copy) = victim();
    let clean = std::fs::read(orig.join("index")).unwrap();
    for len in spread(&(0..clean.len()), 300) {
        std::fs::write(copy.join("index"), &clean[..len]).unwrap();
        let r = outcome(copy.parent().unwrap());
        assert!(
            r.is_err(),
            "index cut to {len} of {} bytes read fine",
            clean.len()
        );
    }
}

#[test]
fn chunk_segment_damage_is_an_error() {
    let (_tmp, orig, copy) = victim();
    let seg = orig.join("chunks/000001");
    let clean = std::fs::read(&seg).unwrap();
    for pos in spread(&(0..clean.len()), 300) {
        let mut bad = clean.clone();
        bad[pos] ^= 0x01;
        std::fs::write(copy.join("chunks/000001"), &bad).unwrap();
        assert!(
            outcome(copy.parent().unwrap()).is_err(),
            "chunk flip at {pos} went unnoticed"
        );
    }
    for len in spread(&(0..clean.len() - 1), 300) {
        std::fs::write(copy.join("chunks/000001"), &clean[..len]).unwrap();
        assert!(
            outcome(copy.parent().unwrap()).is_err(),
            "segment cut to {len} read fine"
        );
    }
    std::fs::remove_file(copy.join("chunks/000001")).unwrap();
    assert!(
        outcome(copy.parent().unwrap()).is_err(),
        "missing segment read fine"
    );
}

#[test]
fn tombstone_damage_is_an_error() {
    let src = testdata().join("tombstones");
    let db = Db::open(&src).unwrap();
    let block = db
        .blocks()
        .iter()
        .find(|b| !b.tombstones().is_empty())
        .expect("a tombstoned block");
    let tmp = TempDir::new("tomb");
    let copy = tmp.path().join(block.dir().file_name().unwrap());
    copy_dir(block.dir(), &copy);
    let clean = std::fs::read(block.dir().join("tombstones")).unwrap();
    for pos in 0..clean.len() {
        let mut bad = clean.clone();
        bad[pos] ^= 0x04;
        std::fs::write(copy.join("tombstones"), &bad).unwrap();
        assert!(
            outcome(tmp.path()).is_err(),
            "tombstones flip at {pos} went unnoticed"
        );
    }
    for len in 0..clean.len() {
        std::fs::write(copy.join("tombstones"), &clean[..len]).unwrap();
        assert!(
            outcome(tmp.path()).is_err(),
            "tombstones cut to {len} read fine"
        );
    }
}
