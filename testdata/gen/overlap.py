#!/usr/bin/env python3
"""OpenMetrics inputs for testdata/overlap: three separate imports A, B, C that
promtool writes into the same output dir, so their blocks overlap in time.

* conflict{case="abc"}: FORMAT-NOTES 5.4 example (ms = seconds*1000):
    A: 1@1000s 10@1001s 100@1003s   B: 2@1000s 20@1002s 200@1003s   C: 3@1000s 30@1003s
* conflict{case="ab"}: same values, but only in A and B.
* ov_counter_total{src="shared"}: value is a function of time only, so every
  duplicate timestamp across imports carries the identical value.
    A: 990 s .. 8000 s step 10 s   (crosses the 2h boundary at 7200 s)
    B: 3000 s .. 9000 s step 10 s
    C: 2000 s .. 4000 s step 5 s   (every other sample duplicates A/B)
* ov_only_{a,b,c}: series that exist in only one import.
First sample per import: A 990 s, B 995 s, C 1000 s, so promtool sorts the
first blocks A < B < C by minTime.

Usage: overlap.py OUTDIR   (writes OUTDIR/{a,b,c}.om for testdata/overlap and
                           OUTDIR/abc/{a,b,c}.om for testdata/overlap_abc)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from om import Writer  # noqa: E402

S = 1000
CONFLICT = {
    "a": [(1000, "1"), (1001, "10"), (1003, "100")],
    "b": [(1000, "2"), (1002, "20"), (1003, "200")],
    "c": [(1000, "3"), (1003, "30")],
}
SHARED = {"a": (990, 8000, 10), "b": (3000, 9000, 10), "c": (2000, 4000, 5)}
ONLY = {"a": 990, "b": 995, "c": 1000}


def counter_value(sec):
    return repr(sec * 0.5 - 400.25)


out = sys.argv[1]
for imp in ("a", "b", "c"):
    w = Writer()
    w.series("conflict", "gauge", "conflict", [("case", "abc")],
             [(t * S, v) for t, v in CONFLICT[imp]])
    if imp != "c":
        w.series("conflict", "gauge", "conflict", [("case", "ab")],
                 [(t * S, v) for t, v in CONFLICT[imp]])
    lo, hi, step = SHARED[imp]
    w.series("ov_counter", "counter", "ov_counter_total", [("src", "shared")],
             [(t * S, counter_value(t)) for t in range(lo, hi + 1, step)])
    w.series("ov_only_" + imp, "gauge", "ov_only_" + imp, [("src", imp)],
             [(ONLY[imp] * S + k * 30 * S, str(k)) for k in range(20)])
    w.write(os.path.join(out, imp + ".om"))

# testdata/overlap_abc: the bare FORMAT-NOTES 5.4 example, one series per
# import, so all three blocks have minTime 1000000 (ties broken by ULID order).
os.makedirs(os.path.join(out, "abc"), exist_ok=True)
for imp in ("a", "b", "c"):
    w = Writer()
    w.series("conflict", "gauge", "conflict", [("case", "abc")],
             [(t * S, v) for t, v in CONFLICT[imp]])
    w.write(os.path.join(out, "abc", imp + ".om"))
