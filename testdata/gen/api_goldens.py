#!/usr/bin/env python3
"""Record answers of the real Prometheus HTTP API for tsblock's CLI golden tests.

For each data dir (multi, overlap, tombstones, stale) this copies the dir to a
temp dir, starts Debian's `prometheus` 2.42 on it (127.0.0.1, free port, empty
scrape config, 100y retention), waits for /-/ready, asks the queries below,
stops it with SIGTERM, and checks that it ran well under the 1-minute
compaction tick and left the block set alone.

Answers are stored byte for byte as testdata/golden/api/<name>.json, and
testdata/golden/api/manifest.json says for each one the tsblock command line
that must reproduce it:

    tsblock --data-dir testdata/<dir> --format json <args...>

Raw samples come from instant queries of range selectors,
/api/v1/query?query=<selector>[<end-start>ms]&time=<end>, which Prometheus 2.42
answers with the samples in the closed window [start, end] as a matrix; the
matching tsblock command is `query <selector> --start <start> --end <end>`,
with the times written in varying forms (RFC 3339, seconds, ms).

"compare" is "bytes" when Prometheus' answer is in its canonical (sorted)
order, which the script checks, and "json-unordered" otherwise: then the test
compares parsed JSON with the lists sorted.

Selectors avoid regexes whose meaning differs between Prometheus 2.42 (where
`.` does not match a newline) and 3.x (where it does; tsblock follows 3.x).

Usage: python3 testdata/gen/api_goldens.py        (any cwd; ~30 s)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

TD = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TD, "golden", "api")
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
MAX_UPTIME = 40  # seconds; Prometheus compacts on a 1-minute tick


def log(*a):
    print("[api_goldens.py]", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Time arguments in several forms, so the goldens also exercise --start/--end.

def days_to_civil(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def rfc3339(ms, offset_min=0):
    """RFC 3339 text of `ms`, written in the zone `offset_min` minutes east of UTC."""
    local = ms + offset_min * 60000
    secs, frac = divmod(local, 1000)
    days, sod = divmod(secs, 86400)
    y, mo, d = days_to_civil(days)
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, d, sod // 3600, sod // 60 % 60, sod % 60)
    if frac:
        s += (".%03d" % frac).rstrip("0")
    if offset_min == 0:
        return s + "Z"
    sign = "+" if offset_min > 0 else "-"
    o = abs(offset_min)
    return s + "%s%02d:%02d" % (sign, o // 60, o % 60)


def seconds(ms):
    """Exact decimal seconds of `ms` (what both the API and tsblock accept)."""
    sign = "-" if ms < 0 else ""
    s, f = divmod(abs(ms), 1000)
    return sign + (("%d.%03d" % (s, f)).rstrip("0") if f else "%d" % s)


def fmt(ms, style):
    if style == "ms":
        return "%dms" % ms
    if style == "s":
        return seconds(ms)
    if style == "rfc":
        return rfc3339(ms)
    if style == "rfc+1":
        return rfc3339(ms, 60)
    if style == "rfc-430":
        return rfc3339(ms, -270)
    raise ValueError(style)


# ---------------------------------------------------------------------------
# The queries. Times are ms. Each builder returns (path, params, args).

def series(*sels, start=None, end=None, style="s"):
    params = [("match[]", s) for s in sels]
    args = ["series", *sels]
    params, args = window(params, args, start, end, style)
    return "/api/v1/series", params, args


def labels(*sels, start=None, end=None, style="s"):
    params = [("match[]", s) for s in sels]
    args = ["labels"]
    for s in sels:
        args += ["--match", s]
    params, args = window(params, args, start, end, style)
    return "/api/v1/labels", params, args


def label_values(name, *sels, start=None, end=None, style="s"):
    params = [("match[]", s) for s in sels]
    args = ["label-values", name]
    for s in sels:
        args += ["--match", s]
    params, args = window(params, args, start, end, style)
    return "/api/v1/label/%s/values" % name, params, args


def window(params, args, start, end, style):
    if start is not None:
        params.append(("start", seconds(start)))
        args += ["--start", fmt(start, style)]
    if end is not None:
        params.append(("end", seconds(end)))
        args += ["--end", fmt(end, style)]
    return params, args


def raw(sel, start, end, style="s"):
    """Samples of `sel` in [start, end] ms: an instant query of a range selector."""
    assert end > start
    params = [("query", "%s[%dms]" % (sel, end - start)), ("time", seconds(end))]
    args = ["query", sel, "--start", fmt(start, style), "--end", fmt(end, style)]
    return "/api/v1/query", params, args


def raw_all(sel, at, rng):
    """Samples of `sel` over the whole data dir: the window [at-rng, at] must cover it."""
    params = [("query", "%s[%s]" % (sel, rng)), ("time", str(at))]
    return "/api/v1/query", params, ["query", sel]


S = 1000  # ms per second

QUERIES = {
    "multi": [
        ("series_up", series("up"), "every up series"),
        ("series_union_block3",
         series('http_requests_total{code="500"}', "early_metric", "late_metric",
                start=1009000 * S, end=1010000 * S, style="rfc"),
         "union of three selectors in a window inside block 3 only: early/late_metric have no data there"),
        ("series_weird", series("weird_labels"),
         "quotes, backslashes, newlines, control bytes, unicode, a 5005-byte value, names sorting before __name__"),
        ("series_negative_matchers",
         series('{__name__=~"up|node_temp_celsius", job!="a", zone!="eu"}'),
         "!= on a label some series lack (zone): those series match"),
        ("series_no_match", series("no_such_metric"), "empty data list"),
        ("labels_all", labels(), "every label name"),
        ("labels_match", labels("node_temp_celsius", "bare_gauge"), "union of two --match"),
        ("labels_match_window",
         labels('{job=~".+"}', start=1023000 * S, end=1024000 * S, style="ms"),
         "only the last block overlaps the window"),
        ("label_values_name", label_values("__name__"), "metric names"),
        ("label_values_weird", label_values("a"), "weird values: JSON escapes of control bytes"),
        ("label_values_name_start", label_values("__name__", start=1016000 * S, style="rfc"),
         "start only: blocks 4 and 5"),
        ("label_values_match",
         label_values("job", "up", "jobs_processed_total", end=1001000 * S, style="s"),
         "end only, union of two --match"),
        ("label_values_missing", label_values("no_such_label"), "empty data list"),
        ("query_special_all",
         raw('special_values{set="all"}', 1000103503, 1000220701, style="ms"),
         "NaN, +-Inf, -0, 1e-05, 1e21, 2^64, subnormals, 1e308; both window ends are on samples"),
        ("query_special_xor",
         raw('special_values{set="xor_stress"}', 1000100000, 1000160000, style="s"),
         "1e300 and 1e-300 scale values, integers, negatives"),
        ("query_weird",
         raw("weird_labels", 1000000000, 1000100000, style="rfc+1"),
         "every weird label set; RFC 3339 times with a +01:00 offset"),
        ("query_block_boundary",
         raw('http_requests_total{method="POST"}', 1000600500, 1000900250, style="rfc-430"),
         "window across the block 1/2 boundary; fractional RFC 3339 with a -04:30 offset"),
        ("query_whole_range", raw_all('up{job="c"}', 1100000, "2d"),
         "no --start/--end: the whole dir (the API window [t-2d, t] covers all data)"),
        ("query_empty", raw("up", 1900000 * S, 2000000 * S, style="s"),
         "after all data: empty result"),
    ],
    "overlap": [
        ("overlap_query_conflict", raw('{__name__="conflict"}', 990 * S, 1010 * S, style="s"),
         "same timestamps with different values in overlapping blocks"),
        ("overlap_query_counter", raw("ov_counter_total", 7190 * S, 7215 * S, style="ms"),
         "duplicates across blocks, across the 7200 s boundary"),
        ("overlap_series_all", series('{__name__=~".+"}'), "every series of the dir"),
    ],
    "tombstones": [
        ("tomb_query_gauge", raw("tomb_gauge", 1000400 * S, 1001300 * S, style="s"),
         "partial deletion across blocks 1/2; the whole-deleted series is absent"),
        ("tomb_query_single", raw('tomb_gauge{series="single"}', 1003990 * S, 1004010 * S, style="rfc"),
         "one deleted sample in the middle of the window"),
        ("tomb_series", series('{__name__=~"tomb_.+"}'),
         "series whose every chunk is deleted are not listed"),
        ("tomb_label_values_series", label_values("series"),
         "label values come from the index, deleted series included"),
    ],
    "stale": [
        ("stale_query_all", raw_all('{__name__=~"app_.+"}', 4102444800, "100y"),
         "stale markers are dropped from raw samples; app_nan_gauge's ordinary NaN stays"),
    ],
}


# ---------------------------------------------------------------------------
# Canonical order checks: sorted answers can be compared byte for byte.

def label_key(m):
    return sorted(m.items())


def canonical(path, answer):
    data = answer["data"]
    if path == "/api/v1/series":
        ks = [label_key(m) for m in data]
        return ks == sorted(ks) and all(list(m) == sorted(m) for m in data)
    if path == "/api/v1/query":
        res = data["result"]
        ks = [label_key(s["metric"]) for s in res]
        return ks == sorted(ks) and all(list(s["metric"]) == sorted(s["metric"]) for s in res)
    return data == sorted(data)


# ---------------------------------------------------------------------------
# The server.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ulid_dirs(d):
    return sorted(n for n in os.listdir(d) if ULID_RE.match(n) and os.path.isdir(os.path.join(d, n)))


def get(base, path, params):
    url = base + path + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read()


def record(dirname, queries, work):
    data = os.path.join(work, dirname)
    shutil.copytree(os.path.join(TD, dirname), data)
    before = ulid_dirs(data)
    cfg = os.path.join(work, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("scrape_configs: []\n")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    logf = open(os.path.join(work, dirname + ".log"), "w")
    cmd = ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + data,
           "--web.listen-address=127.0.0.1:%d" % port, "--storage.tsdb.retention.time=100y"]
    log("starting:", " ".join(cmd))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out = []
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit("prometheus exited early; see %s" % logf.name)
            try:
                with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if time.monotonic() - t0 > 20:
                raise SystemExit("prometheus not ready in 20 s")
            time.sleep(0.2)
        for name, (path, params, args), note in queries:
            body = get(base, path, params)
            answer = json.loads(body)
            if answer.get("status") != "success":
                raise SystemExit("%s: %s" % (name, body[:200]))
            out.append((name, path, params, args, note, body, canonical(path, answer)))
        up = time.monotonic() - t0
        if up > MAX_UPTIME:
            raise SystemExit("server ran %.0f s: compaction risk" % up)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logf.close()
    log("%s: %d answers, stopped after %.1f s (rc=%s)" % (dirname, len(out), time.monotonic() - t0, proc.returncode))
    after = ulid_dirs(data)
    if after != before:
        raise SystemExit("prometheus changed the blocks of %s: %s -> %s" % (dirname, before, after))
    return out


def main():
    if shutil.which("prometheus") is None:
        raise SystemExit("needs Debian's prometheus (2.42) on PATH")
    work = tempfile.mkdtemp(prefix="tsblock-api-goldens-")
    try:
        results = []
        for dirname, queries in QUERIES.items():
            for r in record(dirname, queries, work):
                results.append((dirname,) + r)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    manifest = []
    names = set()
    for dirname, name, path, params, args, note, body, canon in results:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(OUT, name + ".json"), "wb") as f:
            f.write(body)
        manifest.append({
            "name": name,
            "dir": dirname,
            "request": path + "?" + "&".join("%s=%s" % kv for kv in params),
            "args": args,
            "compare": "bytes" if canon else "json-unordered",
            "note": note,
        })
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(len(r[-2]) for r in results)
    log("wrote %d goldens (%d bytes) and manifest.json to %s" % (len(manifest), total, OUT))


if __name__ == "__main__":
    main()
