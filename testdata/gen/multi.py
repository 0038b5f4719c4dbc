#!/usr/bin/env python3
"""OpenMetrics input for testdata/multi (deterministic: fixed RNG seed).

Span: 1_000_000 s .. ~1_025_000 s (about 6.9 h), so promtool cuts 5 blocks
at the 2h-aligned boundaries 1_000_800 s, 1_008_000 s, 1_015_200 s and
1_022_400 s (block 1 and 5 are partial).

Usage: multi.py OUT.om
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from om import Raw, Writer  # noqa: E402

S = 1000  # ms per second
T0 = 1_000_000 * S
END = T0 + 25_000 * S
rng = random.Random(20240601)
w = Writer()


def fv(x):
    return repr(float(x))


# 1. Counters, 30 s +- 400 ms jitter -> ~240 samples per 2h block (2+ chunks).
for method in ("GET", "POST"):
    samples, v, t = [], 0, T0
    while t <= END:
        ms = t + rng.randint(-400, 400) if t > T0 else t
        v += rng.randint(0, 50)
        if method == "POST" and T0 + 12_000 * S <= t < T0 + 12_030 * S:
            v = 3  # counter reset
        samples.append((ms, str(v)))
        t += 30 * S
    w.series("http_requests", "counter", "http_requests_total",
             [("code", "200"), ("instance", "a:1"), ("job", "api"), ("method", method)], samples)
# code="500" exists only inside block 3 ([1_008_000 s, 1_015_200 s)).
samples, v, t = [], 0, 1_008_100 * S
while t <= 1_015_000 * S:
    v += rng.randint(0, 3)
    samples.append((t + rng.randint(0, 999), str(v)))
    t += 15 * S
w.series("http_requests", "counter", "http_requests_total",
         [("code", "500"), ("instance", "a:1"), ("job", "api"), ("method", "GET")], samples)

# 2. Gauge with irregular intervals (1..90 s) and a gap that skips block 2 entirely.
for inst, labels in (("n1", [("instance", "n1"), ("job", "node"), ("zone", "eu")]),
                     ("n2", [("instance", "n2"), ("job", "node")])):
    samples, t = [], T0 + rng.randint(0, 5000)
    while t <= END:
        if 1_000_790 * S <= t < 1_008_500 * S:
            t = 1_008_500 * S + rng.randint(0, 60_000)
            continue
        samples.append((t, "%.2f" % rng.gauss(21.0, 3.0)))
        t += rng.randint(1 * S, 90 * S)
    w.series("node_temp_celsius", "gauge", "node_temp_celsius", labels, samples)

# 3. up: exact 30 s grid, mostly 1, sometimes 0; job="c" only for the first 3 h.
for job in ("a", "b", "c"):
    samples, t = [], T0
    stop = T0 + 3 * 3600 * S if job == "c" else END
    while t <= stop:
        samples.append((t, "0" if rng.random() < 0.05 else "1"))
        t += 30 * S
    w.series("up", "gauge", "up", [("instance", "x:1"), ("job", job)], samples)

# 4. Another job="b" series (for the union query up OR {job=~"a|b"}).
w.series("jobs_processed", "counter", "jobs_processed_total", [("job", "b")],
         [(T0 + i * 60 * S, str(i * 7)) for i in range(0, 25_000 // 60 + 1)])

# 5. Special float values, in the first block, at irregular 1..7 s steps.
SPECIAL = ["NaN", "+Inf", "-Inf", "-0", "0", "1e-05", "0.0001", "123456.7", "1234567",
           "1e21", "9007199254740993", "9007199254740992", "18446744073709551616",
           "5e-324", "2.2250738585072014e-308", "2.225073858507201e-308", "1e308",
           "1.7976931348623157e308", "-1.5", "-123456.7", "-1e-300", "0.1",
           "0.3333333333333333", "100", "1e6", "999999", "3.14", "-2.5e-10"]


def neg(s):
    return s[1:] if s.startswith("-") else ("-" + s.lstrip("+"))


for set_name, vals in (("all", SPECIAL), ("neg", [neg(v) if v != "NaN" else v for v in SPECIAL])):
    samples, t = [], T0 + 100 * S
    for i in range(150):  # 150 samples -> 2 chunks
        samples.append((t, vals[i % len(vals)]))
        t += rng.randint(1 * S, 7 * S)
    w.series("special_values", "gauge", "special_values", [("set", set_name)], samples)
# Alternating huge/tiny values stress the XOR leading/trailing-zero windows.
samples, t = [], T0 + 50 * S
for i in range(300):
    v = [fv(1e300 * (i + 1)), fv((i + 1) * 1e-300), str(i), fv(-(i + 0.5))][i % 4]
    samples.append((t, v))
    t += 2 * S + (i % 3)
w.series("special_values", "gauge", "special_values", [("set", "xor_stress")], samples)

# 6. Tricky labels. Each series gets 6 samples spread over all 5 blocks.
WEIRD = [
    [("a", 'quote"back\\slash\nnl'), ("b", "ünïcode")],
    [("a", "quote only")],
    [("a", "line1\nline2")],
    [("a", "日本"), ("b", "ünïcode")],
    [("a", "b-other"), ("b", "other")],
    [("a", "ünïcode")],
    [("a", "emoji 🎉")],
    [("a", "nb\u00a0sp")],
    [("a", "zw\u200bsp")],
    [("a", "ctl\x01byte")],
    [("a", "nul\x00byte")],
    [("a", "del\x7fbyte")],
    [("a", "raw\ttab")],
    [("a", Raw(r"esc\tonly"))],      # OM "\t" is NOT un-escaped: value is backslash + 't'
    [("a", "back\\tslash")],         # properly escaped backslash + 't'
    [("a", "MiXeD_Case")],
    [("a", "mixed_case")],
    [("a", "v123")],
    [("a", "v12x")],
    [("a", "word_1")],
    [("a", "sp ace")],
    [("a", "comma,brace}{=")],
    [("a", ""), ("c", "empty-a")],   # empty value: promtool drops the label
    [("long", "long-" + "0123456789" * 500)],  # 5005 bytes
    [("A", "x"), ("Zone", "eu"), ("_A", "y"), ("_a", "z"), ("a", "order1")],
    [("A", "x"), ("a", "order2")],
    [("Zone", "eu"), ("a", "order3")],
    [("Zone", "us"), ("a", "order4")],
    [("a", "has-x"), ("x", "v")],
    [("a", "has-x2"), ("x", "w")],
]
for i, labels in enumerate(WEIRD):
    offs = (0, 5_000, 10_000, 15_000, 20_000, 24_000)
    w.series("weird_labels", "gauge", "weird_labels", labels,
             [(T0 + o * S + i, str(k + 1)) for k, o in enumerate(offs)])
w.series("bare_gauge", "gauge", "bare_gauge", [], [(T0 + i * 1000 * S, str(i)) for i in range(25)])

# 7. Series that exist only in some blocks.
w.series("early_metric", "gauge", "early_metric", [("job", "a")],
         [(T0 + i * 10 * S, str(i)) for i in range(70)])           # block 1 only
samples, t = [], 1_016_000 * S
while t <= END:
    samples.append((t + rng.randint(-50, 50), fv(rng.random() * 1000)))
    t += 10 * S
w.series("late_metric", "gauge", "late_metric", [("job", "a")], samples)  # blocks 4-5

w.write(sys.argv[1])
