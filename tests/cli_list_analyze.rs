//! `tsblock list`, `analyze` and `completions` against promtool 2.42: the recorded goldens
//! in testdata/golden/{list,analyze}/ and, where promtool is installed (always under CI), live
//! runs on copies of the testdata dirs.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{copy_dir, first_difference, promtool, testdata, tsblock, TempDir};

const DIRS: [&str; 4] = ["multi", "overlap", "tombstones", "stale"];
/// A --limit that prints every entry (the goldens' "full" runs use it too).
const FULL: &str = "1000000";

fn ok(out: &Output) -> &[u8] {
    assert!(
        out.status.success(),
        "tsblock failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    &out.stdout
}

fn dir(name: &str) -> String {
    testdata().join(name).to_str().unwrap().to_owned()
}

fn golden(path: &str) -> Vec<u8> {
    std::fs::read(testdata().join("golden").join(path)).unwrap()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

// ---- list --------------------------------------------------------------------------------

/// Each tsblock line must be promtool's line plus the FLAGS column; returns the flags.
fn check_list(got: &[u8], want: &[u8]) -> Vec<String> {
    let (got, want) = (text(got), text(want));
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "got:\n{got}\nwant:\n{want}"
    );
    got.lines()
        .zip(want.lines())
        .map(|(g, w)| {
            let rest = g
                .strip_prefix(w)
                .unwrap_or_else(|| panic!("promtool columns differ:\n got: {g}\nwant: {w}"));
            assert!(rest.starts_with("  "), "no gap before FLAGS in {g:?}");
            let flags = rest.trim_start();
            assert!(!flags.is_empty() && !flags.contains(' '), "{g:?}");
            flags.to_owned()
        })
        .collect()
}

fn expected_flags(d: &str) -> Vec<&'static str> {
    match d {
        "overlap" => vec!["overlap"; 5],
        "tombstones" => vec!["tombstones=2", "tombstones=4", "tombstones=1"],
        "multi" => vec!["-"; 5],
        "stale" => vec!["-"],
        _ => unreachable!(),
    }
}

#[test]
fn list_matches_promtool_goldens_plus_flags() {
    for d in DIRS {
        for (flag, suffix) in [
            (None, ""),
            (Some("-r"), "_human"),
            (Some("--human"), "_human"),
        ] {
            let path = dir(d);
            let mut args = vec!["list", path.as_str()];
            args.extend(flag);
            let out = tsblock(&args);
            let flags = check_list(ok(&out), &golden(&format!("list/{d}{suffix}.txt")));
            assert_eq!(flags[0], "FLAGS");
            assert_eq!(flags[1..], expected_flags(d), "{d} {flag:?}");
        }
    }
}

#[test]
fn list_json_has_promtool_numbers() {
    for d in DIRS {
        let out = tsblock(&["--format", "json", "list", &dir(d)]);
        let rows: serde_json::Value = serde_json::from_slice(ok(&out)).unwrap();
        let rows = rows.as_array().unwrap();
        let want = String::from_utf8(golden(&format!("list/{d}.txt"))).unwrap();
        let want: Vec<Vec<&str>> = want
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows.len(), want.len(), "{d}");
        for (r, w) in rows.iter().zip(&want) {
            let s = |k: &str| match &r[k] {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let got = [
                "ulid",
                "minTime",
                "maxTime",
                "duration",
                "numSamples",
                "numChunks",
                "numSeries",
                "size",
            ]
            .map(s);
            assert_eq!(got.to_vec(), *w, "{d}");
            let span = r["maxTime"].as_i64().unwrap() - r["minTime"].as_i64().unwrap();
            assert_eq!(r["durationMs"].as_i64().unwrap(), span);
            assert_eq!(
                r["overlapsWith"].as_array().unwrap().is_empty(),
                d != "overlap"
            );
            assert_eq!(r["tombstones"].as_u64().unwrap() > 0, d == "tombstones");
        }
    }
    // In overlap/, A1 [990000,7190001) meets B1 and C; A2 and B2 start at 7200000.
    let out = tsblock(&["--format", "json", "list", &dir("overlap")]);
    let rows: serde_json::Value = serde_json::from_slice(ok(&out)).unwrap();
    let u: Vec<String> = (0..5)
        .map(|i| rows[i]["ulid"].as_str().unwrap().to_owned())
        .collect();
    let overlaps = |i: usize| -> Vec<String> {
        let mut v: Vec<String> = rows[i]["overlapsWith"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(overlaps(0), sorted(vec![u[1].clone(), u[2].clone()]));
    assert_eq!(overlaps(2), sorted(vec![u[0].clone(), u[1].clone()]));
    assert_eq!(overlaps(3), vec![u[4].clone()]);
    assert_eq!(overlaps(4), vec![u[3].clone()]);
}

#[test]
fn list_csv_has_a_header_and_one_row_per_block() {
    let out = tsblock(&["--format", "csv", "list", &dir("tombstones")]);
    let s = text(ok(&out));
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("ulid,min_time,max_time,duration,"));
    assert!(lines[2].ends_with(",4"), "{}", lines[2]);
}

#[test]
fn list_keeps_machine_output_clean_when_skipping_a_block() {
    let tmp = TempDir::new("list-skip");
    copy_dir(&testdata().join("stale"), tmp.path());
    let bad = tmp.path().join("01BKGV7JBM69T2G1BGBGM6KB12");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("meta.json"), "{not json").unwrap();
    std::fs::create_dir_all(tmp.path().join("wal")).unwrap();
    let out = tsblock(&["--format", "json", "list", tmp.path().to_str().unwrap()]);
    let rows: serde_json::Value = serde_json::from_slice(ok(&out)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("skipping block"), "{err}");
}

#[test]
fn list_of_a_missing_dir_fails_on_one_line() {
    let out = tsblock(&["list", "/nonexistent/tsblock-data"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("tsblock: "), "{err}");
}

/// A copy of a testdata dir that promtool 2.42 accepts (it wants a wal/ dir).
fn promtool_copy(d: &str) -> TempDir {
    let tmp = TempDir::new(&format!("promtool-{d}"));
    copy_dir(&testdata().join(d), tmp.path());
    std::fs::create_dir_all(tmp.path().join("wal")).unwrap();
    tmp
}

fn run_promtool(promtool: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(promtool)
        .arg("tsdb")
        .args(args)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn list_matches_live_promtool() {
    let Some(pt) = promtool() else {
        eprintln!("promtool not installed; skipping (set CI to make this fail)");
        return;
    };
    for d in DIRS {
        let tmp = promtool_copy(d);
        let p = tmp.path().to_str().unwrap();
        for human in [false, true] {
            let mut args = vec!["list"];
            if human {
                args.push("-r");
            }
            args.push(p);
            let want = run_promtool(&pt, &args);
            let got = tsblock(&args);
            let flags = check_list(ok(&got), &want);
            assert_eq!(flags[1..], expected_flags(d));
        }
    }
}

// ---- analyze ------------------------------------------------------------------------------

const TITLES: [&str; 6] = [
    "Label pairs most involved in churning",
    "Label names most involved in churning",
    "Most common label pairs",
    "Label names with highest cumulative label value length",
    "Highest cardinality labels",
    "Highest cardinality metric names",
];

/// An analyze report split into header, the six sections (entries, which may span lines when
/// label values hold newlines) and the `--extended` tail.
#[derive(Debug, Clone, PartialEq)]
struct Report {
    header: Vec<u8>,
    sections: Vec<Vec<Vec<u8>>>,
    tail: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn starts_entry(line: &[u8]) -> bool {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && line.get(digits) == Some(&b' ')
}

fn parse_report(out: &[u8]) -> Report {
    let delims: Vec<Vec<u8>> = TITLES
        .iter()
        .map(|t| format!("\n\n{t}:\n").into_bytes())
        .chain([b"\n\nCompaction analysis:\n".to_vec()])
        .collect();
    let first = find(out, &delims[0], 0).expect("no sections");
    let header = out[..first + 1].to_vec();
    let mut cursor = first + delims[0].len();
    let mut sections = Vec::new();
    for i in 0..TITLES.len() {
        let end = find(out, &delims[i + 1], cursor - 1).map_or(out.len(), |p| p + 1);
        let body = &out[cursor.min(end)..end];
        let mut entries: Vec<Vec<u8>> = Vec::new();
        for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            match entries.last_mut() {
                Some(e) if !starts_entry(line) => {
                    e.push(b'\n');
                    e.extend_from_slice(line);
                }
                _ => entries.push(line.to_vec()),
            }
        }
        sections.push(entries);
        cursor = (end + delims[i + 1].len() - 1).min(out.len());
    }
    let tail = match find(out, &delims[6], first) {
        Some(p) => out[p + 1..].to_vec(),
        None => Vec::new(),
    };
    Report {
        header,
        sections,
        tail,
    }
}

fn count(entry: &[u8]) -> u64 {
    let digits = entry.iter().take_while(|b| b.is_ascii_digit()).count();
    text(&entry[..digits]).parse().unwrap()
}

/// Ties in promtool's order are random: sort each section by (count desc, text).
fn normalized(mut r: Report) -> Report {
    for s in &mut r.sections {
        s.sort_by(|a, b| {
            let (ca, cb) = (count(a), count(b));
            let ta = &a[a.iter().position(|&c| c == b' ').unwrap() + 1..];
            let tb = &b[b.iter().position(|&c| c == b' ').unwrap() + 1..];
            cb.cmp(&ca).then_with(|| ta.cmp(tb))
        });
    }
    r
}

fn render(r: &Report) -> Vec<u8> {
    let mut out = r.header.clone();
    for (t, entries) in TITLES.iter().zip(&r.sections) {
        out.extend_from_slice(format!("\n{t}:\n").as_bytes());
        for e in entries {
            out.extend_from_slice(e);
            out.push(b'\n');
        }
    }
    out.extend_from_slice(&r.tail);
    out
}

fn truncated(mut r: Report, limit: usize, extended: bool) -> Report {
    for s in &mut r.sections {
        s.truncate(limit);
    }
    if !extended {
        r.tail.clear();
    }
    r
}

fn assert_same(got: &[u8], want: &[u8], what: &str) {
    assert!(got == want, "{what}: {}", first_difference(got, want));
}

#[derive(serde::Deserialize)]
struct Entry {
    name: String,
    dir: String,
    kind: String,
    block: Option<String>,
    resolved_block: String,
    limit: usize,
    extended: bool,
    #[serde(rename = "match")]
    selector: Option<String>,
    full: Option<String>,
}

fn manifest() -> Vec<Entry> {
    serde_json::from_slice(&golden("analyze/manifest.json")).unwrap()
}

fn analyze_args(e: &Entry) -> Vec<String> {
    let mut args = vec!["analyze".to_owned(), dir(&e.dir)];
    args.extend(e.block.clone());
    args.extend(["--limit".to_owned(), e.limit.to_string()]);
    if e.extended {
        args.push("--extended".to_owned());
    }
    if let Some(m) = &e.selector {
        args.extend(["--match".to_owned(), m.clone()]);
    }
    args
}

fn run_analyze(args: &[String]) -> Vec<u8> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&tsblock(&args)).to_vec()
}

#[test]
fn analyze_matches_promtool_goldens() {
    let entries = manifest();
    let kinds = |k: &str| entries.iter().filter(|e| e.kind == k).count();
    // Every block of every dir, promtool's limited runs, and the --match goldens.
    assert_eq!(kinds("full"), 14);
    assert_eq!(kinds("limited"), 16);
    assert!(kinds("derived") >= 5);
    for e in &entries {
        let want = golden(&format!("analyze/{}.txt", e.name));
        let got = run_analyze(&analyze_args(e));
        assert!(
            got.starts_with(format!("Block ID: {}\n", e.resolved_block).as_bytes()),
            "{}",
            e.name
        );
        match e.kind.as_str() {
            // Every entry: the same lines once promtool's random tie order is sorted.
            "full" => assert_same(&got, &render(&normalized(parse_report(&want))), &e.name),
            // Computed from promtool's dump, already in tsblock's order.
            "derived" => assert_same(&got, &want, &e.name),
            // Ties cut at the limit are promtool's random pick: tsblock must print the first
            // `limit` entries of the sorted full list, and promtool's pick must be the same
            // counts with entries from that list.
            "limited" => {
                let full = normalized(parse_report(&golden(&format!(
                    "analyze/{}.txt",
                    e.full.as_deref().unwrap()
                ))));
                let expect = truncated(full.clone(), e.limit, e.extended);
                assert_same(&got, &render(&expect), &e.name);
                let theirs = parse_report(&want);
                assert_eq!(theirs.header, expect.header, "{}", e.name);
                assert_eq!(theirs.tail, expect.tail, "{}", e.name);
                for ((t, ours), all) in theirs
                    .sections
                    .iter()
                    .zip(&expect.sections)
                    .zip(&full.sections)
                {
                    let counts = |v: &[Vec<u8>]| v.iter().map(|x| count(x)).collect::<Vec<_>>();
                    assert_eq!(counts(t), counts(ours), "{}", e.name);
                    assert!(t.iter().all(|x| all.contains(x)), "{}", e.name);
                }
            }
            k => panic!("unknown kind {k}"),
        }
    }
}

#[test]
fn analyze_matches_live_promtool_on_every_block() {
    let Some(pt) = promtool() else {
        eprintln!("promtool not installed; skipping (set CI to make this fail)");
        return;
    };
    for d in DIRS {
        let tmp = promtool_copy(d);
        let p = tmp.path().to_str().unwrap().to_owned();
        let listing = String::from_utf8(run_promtool(&pt, &["list", &p])).unwrap();
        let mut blocks: Vec<Option<String>> = listing
            .lines()
            .skip(1)
            .map(|l| Some(l.split_whitespace().next().unwrap().to_owned()))
            .collect();
        blocks.push(None); // the default: the last block
        for b in blocks {
            let mut args = vec![
                "analyze".to_owned(),
                "--extended".to_owned(),
                format!("--limit={FULL}"),
                p.clone(),
            ];
            args.extend(b.clone());
            let pargs: Vec<&str> = args.iter().map(String::as_str).collect();
            let want = run_promtool(&pt, &pargs);
            let got = run_analyze(&args);
            assert_same(
                &got,
                &render(&normalized(parse_report(&want))),
                &format!("{d} {b:?}"),
            );
        }
    }
}

#[test]
fn analyze_match_everything_equals_no_match() {
    let base = ["analyze", "--limit", FULL, "--extended"];
    let d = dir("multi");
    let plain = parse_report(ok(&tsblock(&[&base[..], &[&d]].concat())));
    let all = parse_report(ok(&tsblock(
        &[&base[..], &[&d, "--match", r#"{__name__=~".+"}"#]].concat(),
    )));
    assert_eq!(all.sections, plain.sections);
    assert_eq!(all.tail, plain.tail);
    let h = text(&all.header);
    assert!(h.contains("Matcher: {__name__=~\".+\"}\n"), "{h}");
    assert!(h.contains("Matched series: 39\n"), "{h}");
    // A matcher that accepts "" selects the series without the label: all but the one
    // `zone="eu"` series of the last block.
    let none = tsblock(&[&base[..], &[&d, "--match", r#"{zone=""}"#]].concat());
    let h = text(&parse_report(ok(&none)).header).to_owned();
    assert!(h.contains("Matched series: 38\n"), "{h}");
}

#[test]
fn analyze_takes_promtool_positionals_and_data_dir() {
    let d = dir("multi");
    let block = "01M81S5K72TKXBGQRZZCRGX1F1";
    assert!(
        testdata().join("multi").join(block).is_dir(),
        "testdata was regenerated: rerun testdata/gen/list_analyze_goldens.py and update this id"
    );
    let a = ok(&tsblock(&["analyze", &d, block])).to_vec();
    assert!(a.starts_with(format!("Block ID: {block}\n").as_bytes()));
    let b = ok(&tsblock(&["--data-dir", &d, "analyze", block])).to_vec();
    let c = ok(&tsblock(&["analyze", &format!("{d}/{block}")])).to_vec();
    assert_same(&b, &a, "--data-dir + block id");
    assert_same(&c, &a, "block dir path");
    // The default is the last block by minTime.
    let last = ok(&tsblock(&["--data-dir", &d, "analyze"])).to_vec();
    assert!(last.starts_with(b"Block ID: 01M81S5K9Q0J5M1FXRN051HJXS\n"));
}

#[test]
fn analyze_errors_are_one_line() {
    let d = dir("multi");
    let empty = TempDir::new("analyze-empty");
    for (args, needle) in [
        (
            vec!["analyze", &d, "01BKGV7JBM69T2G1BGBGM6KB12"],
            "block 01BKGV7JBM69T2G1BGBGM6KB12 not found",
        ),
        (vec!["analyze", &d, "--match", "{"], "--match"),
        (
            vec!["analyze", empty.path().to_str().unwrap()],
            "no blocks in",
        ),
    ] {
        let out = tsblock(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn analyze_json_and_csv_carry_the_text_numbers() {
    let d = dir("overlap");
    let t = parse_report(ok(&tsblock(&["analyze", &d, "--limit", "3", "--extended"])));
    let j: serde_json::Value = serde_json::from_slice(ok(&tsblock(&[
        "--format",
        "json",
        "analyze",
        &d,
        "--limit",
        "3",
        "--extended",
    ])))
    .unwrap();
    let names = [
        "labelPairsChurn",
        "labelNamesChurn",
        "commonLabelPairs",
        "labelValueLength",
        "labelCardinality",
        "metricNameCardinality",
    ];
    for (name, entries) in names.iter().zip(&t.sections) {
        let items = j[name].as_array().unwrap();
        let from_json: Vec<Vec<u8>> = items
            .iter()
            .map(|i| format!("{} {}", i["count"], i["key"].as_str().unwrap()).into_bytes())
            .collect();
        assert_eq!(&from_json, entries, "{name}");
    }
    let h = text(&t.header);
    assert!(h.contains(&format!("Series: {}\n", j["series"])));
    assert!(h.contains(&format!(
        "Postings entries (total label pairs): {}\n",
        j["postingsEntries"]
    )));
    let chunks: u64 = j["chunkFullness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["chunks"].as_u64().unwrap())
        .sum();
    assert_eq!(chunks, 2, "the last overlap block has 2 chunks");

    let csv = tsblock(&["--format", "csv", "analyze", &dir("multi"), "--limit", "3"]);
    let csv = text(ok(&csv));
    assert!(csv.starts_with("section,count,key\n"));
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("commonLabelPairs,"))
            .count(),
        3
    );
}

#[test]
fn analyze_is_the_same_on_one_thread() {
    let d = dir("multi");
    let block = "01M81S5K5T0TQMN7EP4EFC8V86";
    let many = ok(&tsblock(&[
        "analyze",
        &d,
        block,
        "--limit",
        FULL,
        "--extended",
    ]))
    .to_vec();
    let one = ok(&tsblock(&[
        "--threads",
        "1",
        "analyze",
        &d,
        block,
        "--limit",
        FULL,
        "--extended",
    ]))
    .to_vec();
    assert_same(&one, &many, "--threads 1");
}

// ---- completions and help -----------------------------------------------------------------

#[test]
fn completions_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let out = tsblock(&["completions", shell]);
        let script = text(ok(&out));
        assert!(script.len() > 500, "{shell}: {script}");
        for sub in ["list", "analyze", "completions", "dump", "data-dir"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    assert!(!tsblock(&["completions", "tcsh"]).status.success());
}

#[test]
fn help_has_examples() {
    for cmd in ["list", "analyze", "completions"] {
        let out = tsblock(&[cmd, "--help"]);
        let help = text(ok(&out));
        assert!(help.contains("Examples:"), "{cmd}: {help}");
        assert!(help.contains(&format!("tsblock {cmd} ")), "{cmd}: {help}");
    }
    let help = text(ok(&tsblock(&["list", "--help"]))).to_owned();
    assert!(help.contains("--human") && help.contains("-r"), "{help}");
    let help = text(ok(&tsblock(&["analyze", "--help"]))).to_owned();
    for flag in ["--limit", "--match", "--extended", "BLOCK_ID"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}
