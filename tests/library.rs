//! Library behaviour on real Prometheus blocks beyond plain dumps: index variants,
//! unsupported encodings, label APIs, and the parallel path.

mod common;

use std::path::Path;

use common::{copy_dir, testdata, uvarint_at, TempDir};
use tsblock::query::parse_metric_selector;
use tsblock::{parse_selector, Db, Error, Series};

/// Every sample of every series, via the sequential path.
fn dump_all(dir: &Path) -> Vec<(String, Vec<(i64, u64)>)> {
    let db = Db::open(dir).unwrap();
    db.select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| collect(s.unwrap()).unwrap())
        .collect()
}

fn collect(s: Series<'_>) -> tsblock::Result<(String, Vec<(i64, u64)>)> {
    let samples = s
        .samples()
        .map(|r| r.map(|(t, v)| (t, v.to_bits())))
        .collect::<tsblock::Result<_>>()?;
    Ok((s.labels().to_string(), samples))
}

fn first_block(dir: &Path) -> std::path::PathBuf {
    let db = Db::open(dir).unwrap();
    db.blocks()[0].dir().to_owned()
}

#[test]
fn parallel_and_sequential_paths_agree() {
    for dir in ["multi", "overlap", "tombstones", "stale"] {
        let db = Db::open(&testdata().join(dir)).unwrap();
        for (mint, maxt) in [
            (i64::MIN, i64::MAX),
            (1_000_500_000, 1_010_000_000),
            (1_000_000, 5_000_000),
        ] {
            let seq: Vec<_> = db
                .select(&[], mint, maxt)
                .unwrap()
                .map(|s| collect(s.unwrap()).unwrap())
                .collect();
            for batch in [1, 3, 64] {
                let par: Vec<_> = db
                    .select(&[], mint, maxt)
                    .unwrap()
                    .par_map(batch, collect)
                    .map(Result::unwrap)
                    .collect();
                assert_eq!(seq, par, "{dir} [{mint}, {maxt}] batch {batch}");
            }
        }
    }
}

/// Rewrite an index's TOC (and version byte) and recompute the TOC CRC.
fn rewrite_toc(index: &mut [u8], version: u8, edit: impl FnOnce(&mut [u64; 6])) {
    index[4] = version;
    let start = index.len() - 52;
    let mut toc = [0u64; 6];
    for (i, v) in toc.iter_mut().enumerate() {
        *v = u64::from_be_bytes(index[start + 8 * i..start + 8 * i + 8].try_into().unwrap());
    }
    edit(&mut toc);
    for (i, v) in toc.iter().enumerate() {
        index[start + 8 * i..start + 8 * i + 8].copy_from_slice(&v.to_be_bytes());
    }
    let crc = crc32c::crc32c(&index[start..start + 48]);
    index[start + 48..].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn reads_indexes_without_label_indices_and_version_3() {
    let src = testdata().join("multi");
    let want = dump_all(&src);
    for version in [2u8, 3] {
        let tmp = TempDir::new("v3");
        copy_dir(&src, tmp.path());
        for entry in std::fs::read_dir(tmp.path()).unwrap() {
            let path = entry.unwrap().path().join("index");
            let mut index = std::fs::read(&path).unwrap();
            // Make it look like Prometheus >= 3.7 wrote it: no label indices, no label offset
            // table (TOC points label offsets at the postings offset table). Clobber the
            // legacy sections so any read of them would fail.
            let toc_at = index.len() - 52;
            let field = |i: usize| {
                u64::from_be_bytes(
                    index[toc_at + 8 * i..toc_at + 8 * i + 8]
                        .try_into()
                        .unwrap(),
                ) as usize
            };
            let (label_indices, label_table, postings, postings_table) =
                (field(2), field(3), field(4), field(5));
            index[label_indices..postings].fill(0xEE);
            index[label_table..postings_table].fill(0xEE);
            rewrite_toc(&mut index, version, |toc| toc[3] = toc[5]);
            std::fs::write(&path, index).unwrap();
        }
        assert_eq!(dump_all(tmp.path()), want, "index version {version}");
    }
}

#[test]
fn rejects_index_version_1() {
    let tmp = TempDir::new("v1");
    copy_dir(
        &first_block(&testdata().join("multi")),
        &tmp.path().join("b"),
    );
    let path = tmp.path().join("b/index");
    let mut index = std::fs::read(&path).unwrap();
    index[4] = 1;
    std::fs::write(&path, index).unwrap();
    let err = tsblock::Block::open(&tmp.path().join("b")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                what: "index version",
                value: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("b/index"), "{err}");
}

#[test]
fn non_xor_chunk_is_a_typed_error_naming_series_and_encoding() {
    let tmp = TempDir::new("enc");
    let block = first_block(&testdata().join("multi"));
    let copy = tmp.path().join(block.file_name().unwrap());
    copy_dir(&block, &copy);
    // The first chunk record: length varint at offset 8, then the encoding byte.
    let seg = copy.join("chunks/000001");
    let mut data = std::fs::read(&seg).unwrap();
    let (len, i) = uvarint_at(&data, 8);
    data[i] = 2; // integer native histogram
    let crc = crc32c::crc32c(&data[i..i + 1 + len]);
    data[i + 1 + len..i + 5 + len].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(&seg, data).unwrap();

    let db = Db::open(tmp.path()).unwrap();
    let err = db
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .find_map(|s| s.unwrap().samples().find_map(Result::err))
        .expect("an error");
    match &err {
        Error::UnsupportedEncoding {
            encoding: 2,
            series,
            offset: 8,
            ..
        } => assert!(series.starts_with('{'), "{err}"),
        other => panic!("unexpected error {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("chunks/000001") && text.contains("encoding 2"),
        "{text}"
    );
}

#[test]
fn label_names_and_values_with_and_without_matchers() {
    let db = Db::open(&testdata().join("multi")).unwrap();
    let all = (i64::MIN, i64::MAX);
    let names = db.label_names(&[], all.0, all.1).unwrap();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    assert!(names.iter().any(|n| n == b"__name__") && !names.iter().any(|n| n.is_empty()));
    let up = parse_selector("up").unwrap();
    let up_names = db
        .label_names(std::slice::from_ref(&up), all.0, all.1)
        .unwrap();
    // Brute force: the union of the label names of every `up` series.
    let mut want = std::collections::BTreeSet::new();
    for s in db.select(std::slice::from_ref(&up), all.0, all.1).unwrap() {
        want.extend(s.unwrap().labels().iter().map(|(n, _)| n.to_vec()));
    }
    assert_eq!(up_names, want.into_iter().collect::<Vec<_>>());
    let jobs = db.label_values("job", &[up], all.0, all.1).unwrap();
    assert_eq!(jobs, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    let metrics = db.label_values("__name__", &[], all.0, all.1).unwrap();
    assert!(metrics.contains(&b"up".to_vec()) && metrics.contains(&b"weird_labels".to_vec()));
}

#[test]
fn selection_agrees_with_brute_force_matching() {
    // Postings selection (intersections, subtractions, set and prefix shortcuts) must equal
    // evaluating each matcher on each series' labels, "" standing in for missing labels.
    let db = Db::open(&testdata().join("multi")).unwrap();
    let everything: Vec<tsblock::Labels> = db
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| s.unwrap().labels().clone())
        .collect();
    let selectors = [
        r#"{job="a"}"#,
        r#"{job!="a"}"#,
        r#"{job=~"a|b"}"#,
        r#"{job!~"a|b"}"#,
        r#"{job=""}"#,
        r#"{job!=""}"#,
        r#"{job=~"a|"}"#,
        r#"{__name__=~"http.*", code!~"5.."}"#,
        r#"{__name__=~".+", zone=""}"#,
        r#"{__name__=~"(?i)UP|weird.+"}"#,
        r#"{__name__=~".*", job=~".+"}"#,
        r#"{__name__!~".*_total"}"#,
        r#"{a=~"quote.*"}"#,
        r#"{a=~"v\\d+|x"}"#,
        r#"{__name__=~"weird_labels", x=~".*"}"#,
        r#"{__name__=~"up|nope", job!~""}"#,
    ];
    for sel in selectors {
        let ms = parse_metric_selector(sel).unwrap();
        let got: Vec<tsblock::Labels> = db
            .select(std::slice::from_ref(&ms), i64::MIN, i64::MAX)
            .unwrap()
            .map(|s| s.unwrap().labels().clone())
            .collect();
        let want: Vec<tsblock::Labels> = everything
            .iter()
            .filter(|l| {
                ms.iter()
                    .all(|m| m.matches(l.get(m.name().as_bytes()).unwrap_or(b"")))
            })
            .cloned()
            .collect();
        assert_eq!(got, want, "{sel}");
        assert!(
            sel.contains("nope") || !got.is_empty() || sel.contains("5.."),
            "{sel} selected nothing"
        );
    }
}

#[test]
fn query_keeps_working_after_its_blocks_are_deleted() {
    // Compaction retires source blocks while queries may have them open: every file was
    // opened at Db::open, so unlinking the whole directory must not disturb the query,
    // even for chunk segments it had not touched yet.
    let want = dump_all(&testdata().join("overlap"));
    let tmp = TempDir::new("deleted");
    copy_dir(&testdata().join("overlap"), tmp.path());
    let db = Db::open(tmp.path()).unwrap();
    let set = db.select(&[], i64::MIN, i64::MAX).unwrap();
    std::fs::remove_dir_all(tmp.path()).unwrap();
    let got: Vec<_> = set.map(|s| collect(s.unwrap()).unwrap()).collect();
    assert_eq!(got, want);
}

#[test]
fn pipelined_for_each_equals_sequential() {
    let db = Db::open(&testdata().join("multi")).unwrap();
    let seq: Vec<_> = db
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| collect(s.unwrap()).unwrap())
        .collect();
    for chunks in [1, 2, 7, 1000] {
        let mut got = Vec::new();
        db.select(&[], i64::MIN, i64::MAX)
            .unwrap()
            .par_for_each_within(chunks, collect, |x| {
                got.push(x);
                Ok(())
            })
            .unwrap();
        assert_eq!(got, seq, "batches of {chunks} chunks");
    }
}
