#!/usr/bin/env python3
"""Drive a real `prometheus` 2.42 server on 127.0.0.1 to make fixtures that
promtool cannot make by itself.

  server.py tombstones <promtool-blocks-dir> <out-dir> <work-dir>
      Copies the blocks to <work-dir>/data, starts prometheus with the admin
      API, applies tombstones.DELETES via POST /api/v1/admin/tsdb/delete_series,
      stops it with SIGTERM and copies only the ULID block dirs to <out-dir>.

  server.py stale <out-dir> <work-dir>
      Serves a metrics page from a python HTTP server, lets prometheus scrape it
      every 1 s, drops some series after 8 scrapes (-> real stale markers),
      takes POST /api/v1/admin/tsdb/snapshot and copies the snapshot's ULID
      block dir(s) to <out-dir>.
"""
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def log(*a):
    print("[server.py]", *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ulid_dirs(d):
    return sorted(n for n in os.listdir(d) if ULID_RE.match(n) and os.path.isdir(os.path.join(d, n)))


def request(method, url, data=None, timeout=10):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


class Prometheus:
    def __init__(self, work, data, config_text):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(config_text)
        self.logf = open(os.path.join(work, "prometheus.log"), "w")
        cmd = ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + data,
               "--web.enable-admin-api", "--web.listen-address=127.0.0.1:%d" % self.port,
               "--storage.tsdb.retention.time=100y"]
        log("starting:", " ".join(cmd))
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("prometheus exited early; see prometheus.log")
            try:
                if request("GET", self.base + "/-/ready", timeout=2)[0] == 200:
                    log("ready after %.1fs" % (time.monotonic() - self.t_start))
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise SystemExit("prometheus not ready in time")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise SystemExit("prometheus did not stop on SIGTERM")
        log("stopped (rc=%s) after %.1fs of uptime" % (self.proc.returncode, time.monotonic() - self.t_start))
        self.logf.close()


def copy_blocks(src, out):
    os.makedirs(out, exist_ok=True)
    names = ulid_dirs(src)
    for n in names:
        shutil.copytree(os.path.join(src, n), os.path.join(out, n))
    return names


def tombstones(blocks, out, work):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tombstones import DELETES
    data = os.path.join(work, "data")
    shutil.rmtree(data, ignore_errors=True)
    before = copy_blocks(blocks, data)
    prom = Prometheus(work, data, "global:\n  scrape_interval: 1m\nscrape_configs: []\n")
    try:
        prom.wait_ready()
        for sel, start, end, why in DELETES:
            q = {"match[]": sel}
            if start is not None:
                q["start"] = str(start)
            if end is not None:
                q["end"] = str(end)
            st, body = request("POST", prom.base + "/api/v1/admin/tsdb/delete_series", q)
            log("delete_series", q, "->", st, body.decode()[:80], "|", why)
            if st != 204:
                raise SystemExit("delete_series failed")
        up = time.monotonic() - prom.t_start
        if up > 40:
            raise SystemExit("server ran %.0fs: compaction risk" % up)
    finally:
        prom.stop()
    after = ulid_dirs(data)
    if after != before:
        raise SystemExit("server changed the block set: %s -> %s" % (before, after))
    for n in after:
        meta = json.load(open(os.path.join(data, n, "meta.json")))
        if meta["compaction"]["level"] != 1:
            raise SystemExit("block %s was compacted" % n)
        size = os.path.getsize(os.path.join(data, n, "tombstones"))
        log("block", n, "tombstones file", size, "bytes, numTombstones",
            meta.get("stats", {}).get("numTombstones"))
        if size <= 9:
            raise SystemExit("block %s has no tombstones" % n)
    copy_blocks(data, out)


class Page:
    """Metrics page whose content depends on how often it was scraped."""
    DROP_AFTER = 8      # scrapes 1..8 serve everything
    FLAP_BACK = 12      # app_flap is missing in scrapes 9..11, back from 12
    STOP_AFTER = 16

    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()
        self.done = threading.Event()

    def render(self, n):
        lines = [
            "# TYPE app_requests_total counter",
            'app_requests_total{path="/a"} %d' % (n * 3),
            'app_requests_total{path="/b"} %d' % (n * 5),
            "# TYPE app_temp_celsius gauge",
            'app_temp_celsius{room="kitchen"} %.1f' % (20 + n * 0.1),
            "# TYPE app_nan_gauge gauge",
            "app_nan_gauge NaN",  # an ordinary NaN (not a stale marker)
        ]
        if n <= self.DROP_AFTER:
            lines += ['app_temp_celsius{room="attic"} %.1f' % (30 - n * 0.1),
                      "# TYPE app_dropped_total counter",
                      "app_dropped_total %d" % n]
        if n <= self.DROP_AFTER or n >= self.FLAP_BACK:
            lines += ["# TYPE app_flap gauge", 'app_flap{state="x"} %d' % n]
        return "\n".join(lines) + "\n"


def stale(out, work):
    page = Page()

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/metrics":
                self.send_error(404)
                return
            with page.lock:
                page.n += 1
                n = page.n
            body = page.render(n).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if n >= page.STOP_AFTER:
                page.done.set()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    target = "127.0.0.1:%d" % srv.server_address[1]
    data = os.path.join(work, "data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    cfg = ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           "scrape_configs:\n  - job_name: stale\n    static_configs:\n"
           "      - targets: ['%s']\n"
           "    relabel_configs:\n"  # stable instance label instead of the random port
           "      - target_label: instance\n        replacement: 'app:8080'\n" % target)
    prom = Prometheus(work, data, cfg)
    try:
        prom.wait_ready()
        if not page.done.wait(timeout=45):
            raise SystemExit("only %d scrapes happened" % page.n)
        time.sleep(0.5)  # let the last scrape's append commit
        st, body = request("POST", prom.base + "/api/v1/admin/tsdb/snapshot")
        name = json.loads(body)["data"]["name"]
        log("snapshot", name, "after", page.n, "scrapes")
    finally:
        prom.stop()
        srv.shutdown()
        srv.server_close()
    snap = os.path.join(data, "snapshots", name)
    names = copy_blocks(snap, out)
    if not names:
        raise SystemExit("snapshot has no blocks")


if __name__ == "__main__":
    if sys.argv[1] == "tombstones":
        tombstones(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "stale":
        stale(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
