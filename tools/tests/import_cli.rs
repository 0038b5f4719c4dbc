//! The import command's interface: stdin, default output dir, `--label`, `--quiet`, the
//! summary and warnings on stderr, spilling to disk, existing blocks in OUTPUT_DIR.

mod import_common;

use std::fmt::Write as _;

use import_common::*;

fn messy_input() -> String {
    // Four series, interleaved, over ~3 blocks, with collisions of every kind.
    let mut s = String::from("# TYPE m gauge\n");
    let mut x: u64 = 12345;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = 1_000_000 + (x % 20_000) as i64;
        writeln!(s, "m{{s=\"{}\"}} {} {t}", x % 4, (x >> 20) % 3).unwrap();
    }
    s.push_str("# EOF\n");
    s
}

#[test]
fn stdin_and_file_give_the_same_blocks() {
    let tmp = TempDir::new("stdin");
    let input = messy_input();
    let path = tmp.join("in.om");
    std::fs::write(&path, &input).unwrap();
    let a = tmp.join("a");
    import_ok(&path, &a, &[]);
    let b = tmp.join("b");
    let o = import_in(None, &["-", b.to_str().unwrap()], Some(input.as_bytes()));
    assert!(o.status.success(), "{}", stderr(&o));
    let (da, db) = (tsblock_dump(&a), tsblock_dump(&b));
    assert!(!da.is_empty());
    assert!(da == db, "{}", first_difference(&db, &da));
    assert_eq!(entries(&a).len(), entries(&b).len());
}

#[test]
fn spilling_to_disk_gives_the_same_blocks() {
    let tmp = TempDir::new("spill");
    let path = tmp.join("in.om");
    std::fs::write(&path, messy_input()).unwrap();
    let want_dir = tmp.join("want");
    let want_err = stderr(&import_ok(&path, &want_dir, &["--quiet"]));
    let want = tsblock_dump(&want_dir);
    // 7 and 100 records: blocks bigger than the buffer (external merge); 1000: blocks fit.
    for cap in ["7", "100", "1000"] {
        let out = tmp.join(&format!("got{cap}"));
        let o = import_ok(&path, &out, &["--quiet", "--buffer-samples", cap]);
        let got = tsblock_dump(&out);
        assert!(got == want, "{cap}: {}", first_difference(&got, &want));
        assert_eq!(stderr(&o), want_err);
        // Only block directories remain.
        for e in entries(&out) {
            assert!(e.len() == 26 && !e.contains('.'), "{cap}: left {e}");
        }
    }
}

#[test]
fn warnings_and_summary_on_stderr() {
    let tmp = TempDir::new("summary");
    let path = tmp.join("in.om");
    std::fs::write(
        &path,
        "a 1 10\na 2 20\na 3 15\na 2 20\na 9 20\nb 1 5\na 4 30\nc 1 -7300\nd 1 -100\n# EOF\n",
    )
    .unwrap();
    let out = tmp.join("out");
    let o = import_ok(&path, &out, &[]);
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 5, "{err}");
    assert_eq!(
        lines[0],
        "tsblock-tools: warning: dropped 1 out-of-order sample (older than the newest sample of their series in the block)"
    );
    assert_eq!(
        lines[1],
        "tsblock-tools: warning: dropped 1 duplicate sample (same series, timestamp and value)"
    );
    assert_eq!(
        lines[2],
        "tsblock-tools: warning: dropped 1 sample with a timestamp already used in their series but a different value"
    );
    assert!(
        lines[3]
            .starts_with("tsblock-tools: warning: dropped 1 sample before the first block's start"),
        "{err}"
    );
    // c at -7300 s is before the start -7200 s; d at -100 s is kept (block [-7200 s, 0)).
    assert!(
        lines[4].starts_with(&format!(
            "tsblock-tools: wrote 2 blocks to {}: 3 series, 5 samples, ",
            out.display()
        )),
        "{err}"
    );
    assert!(lines[4].contains(" samples/s)"), "{err}");

    // --quiet keeps the warnings only.
    let o = import_ok(&path, &tmp.join("quiet"), &["--quiet"]);
    let quiet = stderr(&o);
    assert_eq!(quiet.lines().count(), 4, "{quiet}");
    assert!(!quiet.contains("wrote"));

    // A clean input prints only the summary.
    std::fs::write(&path, "a 1 1\n# EOF\n").unwrap();
    let o = import_ok(&path, &tmp.join("clean"), &[]);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = import_ok(&path, &tmp.join("clean-quiet"), &["-q"]);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn default_output_dir_is_data() {
    let tmp = TempDir::new("default");
    std::fs::write(tmp.join("in.om"), "a 1 1\n# EOF\n").unwrap();
    let o = import_in(Some(tmp.path()), &["in.om"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(entries(&tmp.join("data")).len(), 1);
    assert_eq!(tsblock_dump(&tmp.join("data")), "{__name__=\"a\"} 1 1000\n");
}

#[test]
fn extra_labels_are_set_on_every_series() {
    let tmp = TempDir::new("labels");
    let path = tmp.join("in.om");
    std::fs::write(
        &path,
        "m{job=\"a\",gone=\"x\"} 1 1\nn 2 2\nn{job=\"\"} 3 3\n# EOF\n",
    )
    .unwrap();
    let out = tmp.join("out");
    import_ok(
        &path,
        &out,
        &[
            "--label",
            "job=import",
            "--label=cluster=c1",
            "--label",
            "gone=",
        ],
    );
    assert_eq!(
        tsblock_dump(&out),
        concat!(
            "{__name__=\"m\", cluster=\"c1\", job=\"import\"} 1 1000\n",
            "{__name__=\"n\", cluster=\"c1\", job=\"import\"} 2 2000\n",
            "{__name__=\"n\", cluster=\"c1\", job=\"import\"} 3 3000\n",
        )
    );
}

#[test]
fn existing_blocks_are_kept() {
    let tmp = TempDir::new("existing");
    let out = tmp.join("out");
    let a = tmp.join("a.om");
    std::fs::write(&a, "a 1 1\n# EOF\n").unwrap();
    import_ok(&a, &out, &[]);
    let b = tmp.join("b.om");
    std::fs::write(&b, "b 2 2\n# EOF\n").unwrap();
    import_ok(&b, &out, &[]);
    assert_eq!(entries(&out).len(), 2);
    assert_eq!(
        tsblock_dump(&out),
        "{__name__=\"a\"} 1 1000\n{__name__=\"b\"} 2 2000\n"
    );
    // A failing import next to them touches nothing.
    let c = tmp.join("c.om");
    std::fs::write(&c, "c 3 3\n").unwrap();
    let before = entries(&out);
    let o = import(&[c.to_str().unwrap(), out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert_eq!(entries(&out), before);
}

#[test]
fn empty_input_writes_no_block() {
    let tmp = TempDir::new("empty");
    let path = tmp.join("in.om");
    std::fs::write(&path, "# HELP a x\n# TYPE a gauge\n# EOF\n").unwrap();
    let out = tmp.join("out");
    let o = import_ok(&path, &out, &[]);
    assert!(entries(&out).is_empty());
    assert!(stderr(&o).contains("wrote 0 blocks"), "{}", stderr(&o));
}
