#!/usr/bin/env python3
"""Generate testdata/golden/dump/*.txt and manifest.json with promtool 2.42.

Each query has `matchers` = what tsblock gets as repeated --match flags
(PromQL selector text, union semantics, Prometheus 3.x regex semantics where
`.` matches `\\n`).  promtool 2.42 takes one --match and anchors regexes as
^(?:re)$ (no dot-all), so each query also records `promtool_match`:
  * null          -> no --match flag (all series)
  * "selector"    -> one run with that selector (regexes wrapped in (?s:...),
                     which is exactly what 3.x does internally)
  * ["s1", ...]   -> no single equivalent selector: the golden is the union of
                     the runs' series, taken from one matcher-less run over the
                     same window (so series order and samples are promtool's).
promtool always runs on a temporary copy of the data dir with an empty wal/
(2.42 fails without wal/ and creates chunks_head/ as a side effect).
Every output is filtered to the closed window [min_time, max_time]; this only
changes anything for the 2.42 tombstone + --min-time bug (FORMAT-NOTES 9),
and such goldens say so in their note and have "filtered_to_window": true.

Usage: goldens.py <testdata-dir>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TD = os.path.abspath(sys.argv[1])
OUT = os.path.join(TD, "golden", "dump")
WORK = tempfile.mkdtemp(prefix="tsblock-goldens-")

DOTALL = "regexes wrapped in (?s:...) for promtool: tsblock follows Prometheus 3.x, where `.` matches newline"


def dump(d, match=None, mint=None, maxt=None):
    db = os.path.join(WORK, "db")
    shutil.rmtree(db, ignore_errors=True)
    shutil.copytree(os.path.join(TD, d), db)
    os.mkdir(os.path.join(db, "wal"))
    args = []
    if mint is not None:
        args.append("--min-time=%d" % mint)
    if maxt is not None:
        args.append("--max-time=%d" % maxt)
    if match is not None:
        args.append("--match=" + match)
    r = subprocess.run(["promtool", "tsdb", "dump"] + args + [db], capture_output=True)
    if r.returncode != 0:
        raise SystemExit("promtool failed for %s %s: %s" % (d, args, r.stderr.decode(errors="replace")))
    shutil.rmtree(db)
    return r.stdout, args


def lines(b):
    return [l for l in b.split(b"\n") if l]


def series_key(line):
    return line.rsplit(b" ", 2)[0]


def ts_of(line):
    return int(line.rsplit(b" ", 1)[1])


def sample_times(d, match):
    return [ts_of(l) for l in lines(dump(d, match)[0])]


Q = []


def q(name, d, matchers, min_time=None, max_time=None, note="", promtool_match="same", edges_on_samples=False):
    if promtool_match == "same":
        assert len(matchers) <= 1, name
        promtool_match = matchers[0] if matchers else None
    Q.append(dict(name=name, dir=d, matchers=matchers, min_time=min_time, max_time=max_time,
                  note=note, promtool_match=promtool_match, edges_on_samples=edges_on_samples))


# ---------------------------------------------------------------- multi
q("multi_all", "multi", [], note="every series of the 5 blocks, no flags")
q("multi_eq_name", "multi", ["http_requests_total"], note="metric name equality; series with >120 samples per block, a counter reset, a series present only in block 3")
q("multi_eq_label_only", "multi", ['{job="node"}'], note="= on a non-name label; node_temp_celsius has a gap that skips block 2")
q("multi_neq", "multi", ['http_requests_total{code!="200"}'], note="!=")
q("multi_neq_name_and_label", "multi", ['{__name__!~"weird_labels|special_values|http_.*|node_temp_celsius", job!="a"}'], min_time=1020000000,
  promtool_match='{__name__!~"(?s:weird_labels|special_values|http_.*|node_temp_celsius)", job!="a"}',
  note="only negative matchers (accepted by promtool dump though PromQL rejects it); job!=\"a\" also matches series without job (bare_gauge); " + DOTALL)
q("multi_re_alt", "multi", ['{__name__=~"up|early_metric|bare_gauge"}'], max_time=1001000000, promtool_match='{__name__=~"(?s:up|early_metric|bare_gauge)"}',
  note="literal alternation; early_metric exists only in block 1, up{job=c} only in the first 3h; " + DOTALL)
q("multi_nre", "multi", ['up{job!~"a|b"}'], promtool_match='up{job!~"(?s:a|b)"}', note="!~; " + DOTALL)
q("multi_absent_eq_empty", "multi", ['node_temp_celsius{zone=""}'], note="{zone=\"\"} means label absent")
q("multi_bare_eq_empty_window", "multi", ['{zone=""}'], min_time=1008000000, max_time=1009000000,
  note="selector made only of an empty-matching matcher: promtool dump accepts it and it matches every series lacking zone (PromQL would reject it); windowed to keep it small")
q("multi_re_or_empty", "multi", ['weird_labels{b=~"ünïcode|"}'], promtool_match='weird_labels{b=~"(?s:ünïcode|)"}',
  note="=~ that matches \"\": series without b plus b=ünïcode, not b=other; " + DOTALL)
q("multi_neq_absent", "multi", ['weird_labels{x!="v"}'], note="!= matches series lacking x and x=w")
q("multi_eq_empty_x", "multi", ['weird_labels{x=""}'], note="x absent")
q("multi_neq_empty", "multi", ['{b!=""}'], note="!=\"\" = label present")
q("multi_prefix", "multi", ['{__name__=~"node_.*"}'], max_time=1009000000, promtool_match='{__name__=~"(?s:node_.*)"}', note="prefix regex; " + DOTALL)
q("multi_dotplus", "multi", ['weird_labels{a=~".+"}'], promtool_match='weird_labels{a=~"(?s:.+)"}',
  note=".+ over values containing newlines, NUL, control bytes; with 2.x semantics the newline values would be missing; " + DOTALL)
q("multi_case_insensitive", "multi", ['weird_labels{a=~"(?i)mixed_case"}'], promtool_match='weird_labels{a=~"(?s:(?i)mixed_case)"}',
  note="(?i) flag; " + DOTALL)
q("multi_digit_class", "multi", ['weird_labels{a=~`v\\d+`}'], promtool_match='weird_labels{a=~`(?s:v\\d+)`}',
  note="\\d class in a backtick raw string; v123 but not v12x; " + DOTALL)
q("multi_word_class", "multi", ['weird_labels{a=~"\\\\w+"}'], promtool_match='weird_labels{a=~"(?s:\\\\w+)"}',
  note="\\w is ASCII-only in Go (ünïcode, 日本 do not match); regex written as \"\\\\w+\" in a double-quoted string; " + DOTALL)
q("multi_dot_newline", "multi", ['weird_labels{a=~"quote.*"}'], promtool_match='weird_labels{a=~"(?s:quote.*)"}',
  note="answer depends on `.` matching newline: 3.x matches both 'quote only' and 'quote\"back\\\\slash\\nnl' (2.42 without (?s) would miss the second); " + DOTALL)
q("multi_dot_newline_neg", "multi", ['weird_labels{a!~"line1.line2"}'], promtool_match='weird_labels{a!~"(?s:line1.line2)"}',
  note="!~ whose answer depends on `.` matching newline: line1\\nline2 is excluded in 3.x; " + DOTALL)
q("multi_escaped_value", "multi", ['{a="quote\\"back\\\\slash\\nnl"}'], note="double-quoted selector with \\\" \\\\ \\n escapes")
q("multi_single_quotes", "multi", ["{a='quote\"back\\\\slash\\nnl'}"], note="single-quoted selector string")
q("multi_backtick", "multi", ["{a=`esc\\tonly`}"],
  note="backtick raw string: value is backslash+t (the OpenMetrics input had an unknown escape \\t, which promtool's parser keeps verbatim); does not match back\\\\tslash or raw\\ttab")
q("multi_unicode", "multi", ['{a="日本"}'], note="unicode value")
q("multi_unicode_escapes_re", "multi", ['{a=~"nb\\u00a0sp|zw\\u200bsp|emoji 🎉"}'], promtool_match='{a=~"(?s:nb\\u00a0sp|zw\\u200bsp|emoji 🎉)"}',
  note="\\u escapes in the selector string (NBSP, zero-width space) plus a raw emoji; NBSP and ZWSP are printed escaped by promtool; " + DOTALL)
q("multi_ctl_bytes", "multi", ['{a=~"nul\\x00byte|ctl\\x01byte|del\\x7fbyte"}'], promtool_match='{a=~"(?s:nul\\x00byte|ctl\\x01byte|del\\x7fbyte)"}',
  note="values with a raw NUL, 0x01 and DEL (accepted by promtool's OpenMetrics parser); \\x escapes in the selector; " + DOTALL)
q("multi_nul_eq", "multi", ['{a="nul\\x00byte"}'], note="equality with an embedded NUL")
q("multi_nomatch", "multi", ['{__name__="does_not_exist"}'], note="matches nothing: empty golden")
q("multi_nomatch_value", "multi", ['up{job="a", instance="nope"}'], note="name matches, label value does not: empty golden")
q("multi_long_value", "multi", ['{long=~"long-(0123456789)+"}'], promtool_match='{long=~"(?s:long-(0123456789)+)"}',
  note="5005-byte label value; " + DOTALL)
q("multi_label_before_name", "multi", ['{_A="y"}'], note="label names A, Zone, _A sort before __name__ (bytewise), _a after it")
q("multi_upper_label", "multi", ['{A="x"}'], note="uppercase label name")
q("multi_union_names", "multi", ["up", "early_metric"], max_time=1000700000, promtool_match='{__name__=~"up|early_metric"}',
  note="two --match flags, union; promtool run with one equivalent selector")
q("multi_union_merge", "multi", ["up", '{job=~"a|b"}'], min_time=1000000000, max_time=1000600000,
  promtool_match=["up", '{job=~"(?s:a|b)"}'],
  note="union with no single equivalent selector: golden = series of either run, taken from a matcher-less run over the same window; " + DOTALL)
q("multi_union_overlapping", "multi", ['{A="x"}', '{Zone="eu"}'], promtool_match=['{A="x"}', '{Zone="eu"}'],
  note="union of overlapping sets (order1 is in both); golden merged as for multi_union_merge")
q("multi_special_values", "multi", ["special_values"],
  note="NaN, ±Inf, -0, 1e-05, 0.0001, 123456.7, 1.234567e+06, 1e+21, 2^53+1 (stored as 2^53), 2^64, subnormals, 1e308, max float, negatives; set=xor_stress alternates huge/tiny values")
q("multi_compound", "multi", ['http_requests_total{method="GET",code=~"2.."}'], min_time=1020000000, promtool_match='http_requests_total{method="GET",code=~"(?s:2..)"}',
  note="several matchers in one selector; " + DOTALL)
q("multi_min_only", "multi", [], min_time=1023000000, note="--min-time only (inside the last block)")
q("multi_max_only", "multi", [], max_time=1000300000, note="--max-time only (inside the first block)")
q("multi_window_both", "multi", ['{job=~"api|node"}'], min_time=1010000000, max_time=1012000000, promtool_match='{job=~"(?s:api|node)"}',
  note="both bounds; " + DOTALL)
q("multi_window_in_chunk", "multi", ['http_requests_total{method="GET",code="200"}'], min_time=1002000000, max_time=1003000000,
  note="window strictly inside one chunk [1000809830,1004379686] of block 2")
q("multi_window_edges_jitter", "multi", ['http_requests_total{method="GET",code="200"}'], min_time=1002010007, max_time=1002610161,
  edges_on_samples=True, note="both bounds equal sample timestamps (closed interval: both printed)")
q("multi_window_edges_grid", "multi", ["up"], min_time=1003000000, max_time=1003300000, edges_on_samples=True,
  note="bounds on the 30 s grid of up: first and last samples are the bounds")
q("multi_window_single_ts", "multi", ["up"], min_time=1003000000, max_time=1003000000, edges_on_samples=True,
  note="min == max == a sample timestamp: one sample per series")
q("multi_window_block_boundary", "multi", ["late_metric"], min_time=1022390031, max_time=1022400025, edges_on_samples=True,
  note="last sample of block 4 and first sample of block 5 (boundary 1022400000)")
q("multi_window_span_blocks", "multi", [], min_time=1007900000, max_time=1008100000,
  note="all series, window spanning the block 2/3 boundary at 1008000000")
q("multi_window_empty", "multi", [], min_time=1030000000, note="window after all data: empty golden")
q("multi_window_before", "multi", [], max_time=999999999, note="window before all data: empty golden")

# ---------------------------------------------------------------- overlap
q("overlap_all", "overlap", [], note="3 imports (A,B,C) into one dir: 5 overlapping blocks, merged by chain merge")
q("overlap_conflict", "overlap", ["conflict"],
  note="same timestamps, different values across blocks (A 1,10,_,100; B 2,_,20,200; C 3,_,_,30 at 1000000..1003000); promtool keeps exactly one sample per timestamp; block minTime order A(990000) < B(995000) < C(1000000)")
q("overlap_conflict_window", "overlap", ['conflict{case="abc"}'], min_time=1000000, max_time=1002000, edges_on_samples=True,
  note="conflicting duplicates inside a window")
q("overlap_dup_boundary", "overlap", ["ov_counter_total"], min_time=7100000, max_time=7300000, edges_on_samples=True,
  note="identical-value duplicates across A and B, window spanning the 7200000 boundary where A's and B's second blocks (both minTime 7200000) overlap")
q("overlap_dup_c", "overlap", ['ov_counter_total{src="shared"}'], min_time=1995000, max_time=2100000,
  note="C has a 5 s grid, A a 10 s grid: every other sample is a duplicate")
q("overlap_only", "overlap", ['{__name__=~"ov_only_.*"}'], promtool_match='{__name__=~"(?s:ov_only_.*)"}',
  note="series existing in only one import each; " + DOTALL)
q("overlap_abc_all", "overlap_abc", [],
  note="exact FORMAT-NOTES 5.4 example: 3 single-series blocks, all minTime 1000000, imported in order A, B, C")

# ---------------------------------------------------------------- tombstones
q("tomb_all", "tombstones", [], note="deletes applied by the real server: partial range, whole series, single sample, a chunk-covering range")
q("tomb_partial", "tombstones", ['tomb_gauge{series="partial"}'], note="[1000500000,1001200000] deleted, spanning the block 1/2 boundary")
q("tomb_partial_window", "tombstones", ['tomb_gauge{series="partial"}'], min_time=1000400000, max_time=1001300000)
q("tomb_window_inside_deletion", "tombstones", ['tomb_gauge{series="partial"}'], min_time=1000700000, max_time=1000900000,
  note="window entirely inside the deleted range: empty")
q("tomb_min_only", "tombstones", [], min_time=1004000000, note="--min-time only; the single-sample tombstone sits at the bound")
q("tomb_max_only", "tombstones", [], max_time=1003000000, note="--max-time only")
q("tomb_single", "tombstones", ['tomb_gauge{series="single"}'], min_time=1003990000, max_time=1004010000, edges_on_samples=True,
  note="the sample at 1004000000 was deleted with start=end")
q("tomb_whole", "tombstones", ['tomb_gauge{series="whole"}'], note="whole series deleted: empty golden")
q("tomb_counter_chunk", "tombstones", ["tomb_counter_total"], min_time=1001900000, max_time=1003300000, edges_on_samples=True,
  note="job=x has [1002000000,1003190000] deleted, exactly its 2nd chunk in block 2; job=y untouched")
q("tomb_regex_all_series", "tombstones", ['{series=~".+"}'], min_time=1000000000, max_time=1000600000,
  promtool_match='{series=~"(?s:.+)"}', note="tomb_gauge only, block 1 window; " + DOTALL)

# ---------------------------------------------------------------- stale
q("stale_all", "stale", [], note="head snapshot of a real scrape: app_dropped_total, app_temp_celsius{room=attic} and app_flap get stale markers (printed NaN) at the 9th scrape; app_flap comes back at scrape 12; app_nan_gauge is an ordinary NaN")
q("stale_app", "stale", ['{__name__=~"app_.*"}'], promtool_match='{__name__=~"(?s:app_.*)"}', note=DOTALL)
q("stale_dropped_window", "stale", ['{__name__=~"app_temp_celsius|app_dropped_total|app_flap"}'],
  min_time=("scrape", 7), max_time=("scrape", 11), edges_on_samples=True,
  promtool_match='{__name__=~"(?s:app_temp_celsius|app_dropped_total|app_flap)"}',
  note="window = scrapes 8..12 (the drop happens at scrape 9); bounds are real scrape timestamps; " + DOTALL)
q("stale_nan_gauge", "stale", ["app_nan_gauge"], note="ordinary NaN values (not stale markers); both print NaN")


def resolve(t, d):
    if isinstance(t, tuple) and t[0] == "scrape":
        return sample_times(d, "up")[t[1]]
    return t


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    names = set()
    manifest = []
    for e in Q:
        assert e["name"] not in names, e["name"]
        names.add(e["name"])
        d = e["dir"]
        mint, maxt = resolve(e["min_time"], d), resolve(e["max_time"], d)
        pm = e["promtool_match"]
        if isinstance(pm, list):
            full, args = dump(d, None, mint, maxt)
            keys = set()
            for m in pm:
                keys |= {series_key(l) for l in lines(dump(d, m, mint, maxt)[0])}
            out = [l for l in lines(full) if series_key(l) in keys]
            args = [a for a in args] + ["--match=" + m for m in pm]
        else:
            raw, args = dump(d, pm, mint, maxt)
            out = lines(raw)
        kept = [l for l in out if (mint is None or ts_of(l) >= mint) and (maxt is None or ts_of(l) <= maxt)]
        filtered = len(kept) != len(out)
        note = e["note"]
        if filtered:
            if d != "tombstones" or mint is None:
                raise SystemExit("unexpected out-of-window lines for %s" % e["name"])
            note = (note + "; " if note else "") + (
                "promtool 2.42 printed %d samples before --min-time (tombstone + min-time bug, FORMAT-NOTES 9); "
                "golden filtered to the closed window [min_time, max_time]" % (len(out) - len(kept)))
        if e["edges_on_samples"]:
            ts = {ts_of(l) for l in kept}
            assert mint in ts and maxt in ts, (e["name"], mint, maxt)
        with open(os.path.join(OUT, e["name"] + ".txt"), "wb") as f:
            f.write(b"".join(l + b"\n" for l in kept))
        manifest.append(dict(name=e["name"], dir=d, matchers=e["matchers"], min_time=mint, max_time=maxt,
                             promtool_match=pm, promtool_args=args, filtered_to_window=filtered,
                             series=len({series_key(l) for l in kept}), samples=len(kept), note=note))
        print("%-32s %-11s series=%-3d samples=%-5d%s" % (e["name"], d, manifest[-1]["series"], len(kept),
                                                          " FILTERED" if filtered else ""), file=sys.stderr)
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
