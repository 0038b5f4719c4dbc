#!/usr/bin/env python3
"""Print a block's series with their chunk [mint,maxt] ranges and decoded
tombstones (independent of promtool; used to document/verify the fixtures).

Usage: blockinfo.py <block-dir> [label-substring-filter]
"""
import json
import os
import struct
import sys


def uvarint(b, i):
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << s
        if c < 0x80:
            return x, i
        s += 7


def varint(b, i):
    u, i = uvarint(b, i)
    return (u >> 1) ^ -(u & 1), i


def read_block(d):
    idx = open(os.path.join(d, "index"), "rb").read()
    toc = struct.unpack(">6Q", idx[-52:-4])
    sym_off, series_off, li_off, _, post_off, _ = toc
    n = struct.unpack(">I", idx[sym_off + 4:sym_off + 8])[0]
    i, syms = sym_off + 8, []
    for _ in range(n):
        ln, i = uvarint(idx, i)
        syms.append(idx[i:i + ln].decode("utf-8", "surrogateescape"))
        i += ln
    end = li_off or post_off
    i, series = series_off, []
    while True:
        i = (i + 15) // 16 * 16
        if i >= end:
            break
        ln, j = uvarint(idx, i)
        if ln == 0:
            break
        ref = i // 16
        nl, j = uvarint(idx, j)
        labels = []
        for _ in range(nl):
            a, j = uvarint(idx, j)
            b, j = uvarint(idx, j)
            labels.append((syms[a], syms[b]))
        nc, j = uvarint(idx, j)
        chunks, prev_max = [], 0
        for k in range(nc):
            if k == 0:
                mint, j = varint(idx, j)
            else:
                dm, j = uvarint(idx, j)
                mint = prev_max + dm
            dx, j = uvarint(idx, j)
            maxt = mint + dx
            if k == 0:
                _, j = uvarint(idx, j)
            else:
                _, j = varint(idx, j)
            chunks.append((mint, maxt))
            prev_max = maxt
        series.append((ref, labels, chunks))
        i = _skip(idx, i) + 4  # body + CRC32C
    tomb = {}
    tp = os.path.join(d, "tombstones")
    if os.path.exists(tp):
        t = open(tp, "rb").read()
        j = 5
        while j < len(t) - 4:
            ref, j = uvarint(t, j)
            a, j = varint(t, j)
            b, j = varint(t, j)
            tomb.setdefault(ref, []).append((a, b))
    return series, tomb


def _skip(idx, i):
    ln, j = uvarint(idx, i)
    return j + ln


def fmt_labels(labels):
    return "{" + ", ".join('%s=%s' % (k, json.dumps(v, ensure_ascii=False)[:60]) for k, v in labels) + "}"


if __name__ == "__main__":
    d = sys.argv[1]
    flt = sys.argv[2] if len(sys.argv) > 2 else ""
    meta = json.load(open(os.path.join(d, "meta.json")))
    print("block", meta["ulid"], "minTime", meta["minTime"], "maxTime", meta["maxTime"], "stats", meta.get("stats"))
    series, tomb = read_block(d)
    for ref, labels, chunks in series:
        s = fmt_labels(labels)
        if flt not in s:
            continue
        print(" ref", ref, s, "chunks", chunks, "tombstones", sorted(tomb.get(ref, [])) or "-")
