#!/usr/bin/env python3
"""Print a block's series with their chunk [mint,maxt] ranges and decoded
tombstones (independent of promtool; used to document/verify the fixtures).

Usage: blockinfo.py [--samples] <block-dir> [label-substring-filter]
  --samples  also decode the XOR chunks and print every sample with the raw
             float64 bits (shows stale markers 0x7ff0000000000002 vs NaN)
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
                cref, j = uvarint(idx, j)
            else:
                dr, j = varint(idx, j)
                cref += dr
            chunks.append((mint, maxt, cref))
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


class Bits:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def read(self, n):
        v = 0
        for _ in range(n):
            v = (v << 1) | ((self.b[self.pos >> 3] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def uvarint(self):
        x = s = 0
        while True:
            c = self.read(8)
            x |= (c & 0x7F) << s
            if c < 0x80:
                return x
            s += 7

    def varint(self):
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)


def xor_samples(data):
    n = struct.unpack(">H", data[:2])[0]
    r, out = Bits(data[2:]), []
    t = v = delta = 0
    lead = trail = 0
    for i in range(n):
        if i == 0:
            t, v = r.varint(), r.read(64)
        else:
            if i == 1:
                delta = r.uvarint()
            else:
                for nbits, prefix in ((0, 0), (14, 1), (17, 2), (20, 3), (64, 4)):
                    if prefix == 4 or r.read(1) == 0:
                        break
                dod = r.read(nbits) if nbits else 0
                if 0 < nbits < 64 and dod > (1 << (nbits - 1)):
                    dod -= 1 << nbits
                elif nbits == 64 and dod >= 1 << 63:
                    dod -= 1 << 64
                delta += dod
            t += delta
            if r.read(1):
                if r.read(1):
                    lead, sig = r.read(5), r.read(6) or 64
                    trail = 64 - lead - sig
                v ^= r.read(64 - lead - trail) << trail
        out.append((t, v))
    return out


def read_chunk(d, ref):
    files = sorted(f for f in os.listdir(os.path.join(d, "chunks")) if f.isdigit())
    seg = open(os.path.join(d, "chunks", files[ref >> 32]), "rb").read()
    ln, i = uvarint(seg, ref & 0xFFFFFFFF)
    assert seg[i] == 1, "not an XOR chunk"
    return seg[i + 1:i + 1 + ln]


def _skip(idx, i):
    ln, j = uvarint(idx, i)
    return j + ln


def fmt_labels(labels):
    return "{" + ", ".join('%s=%s' % (k, json.dumps(v, ensure_ascii=False)[:60]) for k, v in labels) + "}"


if __name__ == "__main__":
    argv = sys.argv[1:]
    samples = "--samples" in argv
    argv = [a for a in argv if a != "--samples"]
    d = argv[0]
    flt = argv[1] if len(argv) > 1 else ""
    meta = json.load(open(os.path.join(d, "meta.json")))
    print("block", meta["ulid"], "minTime", meta["minTime"], "maxTime", meta["maxTime"], "stats", meta.get("stats"))
    series, tomb = read_block(d)
    for ref, labels, chunks in series:
        s = fmt_labels(labels)
        if flt not in s:
            continue
        print(" ref", ref, s, "chunks", [c[:2] for c in chunks], "tombstones", sorted(tomb.get(ref, [])) or "-")
        if samples:
            for mint, maxt, cref in chunks:
                for t, bits in xor_samples(read_chunk(d, cref)):
                    print("   %d %r 0x%016x" % (t, struct.unpack(">d", struct.pack(">Q", bits))[0], bits))
