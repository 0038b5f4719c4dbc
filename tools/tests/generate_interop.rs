//! `tsblock-tools generate` against real Prometheus 2.42: promtool reads the blocks (dump,
//! list, analyze), and promtool's own backfill of the OpenMetrics output gives the same
//! chunks byte for byte. Without promtool these tests skip, except under `CI`, where they
//! fail.

mod write_util;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use tsblock::Db;
use write_util::{first_difference, promtool, promtool_dump, run_promtool, tsblock_dump, TempDir};

const ARGS: &[&str] = &[
    "--series",
    "150",
    "--duration",
    "5h",
    "--interval",
    "30s",
    "--seed",
    "9",
    "--quiet",
];

fn generate(out: &Path, extra: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
        .arg("generate")
        .arg(out)
        .args(ARGS)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn promtool_reads_generated_blocks() {
    let tmp = TempDir::new("gen-promtool");
    let data = tmp.path().join("data");
    generate(&data, &[]);
    let db = Db::open(&data).unwrap();
    assert!(db.blocks().len() >= 3, "{} blocks", db.blocks().len());
    let got = tsblock_dump(&data);
    let total: u64 = db.blocks().iter().map(|b| b.meta().stats.num_samples).sum();
    assert_eq!(got.iter().filter(|&&b| b == b'\n').count() as u64, total);
    let Some(promtool) = promtool() else { return };

    // dump: byte-identical.
    let want = promtool_dump(&promtool, &data);
    assert!(got == want, "{}", first_difference(&got, &want));

    // list: the same counts as meta.json, for every block.
    let list = run_promtool(
        &promtool,
        &["tsdb".as_ref(), "list".as_ref(), data.as_os_str()],
    );
    let list = String::from_utf8(list).unwrap();
    let rows: BTreeMap<&str, Vec<&str>> = list
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0], cols)
        })
        .collect();
    assert_eq!(rows.len(), db.blocks().len(), "{list}");
    for b in db.blocks() {
        let m = b.meta();
        let cols = &rows[m.ulid.as_str()];
        let want = [m.min_time.to_string(), m.max_time.to_string()];
        assert_eq!(&cols[1..3], &want, "{list}");
        let counts = [m.stats.num_samples, m.stats.num_chunks, m.stats.num_series];
        let listed: Vec<u64> = cols[4..7].iter().map(|c| c.parse().unwrap()).collect();
        assert_eq!(listed, counts, "{list}");
        // And the meta's counts are the block's real contents.
        let ix = b.index();
        let refs = ix.all_postings().unwrap();
        let mut entry = tsblock::index::SeriesEntry::default();
        let mut chunks = 0u64;
        for &r in &refs {
            ix.series(tsblock::format::SeriesRef(r), &mut entry)
                .unwrap();
            chunks += entry.chunks.len() as u64;
        }
        assert_eq!(
            (refs.len() as u64, chunks),
            (m.stats.num_series, m.stats.num_chunks)
        );

        // analyze: succeeds on every block and sees every series.
        let out = run_promtool(
            &promtool,
            &[
                "tsdb".as_ref(),
                "analyze".as_ref(),
                data.as_os_str(),
                m.ulid.as_ref(),
            ],
        );
        let out = String::from_utf8_lossy(&out);
        assert!(
            out.contains(&format!("Series: {}\n", m.stats.num_series)),
            "{out}"
        );
    }
}

#[test]
fn promtool_backfill_of_openmetrics_gives_identical_chunks() {
    let tmp = TempDir::new("gen-backfill");
    let ours = tmp.path().join("ours");
    let theirs = tmp.path().join("theirs");
    let om = tmp.path().join("input.om");
    generate(&ours, &[]);
    generate(&om, &["--format", "openmetrics"]);
    let text = std::fs::read_to_string(&om).unwrap();
    assert!(text.starts_with("# TYPE ") && text.ends_with("\n# EOF\n"));
    let Some(promtool) = promtool() else { return };
    run_promtool(
        &promtool,
        &[
            "tsdb".as_ref(),
            "create-blocks-from".as_ref(),
            "openmetrics".as_ref(),
            om.as_os_str(),
            theirs.as_os_str(),
        ],
    );
    // Same samples.
    let (a, b) = (tsblock_dump(&ours), tsblock_dump(&theirs));
    assert!(a == b, "{}", first_difference(&a, &b));
    // Same blocks (by 2h window), same counts, byte-identical chunk segments. promtool's
    // minTime/maxTime are the first and last sample + 1; ours are the aligned window.
    let window = |t: i64| t.div_euclid(7_200_000);
    let (dba, dbb) = (Db::open(&ours).unwrap(), Db::open(&theirs).unwrap());
    assert_eq!(dba.blocks().len(), dbb.blocks().len());
    for (x, y) in dba.blocks().iter().zip(dbb.blocks()) {
        let (mx, my) = (x.meta(), y.meta());
        assert_eq!(window(mx.min_time), window(my.min_time));
        assert_eq!(mx.stats, my.stats);
        same_index_as_promtool(x, y);
        for seg in ["000001", "000002"] {
            let (p, q) = (
                x.dir().join("chunks").join(seg),
                y.dir().join("chunks").join(seg),
            );
            assert_eq!(p.exists(), q.exists(), "{seg}");
            if p.exists() {
                assert!(
                    std::fs::read(&p).unwrap() == std::fs::read(&q).unwrap(),
                    "chunk segment {seg} of block {} differs from promtool's {}",
                    mx.ulid,
                    my.ulid
                );
            }
        }
    }
}

/// Our index equals promtool 2.42's except for the label indices and label offset table,
/// which 2.42 writes and we (like Prometheus ≥ 3.7) omit: header, symbols and series are
/// byte-identical, the postings lists too, and the postings offset table has the same
/// entries at the same offsets relative to the first list.
fn same_index_as_promtool(ours: &tsblock::Block, theirs: &tsblock::Block) {
    let (a, b) = (ours.index(), theirs.index());
    let (ta, tb) = (a.toc(), b.toc());
    let fa = std::fs::read(a.path()).unwrap();
    let fb = std::fs::read(b.path()).unwrap();
    let ua = |v: u64| v as usize;
    assert!(
        fa[..ua(ta.label_indices)] == fb[..ua(tb.label_indices)],
        "symbols or series differ"
    );
    assert_eq!(ta.label_offset_table, ta.postings_table);
    assert_eq!(ta.label_indices, ta.postings);
    let align = |v: u64| v.next_multiple_of(4);
    let (pa, pb) = (align(ta.postings), align(tb.postings));
    assert!(
        fa[ua(pa)..ua(ta.postings_table)] == fb[ua(pb)..ua(tb.label_offset_table)],
        "postings lists differ"
    );
    let table = |ix: &tsblock::index::IndexReader, start: u64| {
        let mut v = vec![(
            Vec::new(),
            Vec::new(),
            ix.postings_offset(b"", b"").unwrap().unwrap() - start,
        )];
        for name in ix.label_names() {
            for e in ix.label_values(name) {
                let (value, off) = e.unwrap();
                v.push((name.to_vec(), value.to_vec(), off - start));
            }
        }
        v
    };
    assert_eq!(table(a, pa), table(b, pb));
}
