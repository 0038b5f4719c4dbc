//! BlockWriter: blocks read back by tsblock and by promtool; crash safety; input checks.

mod write_util;

use tsblock::{Db, Labels};
use tsblock_tools::write::BlockWriter;
use write_util::{first_difference, promtool, promtool_dump, tsblock_dump, TempDir};

fn l(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

#[test]
fn small_block_reads_back_and_dumps_like_promtool() {
    let tmp = TempDir::new("small");
    let mut w = BlockWriter::create(tmp.path(), 0, 7_200_000).unwrap();
    let a: Vec<(i64, f64)> = (0..1000).map(|i| (i * 7_000, i as f64 * 0.5)).collect();
    w.add_series(&l(&[("__name__", "a"), ("job", "x")]), &a)
        .unwrap();
    w.add_series(
        &l(&[("__name__", "b"), ("e", ""), ("job", "x")]),
        &[(5, f64::NAN), (6, -0.0)],
    )
    .unwrap();
    let b = w.finish().unwrap();
    assert_eq!(b.meta.stats.num_series, 2);
    assert_eq!(b.meta.stats.num_samples, 1002);
    let db = Db::open(tmp.path()).unwrap();
    assert_eq!(db.blocks().len(), 1);
    let got = tsblock_dump(tmp.path());
    assert_eq!(String::from_utf8_lossy(&got).lines().count(), 1002);
    if let Some(p) = promtool() {
        let want = promtool_dump(&p, tmp.path());
        assert!(got == want, "{}", first_difference(&got, &want));
    }
}

/// Names in `dir`.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn dropped_unfinished_writer_leaves_nothing() {
    let tmp = TempDir::new("drop");
    let mut w = BlockWriter::create(tmp.path(), 0, 1000).unwrap();
    let tmp_dir = w.tmp_dir().to_owned();
    assert!(tmp_dir.ends_with(format!("{}.tmp-for-creation", w.ulid())));
    w.add_series(&l(&[("a", "1")]), &[(1, 1.0), (2, 2.0)])
        .unwrap();
    assert!(
        tmp_dir.join("chunks/000001").exists(),
        "chunks are written as series arrive"
    );
    drop(w);
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));

    // A writer that failed midway (bad input) and is dropped cleans up too.
    let mut w = BlockWriter::create(tmp.path(), 0, 1000).unwrap();
    w.add_series(&l(&[("a", "2")]), &[(1, 1.0)]).unwrap();
    assert!(w.add_series(&l(&[("a", "1")]), &[(1, 1.0)]).is_err());
    drop(w);
    assert!(entries(tmp.path()).is_empty());
    assert!(Db::open(tmp.path()).unwrap().blocks().is_empty());
}

#[test]
fn finished_block_has_only_final_files() {
    let tmp = TempDir::new("final");
    let mut w = BlockWriter::create(tmp.path(), 0, 1000).unwrap();
    w.add_series(&l(&[("a", "1")]), &[(1, 1.0)]).unwrap();
    let b = w.finish().unwrap();
    assert_eq!(entries(tmp.path()), [b.ulid.to_string()]);
    assert_eq!(
        entries(&b.path),
        ["chunks", "index", "meta.json", "tombstones"]
    );
    assert_eq!(entries(&b.path.join("chunks")), ["000001"]);
    assert_eq!(b.meta.ulid, b.ulid.to_string());
    assert_eq!(b.meta.compaction.level, 1);
    assert_eq!(b.meta.compaction.sources, [b.ulid.to_string()]);
    assert_eq!((b.meta.min_time, b.meta.max_time), (0, 1000));
    let tomb = std::fs::read(b.path.join("tombstones")).unwrap();
    assert_eq!(tomb, [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let tmp = TempDir::new("bad");
    assert!(BlockWriter::create(tmp.path(), 10, 10).is_err());
    let mut w = BlockWriter::create(tmp.path(), 0, 1000).unwrap();
    let s = [(1, 1.0)];
    // Labels: empty name, duplicate name, nothing left after dropping empty values.
    assert!(w.add_series(&l(&[("", "x")]), &s).is_err());
    assert!(w.add_series(&l(&[("a", "1"), ("a", "2")]), &s).is_err());
    assert!(w.add_series(&l(&[("a", "")]), &s).is_err());
    assert!(w.add_series(&Labels::default(), &s).is_err());
    // Samples: outside [min, max), not increasing.
    assert!(w.add_series(&l(&[("a", "1")]), &[(1000, 1.0)]).is_err());
    assert!(w.add_series(&l(&[("a", "1")]), &[(-1, 1.0)]).is_err());
    assert!(w
        .add_series(&l(&[("a", "1")]), &[(5, 1.0), (5, 2.0)])
        .is_err());
    assert!(w
        .add_series(&l(&[("a", "1")]), &[(6, 1.0), (5, 2.0)])
        .is_err());
    // A series without samples is skipped.
    assert_eq!(w.add_series(&l(&[("a", "0")]), &[]).unwrap(), None);
    w.add_series(&l(&[("a", "1")]), &s).unwrap();
    // Order: equal or smaller label sets.
    assert!(w.add_series(&l(&[("a", "1")]), &s).is_err());
    assert!(w.add_series(&l(&[("a", "0")]), &s).is_err());
    assert!(w.set_chunk_range(0).is_err());
    assert!(w.set_segment_size(100).is_err(), "segments already started");
    let err = w.set_tombstones([(tsblock_tools::write::SeriesId(5), 1, 2)]);
    assert!(err.is_err());
    assert!(w
        .set_tombstones([(tsblock_tools::write::SeriesId(0), 3, 2)])
        .is_err());
    // Pre-encoded chunks: unknown encoding, no count, overlapping, outside the range.
    use tsblock_tools::write::ChunkInput;
    let c = |min, max, encoding, data: &'static [u8]| ChunkInput {
        min_time: min,
        max_time: max,
        encoding,
        data,
    };
    let b = l(&[("b", "1")]);
    assert!(w.add_series_chunks(&b, &[c(1, 2, 0, &[0, 1])]).is_err());
    assert!(w.add_series_chunks(&b, &[c(1, 2, 9, &[0, 1])]).is_err());
    assert!(w.add_series_chunks(&b, &[c(1, 2, 1, &[0])]).is_err());
    assert!(w.add_series_chunks(&b, &[c(5, 2, 1, &[0, 1])]).is_err());
    assert!(w
        .add_series_chunks(&b, &[c(1, 5, 1, &[0, 1]), c(5, 6, 1, &[0, 1])])
        .is_err());
    assert!(w.add_series_chunks(&b, &[c(1, 1000, 1, &[0, 1])]).is_err());
    // Still usable after all that.
    w.add_series(&l(&[("a", "2")]), &s).unwrap();
    let b = w.finish().unwrap();
    assert_eq!(b.meta.stats.num_series, 2);
}

#[test]
fn small_segments_hold_whole_series_and_read_back() {
    let tmp = TempDir::new("segments");
    let mut w = BlockWriter::create(tmp.path(), 0, 100_000_000).unwrap();
    w.set_sync(false);
    w.set_segment_size(2000).unwrap();
    let mut want = Vec::new();
    for i in 0..20 {
        let labels = l(&[("i", &format!("{i:02}"))]);
        let samples: Vec<(i64, f64)> = (0..(i * 37 + 1))
            .map(|k| (k * 10_000 + i, (k * i) as f64 / 7.0))
            .collect();
        w.add_series(&labels, &samples).unwrap();
        want.push((labels, samples));
    }
    let b = w.finish().unwrap();
    assert!(b.segments > 3, "{}", b.segments);
    let chunks = entries(&b.path.join("chunks"));
    assert_eq!(chunks.len() as u32, b.segments);
    // A series' chunks share a segment unless they alone exceed the limit, and since no
    // single chunk does, no segment exceeds it.
    let db = Db::open(tmp.path()).unwrap();
    let blk = &db.blocks()[0];
    let ix = blk.index();
    let mut entry = tsblock::index::SeriesEntry::default();
    let mut split = 0;
    for r in ix.all_postings().unwrap() {
        ix.series(tsblock::format::SeriesRef(r), &mut entry)
            .unwrap();
        let segs: std::collections::BTreeSet<u32> =
            entry.chunks.iter().map(|c| c.chunk.segment()).collect();
        // Prometheus' estimate of a batch: every record with a 5-byte length field.
        let batch: usize = entry
            .chunks
            .iter()
            .map(|c| blk.chunks().chunk(c.chunk).unwrap().data.len() + 10)
            .sum();
        if batch + 8 <= 2000 {
            assert_eq!(
                segs.len(),
                1,
                "a {batch}-byte series is split over {segs:?}"
            );
        } else {
            split += 1;
        }
    }
    assert!(split > 0, "no series was large enough to need splitting");
    for name in &chunks {
        let len = std::fs::metadata(b.path.join("chunks").join(name))
            .unwrap()
            .len();
        assert!(len <= 2000, "segment {name} has {len} bytes");
    }
    let got: Vec<(Labels, Vec<(i64, f64)>)> = db
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| {
            let s = s.unwrap();
            let v = s.samples().collect::<Result<Vec<_>, _>>().unwrap();
            (s.labels().clone(), v)
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn tombstones_are_written_and_applied() {
    use tsblock_tools::write::SeriesId;
    let tmp = TempDir::new("tomb");
    let mut w = BlockWriter::create(tmp.path(), 0, 1000).unwrap();
    let a = w
        .add_series(&l(&[("a", "1")]), &[(1, 1.0), (2, 2.0), (3, 3.0)])
        .unwrap()
        .unwrap();
    let b = w
        .add_series(&l(&[("a", "2")]), &[(1, 1.0), (2, 2.0)])
        .unwrap()
        .unwrap();
    assert_eq!((a, b), (SeriesId(0), SeriesId(1)));
    w.set_tombstones([(a, 2, 2), (b, 0, 1), (b, 2, 5)]).unwrap();
    let blk = w.finish().unwrap();
    assert_eq!(blk.meta.stats.num_tombstones, 2); // b's two intervals merge (adjacent)
    let got = String::from_utf8(tsblock_dump(tmp.path())).unwrap();
    assert_eq!(got, "{a=\"1\"} 1 1\n{a=\"1\"} 3 3\n");
    if let Some(p) = promtool() {
        let want = promtool_dump(&p, tmp.path());
        assert_eq!(got.as_bytes(), want);
    }
}

#[test]
fn precoded_chunks_and_compaction_lineage() {
    use tsblock::chunkenc::XorAppender;
    use tsblock_tools::write::{BlockDesc, ChunkInput};
    let tmp = TempDir::new("chunks");
    let mut app = XorAppender::new();
    for t in 0..10 {
        app.append(t * 100, t as f64);
    }
    let data = app.finish();
    let mut app2 = XorAppender::new();
    app2.append(5000, -1.0);
    let data2 = app2.finish();
    let parent_a = ulid::Ulid::new();
    let parent_b = ulid::Ulid::new();
    let mut w = BlockWriter::create(tmp.path(), 0, 10_000).unwrap();
    w.set_compaction(
        2,
        vec![parent_b, parent_a],
        vec![
            BlockDesc {
                ulid: parent_a,
                min_time: 0,
                max_time: 5000,
            },
            BlockDesc {
                ulid: parent_b,
                min_time: 5000,
                max_time: 10_000,
            },
        ],
    );
    let chunks = [
        ChunkInput {
            min_time: 0,
            max_time: 900,
            encoding: 1,
            data: &data,
        },
        ChunkInput {
            min_time: 5000,
            max_time: 5000,
            encoding: 1,
            data: &data2,
        },
    ];
    w.add_series_chunks(&l(&[("__name__", "x")]), &chunks)
        .unwrap();
    let b = w.finish().unwrap();
    assert_eq!(b.meta.stats.num_samples, 11);
    assert_eq!(b.meta.stats.num_chunks, 2);
    assert_eq!(b.meta.compaction.level, 2);
    let mut sources = vec![parent_a.to_string(), parent_b.to_string()];
    sources.sort();
    assert_eq!(b.meta.compaction.sources, sources);
    let json = std::fs::read_to_string(b.path.join("meta.json")).unwrap();
    assert!(
        json.contains("\"parents\": [\n\t\t\t{\n\t\t\t\t\"ulid\""),
        "{json}"
    );
    let got = String::from_utf8(tsblock_dump(tmp.path())).unwrap();
    assert_eq!(got.lines().count(), 11);
    assert!(got.ends_with("{__name__=\"x\"} -1 5000\n"), "{got}");
    if let Some(p) = promtool() {
        assert_eq!(got.as_bytes(), promtool_dump(&p, tmp.path()));
    }
}

#[test]
fn empty_block_is_valid() {
    let tmp = TempDir::new("empty");
    let w = BlockWriter::create(tmp.path(), 0, 1000).unwrap();
    let b = w.finish().unwrap();
    assert_eq!(b.meta.stats.num_series, 0);
    assert_eq!(b.segments, 0);
    let json = std::fs::read_to_string(b.path.join("meta.json")).unwrap();
    assert!(json.contains("\"stats\": {},"), "{json}");
    let db = Db::open(tmp.path()).unwrap();
    assert_eq!(db.blocks().len(), 1);
    assert!(db.blocks()[0].index().all_postings().unwrap().is_empty());
    assert!(tsblock_dump(tmp.path()).is_empty());
    if let Some(p) = promtool() {
        assert!(promtool_dump(&p, tmp.path()).is_empty());
    }
}
