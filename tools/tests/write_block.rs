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
