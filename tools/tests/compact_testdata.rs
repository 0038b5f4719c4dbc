//! Compaction of copies of the real Prometheus testdata: the dump is byte-identical before
//! and after (tsblock's and promtool's), the result passes verify, meta.json lineage is
//! right, `--dry-run` changes nothing, recovery retires superseded sources, and an open
//! query keeps reading blocks that compaction deletes.

mod verify_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use tsblock::format::BlockMeta;
use tsblock::Db;
use tsblock_tools::compact::{compact_dir, dry_run, PlanOptions, Reason};
use tsblock_tools::verify::verify_path;
use verify_support::{assert_same_dump, blocks, copy_dir, copy_testdata, dump, promtool_dump};

fn eager() -> PlanOptions {
    PlanOptions {
        eager: true,
        ..PlanOptions::default()
    }
}

/// Compact `testdata/<name>` with `opts`; check dump, promtool dump and verify; return the
/// report and the data dir guard.
fn compact_and_check(
    name: &str,
    opts: &PlanOptions,
) -> (
    verify_support::TempDir,
    std::path::PathBuf,
    tsblock_tools::compact::Report,
) {
    let (tmp, dir) = copy_testdata(name);
    let before = dump(&dir);
    assert!(!before.is_empty());
    let report = compact_dir(&dir, opts, &|_| {}).unwrap();
    let after = dump(&dir);
    assert_same_dump(&after, &before, name);
    for r in verify_path(&dir).unwrap() {
        assert!(
            r.problems.is_empty(),
            "{name}: {:?}",
            r.problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
    }
    if let Some(p) = promtool_dump(&dir) {
        assert_same_dump(&p, &before, &format!("{name}: promtool on the result"));
    }
    // Nothing is left behind.
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains(".tmp"), "leftover {name}");
    }
    (tmp, dir, report)
}

/// The raw meta.json of every block, by ULID.
fn metas(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    blocks(dir)
        .into_iter()
        .map(|b| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(b.join("meta.json")).unwrap()).unwrap();
            (b.file_name().unwrap().to_str().unwrap().to_owned(), v)
        })
        .collect()
}

#[test]
fn overlapping_blocks_merge_vertically() {
    let original = metas(&verify_support::testdata().join("overlap"));
    let (_tmp, dir, report) = compact_and_check("overlap", &PlanOptions::default());
    let reasons: Vec<(Reason, usize)> = report
        .steps
        .iter()
        .map(|s| (s.step.reason, s.step.blocks.len()))
        .collect();
    assert_eq!(reasons, [(Reason::Overlap, 3), (Reason::Overlap, 2)]);
    let now = metas(&dir);
    assert_eq!(now.len(), 2);
    for (ulid, m) in &now {
        assert_eq!(m["ulid"], ulid.as_str());
        assert_eq!(m["compaction"]["level"], 2);
        let parents = m["compaction"]["parents"].as_array().unwrap();
        let sources: Vec<&str> = m["compaction"]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = parents
            .iter()
            .map(|p| p["ulid"].as_str().unwrap())
            .collect();
        want.sort();
        assert_eq!(
            sources, want,
            "sources = sorted union of the parents' sources"
        );
        let mut min = i64::MAX;
        let mut max = i64::MIN;
        for p in parents {
            let o = &original[p["ulid"].as_str().unwrap()];
            assert_eq!(p["minTime"], o["minTime"]);
            assert_eq!(p["maxTime"], o["maxTime"]);
            min = min.min(o["minTime"].as_i64().unwrap());
            max = max.max(o["maxTime"].as_i64().unwrap());
        }
        assert_eq!(m["minTime"], min);
        assert_eq!(m["maxTime"], max);
    }
    // Nothing more to do.
    assert!(compact_dir(&dir, &PlanOptions::default(), &|_| {})
        .unwrap()
        .steps
        .is_empty());
}

#[test]
fn tombstoned_data_stays_deleted_and_tombstones_are_dropped() {
    // Prometheus' rules leave these small blocks alone...
    let (_t, dir) = copy_testdata("tombstones");
    assert!(dry_run(&dir, &PlanOptions::default())
        .unwrap()
        .steps
        .is_empty());
    // ... eager mode merges them into one 6h-range block without tombstones.
    let (_tmp, dir, report) = compact_and_check("tombstones", &eager());
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.steps[0].step.reason, Reason::Range(6 * 3600 * 1000));
    let b = blocks(&dir);
    assert_eq!(b.len(), 1);
    let block = tsblock::Block::open(&b[0]).unwrap();
    assert!(block.tombstones().is_empty());
    assert_eq!(block.meta().stats.num_tombstones, 0);
    assert_eq!(
        std::fs::read(b[0].join("tombstones")).unwrap().len(),
        9,
        "empty tombstones file"
    );
    // The wholly deleted series is gone from the index, too.
    assert!(block
        .index()
        .postings(b"series", b"whole")
        .unwrap()
        .is_empty());
}

#[test]
fn adjacent_blocks_merge_horizontally() {
    let (_tmp, dir, report) = compact_and_check("multi", &PlanOptions::default());
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.steps[0].step.blocks.len(), 3);
    assert_eq!(blocks(&dir).len(), 3);
    // Eager goes on to one block (6h groups, then an 18h group).
    let (_tmp, dir, report) = compact_and_check("multi", &eager());
    assert_eq!(blocks(&dir).len(), 1);
    let last = report.steps.last().unwrap();
    assert_eq!(last.step.reason, Reason::Range(18 * 3600 * 1000));
    let meta = BlockMeta::read(&blocks(&dir)[0]).unwrap();
    assert_eq!(meta.compaction.level, 3);
    assert_eq!(meta.compaction.sources.len(), 5);
    // keep_newest (Prometheus' own rule) plans the same first step here.
    let keep = PlanOptions {
        keep_newest: true,
        ..PlanOptions::default()
    };
    let (_t2, d2) = copy_testdata("multi");
    assert_eq!(dry_run(&d2, &keep).unwrap().steps.len(), 1);
}

#[test]
fn stale_markers_and_conflicts_survive() {
    compact_and_check("stale", &eager());
    compact_and_check("overlap_abc", &PlanOptions::default());
}

/// Every file of a dir tree with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), vec![]);
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let (_tmp, dir) = copy_testdata("overlap");
    let before = tree(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
        .args(["compact", "--dry-run"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1. merge 3 block(s) (overlapping) into new-1 [990000, 7190001)"),
        "{text}"
    );
    assert!(text.contains("2. merge 2 block(s) (overlapping) into new-2 [7200000, 9000001)"));
    for b in blocks(&dir) {
        assert!(text.contains(b.file_name().unwrap().to_str().unwrap()));
    }
    assert_eq!(tree(&dir), before, "--dry-run changed the data dir");

    // And the real run through the CLI.
    let want = dump(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
        .args(["compact", "--max-block-duration", "36h"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("merged 3 block(s) (overlapping;"), "{err}");
    assert_same_dump(&dump(&dir), &want, "CLI compact");
    let bad = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
        .args(["compact", "--max-block-duration", "soon"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "clap rejects a bad duration");
}

#[test]
fn recovery_retires_superseded_sources_and_leftovers() {
    // The state a crash right after the new block's rename leaves: sources + result.
    let (_t1, done, _) = compact_and_check("multi", &PlanOptions::default());
    let (_t2, dir) = copy_testdata("multi");
    let want = dump(&dir);
    let new: Vec<_> = blocks(&done)
        .into_iter()
        .filter(|b| BlockMeta::read(b).unwrap().compaction.level == 2)
        .collect();
    assert_eq!(new.len(), 1);
    copy_dir(&new[0], &dir.join(new[0].file_name().unwrap()));
    // Plus leftovers of both kinds.
    let first = blocks(&dir)[0].clone();
    let name = first.file_name().unwrap().to_str().unwrap().to_owned();
    copy_dir(&first, &dir.join(format!("{name}.tmp-for-deletion")));
    std::fs::create_dir(dir.join("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation")).unwrap();
    assert_same_dump(&dump(&dir), &want, "sources + result");

    let report = compact_dir(&dir, &PlanOptions::default(), &|_| {}).unwrap();
    assert_eq!(report.removed_leftovers.len(), 2);
    assert_eq!(report.retired_superseded.len(), 3);
    assert!(report.steps.is_empty(), "{:?}", report.steps);
    assert_eq!(blocks(&dir).len(), 3);
    assert_same_dump(&dump(&dir), &want, "after recovery");
}

#[test]
fn an_open_query_keeps_reading_deleted_sources() {
    let (_tmp, dir) = copy_testdata("multi");
    let want = dump(&dir);
    let db = Db::open(&dir).unwrap();
    // Chunk segments are mapped on first use: touch each block's segment first.
    for b in db.blocks() {
        let ix = b.index();
        let r = ix.all_postings().unwrap()[0];
        let mut e = tsblock::index::SeriesEntry::default();
        ix.series(tsblock::format::SeriesRef(r), &mut e).unwrap();
        b.chunks().chunk(e.chunks[0].chunk).unwrap();
    }
    let mut set = db.select(&[], i64::MIN, i64::MAX).unwrap();
    let mut text = Vec::new();
    let line = |s: tsblock::Series<'_>, out: &mut Vec<u8>| {
        let mut prefix = Vec::new();
        tsblock::promtext::write_labels(&mut prefix, s.labels().iter());
        for sample in s.samples() {
            let (t, v) = sample.unwrap();
            out.extend_from_slice(&prefix);
            out.push(b' ');
            tsblock::promtext::write_float(out, v);
            out.extend_from_slice(format!(" {t}\n").as_bytes());
        }
    };
    for _ in 0..10 {
        line(set.next().unwrap().unwrap(), &mut text);
    }
    let report = compact_dir(&dir, &eager(), &|_| {}).unwrap();
    assert!(!report.steps.is_empty());
    assert_eq!(blocks(&dir).len(), 1, "sources deleted");
    for s in set {
        line(s.unwrap(), &mut text);
    }
    assert_same_dump(&text, &want, "query over deleted blocks");
}

#[test]
fn empty_results_are_not_written() {
    use tsblock_tools::write::BlockWriter;
    let tmp = verify_support::TempDir::new("empty");
    let dir = tmp.path();
    let kept = tsblock::Labels::from_pairs([("__name__", "kept")]);
    let mut w = BlockWriter::create(dir, 0, 7_200_000).unwrap();
    w.add_series(&kept, &[(1000, 3.0)]).unwrap();
    let kept_block = w.finish().unwrap().path;
    // The newest block's only series is deleted entirely: Prometheus' rules rewrite it,
    // and the rewrite has no samples.
    let gone = tsblock::Labels::from_pairs([("__name__", "gone")]);
    let mut w = BlockWriter::create(dir, 7_200_000, 14_400_000).unwrap();
    let id = w
        .add_series(&gone, &[(7_201_000, 1.0), (7_202_000, 2.0)])
        .unwrap()
        .unwrap();
    w.set_tombstones([(id, 7_200_000, 7_300_000)]).unwrap();
    let deleted = w.finish().unwrap().path;
    let want = dump(dir);
    assert_eq!(
        String::from_utf8_lossy(&want),
        "{__name__=\"kept\"} 3 1000\n"
    );

    let report = compact_dir(dir, &PlanOptions::default(), &|_| {}).unwrap();
    assert_eq!(report.steps.len(), 1, "{report:?}");
    assert_eq!(report.steps[0].step.reason, Reason::Tombstones);
    assert!(report.steps[0].written.is_none(), "{report:?}");
    assert!(!deleted.exists());
    assert!(kept_block.exists());
    assert_eq!(blocks(dir), [kept_block]);
    assert_same_dump(&dump(dir), &want, "after removing the empty block");
}
