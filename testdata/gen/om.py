"""Tiny helpers shared by the OpenMetrics generators (stdlib only)."""


class Raw(str):
    """A label value written to the OpenMetrics text verbatim (no escaping)."""


def esc(v):
    """Escape a label value for the OpenMetrics text format.

    promtool 2.42's parser only un-escapes \\\\, \\" and \\n; every other byte
    (tabs, NUL, control bytes, unicode) is written raw.
    """
    if isinstance(v, Raw):
        return str(v)
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def ts_str(ms):
    """Float-seconds text whose promtool parse (int64(float(s)*1000), a
    truncation) gives back exactly `ms`."""
    s = "%d.%03d" % divmod(ms, 1000)
    if int(float(s) * 1000) != ms:
        # e.g. 1000000.123*1000 may be ...122.99999; add a 4th digit.
        s = "%d.%03d5" % divmod(ms, 1000)
        assert int(float(s) * 1000) == ms, ms
    return s


class Writer:
    """Collects series and writes them grouped by metric family."""

    def __init__(self):
        self.families = {}  # family -> (type, [(name, labels, [(ms, valtext)])])
        self.order = []

    def series(self, family, mtype, name, labels, samples):
        if family not in self.families:
            self.families[family] = (mtype, [])
            self.order.append(family)
        ms_list = [t for t, _ in samples]
        assert ms_list == sorted(ms_list) and len(set(ms_list)) == len(ms_list), name
        self.families[family][1].append((name, labels, samples))

    def text(self):
        out = []
        for fam in self.order:
            mtype, series = self.families[fam]
            out.append("# TYPE %s %s" % (fam, mtype))
            for name, labels, samples in series:
                lab = ",".join('%s="%s"' % (k, esc(v)) for k, v in labels)
                head = name + ("{%s}" % lab if lab else "")
                for ms, val in samples:
                    out.append("%s %s %s" % (head, val, ts_str(ms)))
        out.append("# EOF")
        return "\n".join(out) + "\n"

    def write(self, path):
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(self.text())
