//! The people-facing commands `query`, `series`, `labels` and `label-values`: goldens
//! recorded from the real Prometheus HTTP API, round trips of every output format
//! against the library, and time arguments.

mod common;

use std::path::Path;
use std::process::Output;

use common::{copy_dir, testdata, tsblock, tsblock_closed_pipe, TempDir};
use serde_json::Value;
use tsblock::{parse_selector, Db, Labels};

const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = tsblock(args);
    assert!(
        out.status.success(),
        "tsblock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "tsblock {args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn dir(name: &str) -> String {
    testdata().join(name).to_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------
// Goldens from the real Prometheus HTTP API (testdata/gen/api_goldens.py).

/// Sort every array in a JSON document (for answers whose order Prometheus leaves open).
fn sorted_json(v: Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(sorted_json).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, sorted_json(v))).collect())
        }
        v => v,
    }
}

#[test]
fn api_goldens_reproduce_prometheus() {
    let api = testdata().join("golden/api");
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(api.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.len() >= 20, "only {} goldens", manifest.len());
    let mut failures = Vec::new();
    let mut commands = std::collections::BTreeSet::new();
    for entry in &manifest {
        let name = entry["name"].as_str().unwrap();
        let data_dir = dir(entry["dir"].as_str().unwrap());
        let mut args = vec!["--data-dir", &data_dir, "--format", "json"];
        args.extend(
            entry["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap()),
        );
        commands.insert(args[4].to_owned());
        let want = std::fs::read(api.join(format!("{name}.json"))).unwrap();
        let out = tsblock(&args);
        if !out.status.success() {
            failures.push(format!(
                "{name}: exit {:?}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let got = out.stdout.strip_suffix(b"\n").unwrap_or(&out.stdout);
        let same = match entry["compare"].as_str().unwrap() {
            "bytes" => got == &want[..],
            "json-unordered" => {
                let g: Value = serde_json::from_slice(got).unwrap_or(Value::Null);
                let w: Value = serde_json::from_slice(&want).unwrap();
                sorted_json(g) == sorted_json(w)
            }
            other => panic!("{name}: unknown compare mode {other:?}"),
        };
        if !same {
            failures.push(format!(
                "{name}: tsblock {}\n  got:  {}\n  want: {}",
                args.join(" "),
                String::from_utf8_lossy(&got[..got.len().min(400)]),
                String::from_utf8_lossy(&want[..want.len().min(400)])
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} goldens differ:\n{}",
        failures.len(),
        manifest.len(),
        failures.join("\n")
    );
    let all: std::collections::BTreeSet<String> = ["label-values", "labels", "query", "series"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(commands, all, "every command has goldens");
}

// ---------------------------------------------------------------------------------------
// Every format parsed back to the data the library returns.

type SeriesData = (Labels, Vec<(i64, f64)>);

/// What `query` must print: the library's series with stale markers dropped, and series
/// left without samples omitted.
fn expected(data_dir: &str, selector: &str, start: i64, end: i64) -> Vec<SeriesData> {
    let db = Db::open(Path::new(data_dir)).unwrap();
    let sel = parse_selector(selector).unwrap();
    let mut out = Vec::new();
    for s in db.select(&[sel], start, end).unwrap() {
        let s = s.unwrap();
        let samples: Vec<(i64, f64)> = s
            .samples()
            .map(Result::unwrap)
            .filter(|&(_, v)| v.to_bits() != STALE_NAN)
            .collect();
        if !samples.is_empty() {
            out.push((s.labels().clone(), samples));
        }
    }
    out
}

/// Values compare by bits, except that any NaN equals any NaN (the API has one NaN).
fn assert_same(got: &[SeriesData], want: &[SeriesData], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: series count");
    for ((gl, gs), (wl, ws)) in got.iter().zip(want) {
        assert_eq!(gl, wl, "{what}");
        assert_eq!(gs.len(), ws.len(), "{what}: samples of {wl}");
        for (&(gt, gv), &(wt, wv)) in gs.iter().zip(ws) {
            assert_eq!(gt, wt, "{what}: {wl}");
            assert!(
                gv.to_bits() == wv.to_bits() || (gv.is_nan() && wv.is_nan()),
                "{what}: {wl} at {wt}: got {gv:e}, want {wv:e}"
            );
        }
    }
}

fn parse_value(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or_else(|e| panic!("value {s:?}: {e}")),
    }
}

fn from_json(stdout: &[u8]) -> Vec<SeriesData> {
    let v: Value = serde_json::from_slice(stdout).expect("query output is JSON");
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["resultType"], "matrix");
    v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels = Labels::from_pairs(
                s["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())),
            );
            let samples = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let secs = p[0].as_f64().unwrap();
                    (
                        (secs * 1000.0).round() as i64,
                        parse_value(p[1].as_str().unwrap()),
                    )
                })
                .collect();
            (labels, samples)
        })
        .collect()
}

/// RFC 4180: comma-separated fields, quoted fields may hold commas, newlines and `""`.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            '"' => panic!("stray quote in unquoted CSV field {field:?}"),
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            c => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted CSV field");
    assert!(
        field.is_empty() && record.is_empty(),
        "CSV does not end with a newline"
    );
    records
}

/// promtool's form of a label set, `{a="b"}`, as the CSV series column holds it.
fn promtool_labels(l: &Labels) -> String {
    let mut out = Vec::new();
    tsblock::promtext::write_labels(&mut out, l.iter());
    String::from_utf8(out).unwrap()
}

fn from_csv(stdout: &[u8], want: &[SeriesData]) -> Vec<SeriesData> {
    let records = parse_csv(std::str::from_utf8(stdout).unwrap());
    assert_eq!(records[0], ["series", "timestamp", "value"]);
    // The series column is promtool's text; map it back through the expected label sets
    // (every one of them must be found, and nothing else).
    let by_text: std::collections::HashMap<String, &Labels> =
        want.iter().map(|(l, _)| (promtool_labels(l), l)).collect();
    let mut out: Vec<SeriesData> = Vec::new();
    for r in &records[1..] {
        assert_eq!(r.len(), 3, "{r:?}");
        let labels = *by_text
            .get(&r[0])
            .unwrap_or_else(|| panic!("unexpected series column {:?}", r[0]));
        let sample = (r[1].parse::<i64>().unwrap(), parse_value(&r[2]));
        match out.last_mut() {
            Some((l, s)) if l == labels => s.push(sample),
            _ => out.push((labels.clone(), vec![sample])),
        }
    }
    out
}

/// Days since the epoch (the inverse of the civil calendar; written independently of
/// the binary's formatter).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let mut days = 0;
    for year in 1970..y {
        days += if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) {
            366
        } else {
            365
        };
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days + month_days[..(m - 1) as usize].iter().sum::<i64>() + d - 1
}

/// `2001-09-09T01:46:40.123Z` → ms.
fn parse_rfc3339_ms(s: &str) -> i64 {
    assert_eq!(s.len(), 24, "{s:?}");
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    assert_eq!(
        (&s[4..5], &s[10..11], &s[19..20], &s[23..]),
        ("-", "T", ".", "Z")
    );
    let days = days_from_civil(n(0, 4), n(5, 7), n(8, 10));
    ((days * 24 + n(11, 13)) * 60 + n(14, 16)) * 60_000 + n(17, 19) * 1000 + n(20, 23)
}

/// The text header of a series: PromQL style, `name{a="b", …}`.
fn promql_labels(l: &Labels) -> String {
    let name = l
        .get(b"__name__")
        .map(|n| String::from_utf8(n.to_vec()).unwrap());
    let mut rest = Vec::new();
    for (n, v) in l.iter().filter(|(n, _)| *n != b"__name__") {
        let mut q = Vec::new();
        tsblock::promtext::write_quoted(&mut q, v);
        rest.push(format!(
            "{}={}",
            String::from_utf8_lossy(n),
            String::from_utf8(q).unwrap()
        ));
    }
    match (name, rest.is_empty()) {
        (Some(n), true) => n,
        (Some(n), false) => format!("{n}{{{}}}", rest.join(", ")),
        (None, _) => format!("{{{}}}", rest.join(", ")),
    }
}

fn from_text(stdout: &[u8], want: &[SeriesData]) -> Vec<SeriesData> {
    let text = std::str::from_utf8(stdout).unwrap();
    let by_text: std::collections::HashMap<String, &Labels> =
        want.iter().map(|(l, _)| (promql_labels(l), l)).collect();
    let mut out: Vec<SeriesData> = Vec::new();
    let mut expect_header = true;
    for line in text.lines() {
        if line.is_empty() {
            expect_header = true;
            continue;
        }
        if expect_header {
            let labels = by_text
                .get(line)
                .unwrap_or_else(|| panic!("unexpected series header {line:?}"));
            out.push(((*labels).clone(), Vec::new()));
            expect_header = false;
            continue;
        }
        let body = line.strip_prefix("  ").expect("sample lines are indented");
        let (ts, value) = body
            .split_once("  ")
            .expect("two spaces after the timestamp");
        let sample = (parse_rfc3339_ms(ts), parse_value(value.trim_start()));
        out.last_mut().unwrap().1.push(sample);
    }
    out
}

/// Value columns line up: within a series every sample line has the same length.
fn assert_aligned(stdout: &[u8]) {
    let text = std::str::from_utf8(stdout).unwrap();
    for block in text.split("\n\n") {
        let widths: std::collections::BTreeSet<usize> =
            block.lines().skip(1).map(|l| l.chars().count()).collect();
        assert!(widths.len() <= 1, "unaligned series:\n{block}");
    }
}

fn check_formats(data_dir: &str, selector: &str, start: i64, end: i64) -> Vec<SeriesData> {
    let want = expected(data_dir, selector, start, end);
    let (s, e) = (format!("{start}ms"), format!("{end}ms"));
    let mut base = vec!["--data-dir", data_dir, "query", selector];
    // Negative ms have no unsigned `ms` form (`-5ms` is relative); the default is the
    // whole range anyway.
    if start != i64::MIN {
        base.extend(["--start", &s]);
    }
    if end != i64::MAX {
        base.extend(["--end", &e]);
    }
    let with = |format: &str| {
        let mut args = vec!["--format", format];
        args.extend_from_slice(&base);
        run_ok(&args)
    };
    let what = format!("{data_dir} {selector}");
    assert_same(&from_json(&with("json")), &want, &format!("json {what}"));
    assert_same(
        &from_csv(&with("csv"), &want),
        &want,
        &format!("csv {what}"),
    );
    let text = with("text");
    assert_same(&from_text(&text, &want), &want, &format!("text {what}"));
    assert_aligned(&text);
    want
}

#[test]
fn query_formats_round_trip_special_values() {
    let want = check_formats(&dir("multi"), "special_values", i64::MIN, i64::MAX);
    assert_eq!(want.len(), 3);
    let values: Vec<f64> = want
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .collect();
    // The fixture really has the tricky values this test is about.
    for probe in [f64::INFINITY, f64::NEG_INFINITY, 5e-324, f64::MAX, 1e21] {
        assert!(values.contains(&probe), "{probe:e}");
    }
    assert!(values.iter().any(|v| v.is_nan()));
    assert!(values.iter().any(|v| *v == 0.0 && v.is_sign_negative()));
}

#[test]
fn query_formats_round_trip_weird_labels() {
    let want = check_formats(&dir("multi"), "weird_labels", i64::MIN, i64::MAX);
    assert_eq!(want.len(), 30);
    let values: Vec<&[u8]> = want
        .iter()
        .flat_map(|(l, _)| l.iter().map(|(_, v)| v))
        .collect();
    for probe in [
        &b"line1\nline2"[..],
        b"comma,brace}{=",
        b"quote\"back\\slash\nnl",
        b"nul\0byte",
    ] {
        assert!(values.contains(&probe), "{probe:?}");
    }
    // Label names that sort before __name__ come first in the JSON object, as in Go.
    let out = run_ok(&[
        "--data-dir",
        &dir("multi"),
        "--format",
        "json",
        "query",
        "weird_labels{a=\"order1\"}",
    ]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(r#"{"metric":{"A":"x","Zone":"eu","_A":"y","__name__":"weird_labels","_a":"z","a":"order1"}"#), "{text}");
}

#[test]
fn query_drops_stale_markers_and_series_left_empty() {
    let stale = dir("stale");
    // The fixture has stale markers, so dropping them is visible.
    let db = Db::open(Path::new(&stale)).unwrap();
    let sel = parse_selector(r#"{__name__=~"app_.+"}"#).unwrap();
    let markers: usize = db
        .select(&[sel], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| {
            let s = s.unwrap();
            s.samples()
                .filter(|r| r.as_ref().unwrap().1.to_bits() == STALE_NAN)
                .count()
        })
        .sum();
    assert!(markers >= 3, "{markers} stale markers");
    let want = check_formats(&stale, r#"{__name__=~"app_.+"}"#, i64::MIN, i64::MAX);
    // app_nan_gauge's ordinary NaN is a sample, not a marker.
    assert!(want.iter().any(
        |(l, s)| l.get(b"__name__") == Some(b"app_nan_gauge") && s.iter().all(|p| p.1.is_nan())
    ));
    let json = run_ok(&[
        "--data-dir",
        &stale,
        "--format",
        "json",
        "query",
        r#"{__name__=~"app_.+"}"#,
    ]);
    let n = from_json(&json).iter().map(|(_, s)| s.len()).sum::<usize>();
    let all = run_ok(&["dump", &stale, "--match", r#"{__name__=~"app_.+"}"#]);
    assert_eq!(
        n + markers,
        all.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count()
    );

    // A window holding only a stale marker prints no series at all.
    let json = run_ok(&[
        "--data-dir",
        &stale,
        "--format",
        "json",
        "query",
        "app_dropped_total",
    ]);
    let last = from_json(&json)[0].1.last().unwrap().0;
    let (s, e) = (format!("{}ms", last + 1), format!("{}ms", last + 1500));
    for format in ["json", "csv", "text"] {
        let out = run_ok(&[
            "--data-dir",
            &stale,
            "--format",
            format,
            "query",
            "app_dropped_total",
            "--start",
            &s,
            "--end",
            &e,
        ]);
        let want: &[u8] = match format {
            "json" => {
                b"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}\n"
            }
            "csv" => b"series,timestamp,value\n",
            _ => b"",
        };
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(want),
            "{format}"
        );
    }
}

#[test]
fn query_merges_overlaps_and_applies_tombstones_like_the_library() {
    check_formats(
        &dir("overlap"),
        r#"{__name__=~"conflict|ov_counter_total"}"#,
        990_000,
        7_300_000,
    );
    check_formats(
        &dir("tombstones"),
        r#"{__name__=~"tomb_.+"}"#,
        1_000_400_000,
        1_004_500_000,
    );
}

// ---------------------------------------------------------------------------------------
// series, labels and label-values in text and CSV.

fn library_series(data_dir: &str, selectors: &[&str]) -> Vec<Labels> {
    let db = Db::open(Path::new(data_dir)).unwrap();
    let sels: Vec<_> = selectors
        .iter()
        .map(|s| parse_selector(s).unwrap())
        .collect();
    db.select(&sels, i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| s.unwrap().labels().clone())
        .collect()
}

#[test]
fn series_csv_has_a_column_per_label_name() {
    let multi = dir("multi");
    let sels = ["weird_labels", "up", "bare_gauge"];
    let want = library_series(&multi, &sels);
    let mut args = vec!["--data-dir", &multi, "--format", "csv", "series"];
    args.extend(sels);
    let records = parse_csv(std::str::from_utf8(&run_ok(&args)).unwrap());
    let header = &records[0];
    let mut sorted = header.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(header, &sorted, "columns are the sorted label names");
    assert!(header.contains(&"long".to_owned()) && header.contains(&"A".to_owned()));
    let got: Vec<Labels> = records[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len());
            Labels::from_pairs(header.iter().zip(r).filter(|(_, v)| !v.is_empty()))
        })
        .collect();
    assert_eq!(got, want);

    // Text: one PromQL-style line per series.
    let mut args = vec!["--data-dir", &multi, "series"];
    args.extend(sels);
    let text = String::from_utf8(run_ok(&args)).unwrap();
    let lines: Vec<String> = want.iter().map(promql_labels).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), lines);
    assert!(lines.contains(&"bare_gauge".to_owned()));
}

#[test]
fn label_lists_in_text_and_csv() {
    let multi = dir("multi");
    let db = Db::open(Path::new(&multi)).unwrap();
    let values = db.label_values("a", &[], i64::MIN, i64::MAX).unwrap();
    let csv = run_ok(&["--data-dir", &multi, "--format", "csv", "label-values", "a"]);
    let records = parse_csv(std::str::from_utf8(&csv).unwrap());
    assert_eq!(records[0], ["value"]);
    let got: Vec<Vec<u8>> = records[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 1);
            r[0].as_bytes().to_vec()
        })
        .collect();
    assert_eq!(got, values);

    // Text: one line per value; values that need it are Go-quoted, the rest are raw.
    let text = String::from_utf8(run_ok(&["--data-dir", &multi, "label-values", "a"])).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), values.len());
    for (line, v) in lines.iter().zip(&values) {
        let mut quoted = Vec::new();
        tsblock::promtext::write_quoted(&mut quoted, v);
        assert!(
            line.as_bytes() == &v[..] || line.as_bytes() == &quoted[..],
            "{line:?}"
        );
    }
    assert!(lines.contains(&r#""line1\nline2""#) && lines.contains(&"comma,brace}{="));

    let names = db.label_names(&[], i64::MIN, i64::MAX).unwrap();
    let csv = run_ok(&["--data-dir", &multi, "--format", "csv", "labels"]);
    let records = parse_csv(std::str::from_utf8(&csv).unwrap());
    assert_eq!(records[0], ["name"]);
    let got: Vec<Vec<u8>> = records[1..]
        .iter()
        .map(|r| r[0].as_bytes().to_vec())
        .collect();
    assert_eq!(got, names);
    let text = run_ok(&["--data-dir", &multi, "labels"]);
    let mut want = names.join(&b'\n');
    want.push(b'\n');
    assert_eq!(
        String::from_utf8(text).unwrap(),
        String::from_utf8(want).unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// Time arguments through the CLI.

#[test]
fn time_forms_select_the_same_window() {
    let multi = dir("multi");
    // 1000600.5 s .. 1000900.25 s, across the block 1/2 boundary.
    let forms: [(&str, &str); 5] = [
        ("1000600.5", "1000900.25"),
        ("1000600500ms", "1000900250ms"),
        ("1970-01-12T13:56:40.5Z", "1970-01-12T14:01:40.25Z"),
        (
            "1970-01-12T14:56:40.500+01:00",
            "1970-01-12T09:31:40.250-04:30",
        ),
        ("1970-01-12 13:56:40.5z", "1970-01-12t14:01:40.250999Z"),
    ];
    for format in ["text", "json", "csv"] {
        for cmd in [
            &["query", "http_requests_total"][..],
            &["series", "{__name__=~\".+\"}"],
            &["labels"],
            &["label-values", "__name__"],
        ] {
            let run = |start: Option<&str>, end: Option<&str>| {
                let mut args = vec!["--data-dir", &multi, "--format", format];
                args.extend_from_slice(cmd);
                if let Some(s) = start {
                    args.extend(["--start", s]);
                }
                if let Some(e) = end {
                    args.extend(["--end", e]);
                }
                run_ok(&args)
            };
            let first = run(Some(forms[0].0), Some(forms[0].1));
            for (s, e) in &forms[1..] {
                assert_eq!(
                    run(Some(s), Some(e)),
                    first,
                    "{format} {cmd:?} --start {s} --end {e}"
                );
            }
            // The window matters (so the comparison above can fail), except for the
            // label lists of blocks that every series spans.
            if cmd[0] == "query" {
                assert_ne!(run(None, None), first, "{format} {cmd:?}");
            }
        }
    }
    // The window is closed: samples exactly at both ends are included.
    let json = run_ok(&[
        "--data-dir",
        &multi,
        "--format",
        "json",
        "query",
        "up{job=\"a\"}",
        "--start",
        "1000030",
        "--end",
        "1000090",
    ]);
    let got = from_json(&json);
    let ts: Vec<i64> = got[0].1.iter().map(|p| p.0).collect();
    assert_eq!(ts, [1_000_030_000, 1_000_060_000, 1_000_090_000]);
}

#[test]
fn relative_times_are_relative_to_now() {
    let multi = dir("multi");
    // The fixture's samples are from 1970: nothing in the last day or the future, all
    // of it before now.
    let all = run_ok(&["--data-dir", &multi, "query", "up"]);
    assert!(!all.is_empty());
    assert_eq!(
        run_ok(&["--data-dir", &multi, "query", "up", "--end", "now"]),
        all
    );
    assert_eq!(
        run_ok(&["--data-dir", &multi, "query", "up", "--end", "now-1h30m"]),
        all
    );
    assert!(run_ok(&["--data-dir", &multi, "query", "up", "--start", "-1d"]).is_empty());
    assert!(run_ok(&["--data-dir", &multi, "query", "up", "--start", "now+1h"]).is_empty());
    assert!(run_ok(&["--data-dir", &multi, "series", "up", "--start", "now-2w"]).is_empty());
}

fn assert_fails(args: &[String], needle: &str) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out: Output = tsblock(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let multi = dir("multi");
    for format in ["text", "json", "csv"] {
        let base = ["--data-dir", &multi, "--format", format];
        let with = |rest: &[&'static str]| -> Vec<String> {
            base.iter().chain(rest).map(|s| s.to_string()).collect()
        };
        assert_fails(
            &with(&["query", "up", "--start", "yesterday"]),
            "--start: invalid time \"yesterday\"",
        );
        assert_fails(&with(&["query", "up", "--end", "now-5"]), "missing unit");
        assert_fails(
            &with(&["series", "up", "--start", "2023-02-30T00:00:00Z"]),
            "day out of range",
        );
        assert_fails(
            &with(&["labels", "--start", "2", "--end", "1"]),
            "is after --end",
        );
        assert_fails(
            &with(&["label-values", "job", "--end", "12:00"]),
            "invalid time",
        );
        assert_fails(&with(&["query", "up{"]), "selector");
        assert_fails(&with(&["query", "{job=\"\"}"]), "selector");
        assert_fails(&with(&["series", "up", "{x=~\"(\"}"]), "selector");
        assert_fails(&with(&["labels", "--match", "up)"]), "--match");
    }
    let out = tsblock(&["--data-dir", &multi, "series"]);
    assert!(!out.status.success(), "series needs a selector");
}

// ---------------------------------------------------------------------------------------
// Help, logs and pipes.

#[test]
fn help_has_examples() {
    for cmd in ["query", "series", "labels", "label-values"] {
        let out = run_ok(&[cmd, "--help"]);
        let help = String::from_utf8(out).unwrap();
        assert!(help.contains("Examples:"), "{cmd}: {help}");
        assert!(
            help.contains(&format!("\n  tsblock {cmd} ")),
            "{cmd}: {help}"
        );
        assert!(
            help.contains("--start") && help.contains("--end"),
            "{cmd}: {help}"
        );
    }
}

#[test]
fn warnings_go_to_stderr_not_into_json() {
    let tmp = TempDir::new("cli-query-skip");
    copy_dir(&testdata().join("multi"), tmp.path());
    let mut blocks: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    blocks.sort();
    std::fs::write(blocks[2].join("meta.json"), b"{broken").unwrap();
    let d = tmp.path().to_str().unwrap();
    for args in [
        &["query", "up"][..],
        &["series", "up"],
        &["labels"],
        &["label-values", "job"],
    ] {
        let out = tsblock(&[&["--data-dir", d, "--format", "json"][..], args].concat());
        assert!(out.status.success(), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is pure JSON");
        assert_eq!(v["status"], "success");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("skipping block") && stderr.contains("meta.json"),
            "{stderr}"
        );
    }
}

#[test]
fn closed_pipe_is_success() {
    for format in ["text", "json", "csv"] {
        let multi = dir("multi");
        let args = [
            "--data-dir",
            &multi,
            "--format",
            format,
            "query",
            "{__name__=~\".+\"}",
        ];
        let (status, stderr) = tsblock_closed_pipe(&args);
        assert!(status.success(), "{format}: {status:?}: {stderr}");
        assert!(stderr.is_empty(), "{stderr}");
    }
}
