//! Crash test: `tsblock-tools compact` is run as a child process and SIGKILLed at progress
//! points spread pseudo-randomly over its whole run. The env hook
//! `TSBLOCK_TOOLS_COMPACT_STEP` makes it announce every progress point (each series
//! written, the new block's rename, each source's rename and deletion) on stderr and wait
//! for a go-ahead on stdin, so each kill lands at an exact point whatever the machine's
//! load. After each kill:
//!
//! * `tsblock dump` of the data dir equals the original dump: nothing lost, nothing
//!   duplicated. (With *conflicting* duplicates — same series and timestamp, different
//!   values, as in `overlap/` — a state holding both the new block and its sources may pick
//!   another of the conflicting values; the test then requires the same series and
//!   timestamps, each value one that a source block holds. See compact.rs.)
//! * promtool reads the dir and prints what tsblock prints;
//! * running compact again completes, and the dump equals the original exactly.

mod verify_support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use tsblock_tools::compact::{compact_dir, PlanOptions, STEP_ENV, STEP_MARKER};
use tsblock_tools::verify::verify_path;
use verify_support::{
    assert_same_dump, blocks, copy_dir, copy_testdata, dump, promtool_dump, TempDir,
};

const RUNS_PER_DIR: usize = 8;

fn spawn(dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tsblock-tools"))
        .arg("compact")
        .args(args)
        .arg("--quiet")
        .arg(dir)
        .env(STEP_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tsblock-tools")
}

/// Run compact, letting it pass `allow` progress points, and SIGKILL it at the next one
/// (`None`: let it finish). Returns how many progress points it announced.
fn run_until(dir: &Path, args: &[&str], allow: Option<usize>) -> usize {
    let mut child = spawn(dir, args);
    let mut stdin = child.stdin.take().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut steps = 0;
    for line in stderr.lines() {
        if line.unwrap() != STEP_MARKER {
            continue;
        }
        if allow == Some(steps) {
            let _ = child.kill(); // SIGKILL while it waits at this point
            break;
        }
        steps += 1;
        let _ = writeln!(stdin, "go");
    }
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(
        allow.is_some() || status.success(),
        "compact failed: {status:?}"
    );
    steps
}

/// (series and timestamp, value) of a dump line.
fn split(line: &str) -> (String, &str) {
    let (rest, ts) = line.rsplit_once(' ').unwrap();
    let (labels, value) = rest.rsplit_once(' ').unwrap();
    (format!("{labels} {ts}"), value)
}

/// Every dump line any single block of `dir` produces on its own.
fn single_block_lines(dir: &Path) -> HashSet<String> {
    let mut out = HashSet::new();
    for b in blocks(dir) {
        let tmp = TempDir::new("single");
        copy_dir(&b, &tmp.path().join(b.file_name().unwrap()));
        out.extend(
            String::from_utf8(dump(tmp.path()))
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    out
}

/// What a kill left behind, for the coverage check.
fn state(dir: &Path, original: &HashSet<String>) -> &'static str {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let blocks: HashSet<&String> = names.iter().filter(|n| !n.contains('.')).collect();
    let has_new = blocks.iter().any(|b| !original.contains(*b));
    let old_left = blocks.iter().filter(|b| original.contains(**b)).count();
    if names.iter().any(|n| n.ends_with(".tmp-for-creation")) {
        "writing"
    } else if names.iter().any(|n| n.ends_with(".tmp-for-deletion")) {
        "retiring"
    } else if has_new && old_left == original.len() {
        "new block beside all sources"
    } else if has_new {
        "done or partly retired"
    } else {
        "untouched"
    }
}

fn kill_runs(name: &str, args: &[&str], opts: &PlanOptions, exact: bool) -> HashSet<&'static str> {
    let (_t0, src) = copy_testdata(name);
    let want = dump(&src);
    let want_text = String::from_utf8(want.clone()).unwrap();
    let want_keys: Vec<(String, &str)> = want_text.lines().map(split).collect();
    let allowed: HashSet<String> = if exact {
        HashSet::new()
    } else {
        single_block_lines(&src)
    };
    let original: HashSet<String> = blocks(&src)
        .iter()
        .map(|b| b.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();

    // One uninterrupted run counts the progress points.
    let (_t1, full_dir) = copy_testdata(name);
    let total = run_until(&full_dir, args, None);
    assert!(total > 2, "{name}: only {total} progress points");
    assert_same_dump(&dump(&full_dir), &want, &format!("{name}: full run"));

    let mut states = HashSet::new();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..RUNS_PER_DIR {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let jitter = (seed >> 33) as f64 / (1u64 << 31) as f64;
        let frac = if i == 0 {
            0.0
        } else {
            (i as f64 + jitter) / RUNS_PER_DIR as f64
        };
        // Half the kills spread over the whole run (mostly series being written), half over
        // its last progress points, where the new block is renamed in and sources retired.
        let at = if i < RUNS_PER_DIR / 2 {
            ((total as f64 * frac * 2.0) as usize).min(total - 1)
        } else {
            total.saturating_sub(1 + 2 * (i - RUNS_PER_DIR / 2))
        };
        let (_t, dir) = copy_testdata(name);
        run_until(&dir, args, Some(at));
        let what = format!("{name}: killed at progress point {at} of {total}");
        states.insert(state(&dir, &original));

        let got = dump(&dir);
        if got != want {
            eprintln!("{what}: conflicting duplicates resolved differently");
        }
        if exact || got == want {
            assert_same_dump(&got, &want, &what);
        } else {
            let got_text = String::from_utf8(got.clone()).unwrap();
            let got_keys: Vec<(String, &str)> = got_text.lines().map(split).collect();
            assert_eq!(got_keys.len(), want_keys.len(), "{what}: sample count");
            for (line, ((gk, gv), (wk, _))) in got_text.lines().zip(got_keys.iter().zip(&want_keys))
            {
                assert_eq!(gk, wk, "{what}: series/timestamp sequence differs");
                let _ = gv;
                assert!(
                    allowed.contains(line),
                    "{what}: {line:?} is in no source block"
                );
            }
        }
        if let Some(p) = promtool_dump(&dir) {
            assert_same_dump(&p, &got, &format!("{what}: promtool vs tsblock"));
        }

        // Running again completes the job.
        compact_dir(&dir, opts, &|_| {}).unwrap();
        assert_same_dump(&dump(&dir), &want, &format!("{what}: after re-run"));
        for r in verify_path(&dir).unwrap() {
            assert!(r.problems.is_empty(), "{what}: {:?}", r.problems);
        }
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(left.is_empty(), "{what}: leftovers {left:?}");
    }
    states
}

#[test]
fn sigkill_at_any_point_loses_and_duplicates_nothing() {
    let mut states = HashSet::new();
    states.extend(kill_runs("multi", &[], &PlanOptions::default(), true));
    let eager = PlanOptions {
        eager: true,
        ..PlanOptions::default()
    };
    states.extend(kill_runs("tombstones", &["--eager"], &eager, true));
    states.extend(kill_runs("overlap", &[], &PlanOptions::default(), false));
    eprintln!("states after the kills: {states:?}");
    // The kills must have hit the interesting windows, not just before and after.
    for s in ["writing", "untouched", "done or partly retired"] {
        assert!(states.contains(s), "no kill left the dir {s:?}: {states:?}");
    }
    assert!(
        states.len() >= 4,
        "kills covered too few states: {states:?}"
    );
}
