#!/usr/bin/env python3
"""Record `promtool tsdb list` and `promtool tsdb analyze` goldens for tsblock.

Writes testdata/golden/list/ and testdata/golden/analyze/ (see the README.md there).
Needs promtool 2.42 on PATH. promtool only ever sees temporary copies of the data dirs
(with an empty wal/, which dump needs), so testdata/ is never touched.

Usage: list_analyze_goldens.py <testdata-dir>
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TD = os.path.abspath(sys.argv[1])
DIRS = ["multi", "overlap", "tombstones", "stale"]
FULL = 1000000  # a --limit that prints every entry of every section
LIST_OUT = os.path.join(TD, "golden", "list")
AN_OUT = os.path.join(TD, "golden", "analyze")
WORK = tempfile.mkdtemp(prefix="tsblock-la-goldens-")

# --match goldens (promtool 2.42 has no `analyze --match`; see derive_match below).
# Selectors avoid regexes whose meaning differs between 2.42 and 3.x (`.` vs newline).
MATCHES = [
    ("multi", None, "up"),
    ("multi", None, '{__name__=~"http_.*", code!="500"}'),
    ("multi", "first", 'node_temp_celsius{zone=""}'),
    ("multi", "first", 'weird_labels{b!="", x!="v"}'),
    ("multi", None, '{job=~"a|b"}'),
    ("multi", None, "no_such_metric"),
]


def copy(d):
    db = os.path.join(WORK, d)
    if not os.path.exists(db):
        shutil.copytree(os.path.join(TD, d), db)
        os.mkdir(os.path.join(db, "wal"))
    return db


def promtool(*args):
    r = subprocess.run(["promtool", "tsdb", *args], capture_output=True)
    if r.returncode != 0:
        raise SystemExit("promtool %s failed: %s" % (args, r.stderr.decode(errors="replace")))
    return r.stdout


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def blocks(d):
    """(ulid, meta) in promtool's list order (by minTime; ties were stable here)."""
    out = promtool("list", copy(d)).decode()
    ulids = [l.split()[0] for l in out.splitlines()[1:]]
    metas = []
    for u in ulids:
        with open(os.path.join(TD, d, u, "meta.json")) as f:
            metas.append((u, json.load(f)))
    return metas


# ---- --match goldens derived from `promtool tsdb dump` -------------------------------

ESC = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}


def go_unquote(s, i):
    """Decode the Go strconv.Quote string starting at s[i] == '"'; return (bytes, next i)."""
    assert s[i] == '"'
    i += 1
    out = bytearray()
    while s[i] != '"':
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = s[i + 1]
        if e in ESC:
            out.append(ESC[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2 : i + 4], 16))
            i += 4
        elif e == "u":
            out += chr(int(s[i + 2 : i + 6], 16)).encode()
            i += 6
        elif e == "U":
            out += chr(int(s[i + 2 : i + 10], 16)).encode()
            i += 10
        else:
            raise ValueError("escape \\%s in %r" % (e, s))
    return bytes(out), i + 1


def parse_labels(line):
    s = line.decode("utf-8", errors="surrogateescape")
    assert s[0] == "{"
    i, labels = 1, []
    while s[i] != "}":
        j = s.index("=", i)
        name = s[i:j].encode("utf-8", errors="surrogateescape")
        value, i = go_unquote(s, j + 1)
        labels.append((name, value))
        if s[i] == ",":
            i += 2
    return tuple(labels), s[i + 1 :]


def derive_match(d, ulid, meta, selector):
    """tsblock's `analyze --limit FULL --match SELECTOR` report, computed from the series
    and samples promtool 2.42 dumps for the block's window. Valid for blocks that overlap
    no other block and have no tombstones: then a series' first and last sample in the
    window are its first chunk's mint and last chunk's maxt in the block."""
    mint, maxt = meta["minTime"], meta["maxTime"]
    assert os.path.getsize(os.path.join(TD, d, ulid, "tombstones")) == 9
    out = promtool("dump", "--min-time=%d" % mint, "--max-time=%d" % (maxt - 1), "--match=" + selector, copy(d))
    span = {}
    for line in out.split(b"\n"):
        if not line:
            continue
        labels, rest = parse_labels(line)
        ts = int(rest.split()[1])
        lo, hi = span.get(labels, (ts, ts))
        span[labels] = (min(lo, ts), max(hi, ts))
    rng = maxt - mint
    pair_unc, pair_n, name_unc, entries = {}, {}, {}, 0
    for labels, (lo, hi) in span.items():
        unc = rng - (hi - lo)
        for n, v in labels:
            k = n + b"=" + v
            pair_unc[k] = pair_unc.get(k, 0) + unc
            pair_n[k] = pair_n.get(k, 0) + 1
            name_unc[n] = name_unc.get(n, 0) + unc
            entries += 1
    values = {}
    for labels in span:
        for n, v in labels:
            values.setdefault(n, set()).add(v)
    churn = lambda u: int(float(u) / float(rng))
    sections = [
        ("Label pairs most involved in churning", {k: churn(u) for k, u in pair_unc.items()}),
        ("Label names most involved in churning", {k: churn(u) for k, u in name_unc.items()}),
        ("Most common label pairs", pair_n),
        ("Label names with highest cumulative label value length", {n: sum(len(v) for v in vs) for n, vs in values.items()}),
        ("Highest cardinality labels", {n: len(vs) for n, vs in values.items()}),
        ("Highest cardinality metric names", {v: c for k, c in pair_n.items() if k.startswith(b"__name__=") for v in [k[9:]]}),
    ]
    head = promtool("analyze", "--limit=0", copy(d), ulid).decode().splitlines()
    text = head[0] + "\n" + head[1] + "\n" + head[2] + "\n"
    text += "Matcher: %s\nLabel names: %d\nMatched series: %d\n" % (selector, len(values), len(span))
    text += "Postings (unique label pairs): %d\nPostings entries (total label pairs): %d\n" % (len(pair_n), entries)
    b = text.encode()
    for title, m in sections:
        b += b"\n" + title.encode() + b":\n"
        for k, c in sorted(m.items(), key=lambda kv: (-kv[1], kv[0])):
            b += b"%d %s\n" % (c, k)
    return b


def main():
    shutil.rmtree(LIST_OUT, ignore_errors=True)
    shutil.rmtree(AN_OUT, ignore_errors=True)
    os.makedirs(LIST_OUT)
    os.makedirs(AN_OUT)
    manifest = []

    def entry(name, d, data, **kw):
        write(os.path.join(AN_OUT, name + ".txt"), data)
        manifest.append(dict(name=name, dir=d, **kw))

    for d in DIRS:
        db = copy(d)
        write(os.path.join(LIST_OUT, d + ".txt"), promtool("list", db))
        write(os.path.join(LIST_OUT, d + "_human.txt"), promtool("list", "-r", db))
        bl = blocks(d)
        last = bl[-1][0]
        # Every block, every entry: the reference tsblock's sorted output must equal.
        for i, (u, _) in enumerate(bl, 1):
            entry("%s_block%d_full" % (d, i), d, promtool("analyze", "--extended", "--limit=%d" % FULL, db, u),
                  kind="full", block=u, resolved_block=u, limit=FULL, extended=True, match=None,
                  promtool_args=["--extended", "--limit=%d" % FULL, "<dir>", u])
        full_of = {u: "%s_block%d_full" % (d, i) for i, (u, _) in enumerate(bl, 1)}
        # promtool's own choices where ties are cut at the limit (random in promtool).
        for name, args, block, limit, ext in [
            ("default", [], None, 20, False),
            ("limit5", ["--limit=5"], None, 5, False),
            ("extended", ["--extended"], None, 20, True),
            ("block1", [], bl[0][0], 20, False),
        ]:
            pargs = args + ["<dir>"] + ([block] if block else [])
            out = promtool("analyze", *[a if a != "<dir>" else db for a in pargs])
            resolved = block or last
            entry("%s_%s" % (d, name), d, out, kind="limited", block=block, resolved_block=resolved,
                  limit=limit, extended=ext, match=None, promtool_args=pargs, full=full_of[resolved])

    for i, (d, which, selector) in enumerate(MATCHES, 1):
        bl = blocks(d)
        u, meta = bl[0] if which == "first" else bl[-1]
        entry("%s_match%d" % (d, i), d, derive_match(d, u, meta, selector), kind="derived",
              block=u if which == "first" else None, resolved_block=u, limit=FULL, extended=False,
              match=selector, promtool_args=None,
              note="derived from promtool 2.42 `tsdb dump --match` over the block's window")

    with open(os.path.join(AN_OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    shutil.rmtree(WORK)
    print("wrote %d analyze goldens, %d list goldens" % (len(manifest), 2 * len(DIRS)), file=sys.stderr)


if __name__ == "__main__":
    main()
