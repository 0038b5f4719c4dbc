//! `tsblock dump` against golden `promtool tsdb dump` outputs recorded from real
//! Prometheus 2.42 data (testdata/golden/dump; see testdata/README.md).

mod common;

use common::{first_difference, testdata, tsblock};
use serde::Deserialize;

#[derive(Deserialize)]
struct Query {
    name: String,
    dir: String,
    #[serde(default)]
    matchers: Vec<String>,
    min_time: Option<i64>,
    max_time: Option<i64>,
}

#[test]
fn dump_matches_promtool_goldens() {
    let golden = testdata().join("golden/dump");
    let manifest = std::fs::read(golden.join("manifest.json")).expect("manifest.json");
    let queries: Vec<Query> = serde_json::from_slice(&manifest).expect("valid manifest");
    assert!(queries.len() >= 25, "only {} golden queries", queries.len());
    let mut failures = Vec::new();
    for q in &queries {
        let mut args: Vec<String> = vec!["dump".into()];
        for m in &q.matchers {
            args.push(format!("--match={m}"));
        }
        if let Some(t) = q.min_time {
            args.push(format!("--min-time={t}"));
        }
        if let Some(t) = q.max_time {
            args.push(format!("--max-time={t}"));
        }
        args.push(testdata().join(&q.dir).to_string_lossy().into_owned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = tsblock(&argv);
        let want = std::fs::read(golden.join(format!("{}.txt", q.name))).expect("golden file");
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}: {}",
                q.name,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        } else if out.stdout != want {
            failures.push(format!(
                "{}: {}",
                q.name,
                first_difference(&out.stdout, &want)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden queries differ:\n{}",
        failures.len(),
        queries.len(),
        failures.join("\n")
    );
}
