//! Helpers shared by the `import_*` tests: running the import, promtool and a real
//! Prometheus server, and reading blocks back.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tsblock::{parse_selector, promtext, Db};

/// The test inputs in `tools/tests/data/import/`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(name)
}

#[path = "../../../tests/common/shared.rs"]
mod shared;
#[allow(unused_imports)] // each test binary uses a different subset
pub use shared::{copy_dir, find_bin, prometheus, promtool, TempDir};

/// Runs `tsblock-tools import openmetrics <args>`.
pub fn import(args: &[&str]) -> Output {
    import_in(None, args, None)
}

/// Runs the import in `cwd` (if any), with `stdin` bytes (if any).
pub fn import_in(cwd: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tsblock-tools"));
    cmd.args(["import", "openmetrics"]).args(args);
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run tsblock-tools");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        w.write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Imports `input` into `out` with tsblock-tools; panics on failure.
pub fn import_ok(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![input.to_str().unwrap(), out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = import(&args);
    assert!(o.status.success(), "tsblock-tools failed: {}", stderr(&o));
    o
}

/// Runs promtool with `args`; kills it and fails the test after two minutes.
pub fn run_promtool(promtool: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(promtool)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("promtool {args:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `promtool tsdb create-blocks-from openmetrics [extra] input out`.
pub fn promtool_import(promtool: &Path, input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["tsdb", "create-blocks-from", "openmetrics", "--quiet"];
    args.extend_from_slice(extra);
    args.push(input.to_str().unwrap());
    args.push(out.to_str().unwrap());
    run_promtool(promtool, &args)
}

/// A copy of `dir` with the empty `wal/` that promtool 2.42's read commands need.
pub fn readable_copy(dir: &Path, tmp: &TempDir, tag: &str) -> PathBuf {
    let copy = tmp.join(tag);
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(dir, &copy);
    std::fs::create_dir_all(copy.join("wal")).unwrap();
    copy
}

/// `promtool tsdb dump` of a copy of `dir`.
pub fn promtool_dump(promtool: &Path, dir: &Path) -> String {
    let tmp = TempDir::new("dump");
    let copy = readable_copy(dir, &tmp, "d");
    let o = run_promtool(promtool, &["tsdb", "dump", copy.to_str().unwrap()]);
    assert!(o.status.success(), "promtool dump: {}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// One row of `promtool tsdb list`: min time, max time, samples, chunks, series.
pub type ListRow = (i64, i64, u64, u64, u64);

/// `promtool tsdb list` of a copy of `dir`, sorted rows (ULIDs and sizes left out).
pub fn promtool_list(promtool: &Path, dir: &Path) -> Vec<ListRow> {
    let tmp = TempDir::new("list");
    let copy = readable_copy(dir, &tmp, "d");
    let o = run_promtool(promtool, &["tsdb", "list", copy.to_str().unwrap()]);
    assert!(o.status.success(), "promtool list: {}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut rows: Vec<ListRow> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // ULID MIN MAX DURATION SAMPLES CHUNKS SERIES SIZE
            (
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
                f[6].parse().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Every sample of `dir` read with the tsblock library, in promtool's dump format.
pub fn tsblock_dump(dir: &Path) -> String {
    let db = Db::open(dir).unwrap();
    let sel = parse_selector("{__name__=~\".+\"}").unwrap();
    let mut out = Vec::new();
    for s in db.select(&[sel], i64::MIN, i64::MAX).unwrap() {
        let s = s.unwrap();
        for sample in s.samples() {
            let (t, v) = sample.unwrap();
            promtext::write_labels(&mut out, s.labels().iter());
            out.push(b' ');
            promtext::write_float(&mut out, v);
            out.extend_from_slice(format!(" {t}\n").as_bytes());
        }
    }
    String::from_utf8(out).unwrap()
}

/// Names of the entries of `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// The first differing line of two texts.
pub fn first_difference(got: &str, want: &str) -> String {
    for (i, (a, b)) in got.lines().zip(want.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  got:  {a}\n  want: {b}", i + 1);
        }
    }
    format!(
        "line counts differ: got {}, want {}",
        got.lines().count(),
        want.lines().count()
    )
}

/// A Prometheus server on a copy of a data dir, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    _tmp: TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `prometheus` on a copy of `dir` and waits until it is ready.
    pub fn start(prometheus: &Path, dir: &Path) -> Server {
        let tmp = TempDir::new("server");
        let data = tmp.join("data");
        copy_dir(dir, &data);
        let cfg = tmp.join("prometheus.yml");
        std::fs::write(&cfg, "scrape_configs: []\n").unwrap();
        let port = free_port();
        let child = Command::new(prometheus)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=100y")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let server = Server {
            child,
            port,
            _tmp: tmp,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some((200, _)) = server.try_get("/-/ready") {
                return server;
            }
            assert!(Instant::now() < deadline, "prometheus did not get ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn try_get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).ok()?;
        let resp = String::from_utf8_lossy(&resp).into_owned();
        let status: u16 = resp.split(' ').nth(1)?.parse().ok()?;
        let body = resp.split_once("\r\n\r\n")?.1.to_string();
        Some((status, body))
    }

    /// `GET /api/v1/query` and the parsed `data.result`, sorted by metric.
    pub fn query(&self, query: &str, time: &str) -> serde_json::Value {
        let path = format!(
            "/api/v1/query?query={}&time={}",
            url_encode(query),
            url_encode(time)
        );
        let (status, body) = self.try_get(&path).expect("query prometheus");
        assert_eq!(status, 200, "{query}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "success", "{body}");
        let mut result = v["data"]["result"].as_array().cloned().unwrap_or_default();
        result.sort_by_key(|r| r["metric"].to_string());
        serde_json::Value::Array(result)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
