#!/usr/bin/env python3
"""OpenMetrics input for testdata/tombstones.

All series: one sample every 10 s from 1_000_000 s to 1_009_000 s, so promtool
cuts 3 blocks: [1_000_000 s, 1_000_800 s), [1_000_800 s, 1_008_000 s),
[1_008_000 s, 1_009_000 s].  The deletions applied afterwards by the real
server are listed in DELETES (used by tombstones_server.py).

Usage: tombstones.py OUT.om
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from om import Writer  # noqa: E402

S = 1000
T0, T1, STEP = 1_000_000, 1_009_000, 10

# (selector, start seconds or None, end seconds or None, why)
DELETES = [
    ('tomb_gauge{series="partial"}', 1_000_500, 1_001_200,
     "partial range of one series, spanning the block boundary at 1000800 s"),
    ('tomb_gauge{series="whole"}', None, None, "whole series (no start/end)"),
    ('tomb_gauge{series="single"}', 1_004_000, 1_004_000, "single sample (start=end)"),
    ('tomb_counter_total{job="x"}', 1_002_000, 1_003_190,
     "a range inside block 2 (whole chunk(s) plus parts)"),
]

if __name__ == "__main__":
    w = Writer()
    times = range(T0, T1 + 1, STEP)
    for name in ("keep", "partial", "single", "whole"):
        k = len(name)
        w.series("tomb_gauge", "gauge", "tomb_gauge", [("series", name)],
                 [(t * S, repr(round(10 * math.sin((t - T0) / 600.0) + k, 3))) for t in times])
    w.series("tomb_counter", "counter", "tomb_counter_total", [("job", "x")],
             [(t * S, str((t - T0) // STEP * 3)) for t in times])
    w.series("tomb_counter", "counter", "tomb_counter_total", [("job", "y")],
             [(t * S, str((t - T0) // STEP * 5)) for t in times])
    w.write(sys.argv[1])
