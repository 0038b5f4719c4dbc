# Canonical form of `promtool tsdb analyze` / `tsblock analyze` output, for comparing them.
#
#   awk -v limit=20 -f normalize-analyze.awk < analyze.txt
#
# Each list section is lines "COUNT TEXT" in decreasing COUNT. promtool orders lines with
# the same COUNT randomly, so within each run of equal counts the lines are sorted. When a
# section is full (`limit` lines) promtool also picks at random *which* of the lines tied at
# the cut are shown, so the texts of the last run of equal counts are replaced by
# "<tied at limit>" and only their counts are compared. Every other line is kept as is.
BEGIN {
    if (limit == "") limit = 20
    n = 0
}
function flush(    i, j, k, g, tmp, last) {
    if (n == 0) return
    if (n == limit) {
        last = cnt[n]
        for (i = n; i >= 1 && cnt[i] == last; i--) txt[i] = "<tied at limit>"
    }
    i = 1
    while (i <= n) {
        g = i
        while (g + 1 <= n && cnt[g + 1] == cnt[i]) g++
        # insertion sort of txt[i..g]
        for (j = i + 1; j <= g; j++) {
            tmp = txt[j]
            k = j - 1
            while (k >= i && txt[k] > tmp) { txt[k + 1] = txt[k]; k-- }
            txt[k + 1] = tmp
        }
        for (j = i; j <= g; j++) print cnt[j] " " txt[j]
        i = g + 1
    }
    n = 0
}
/^[0-9]+ / {
    n++
    cnt[n] = $1
    txt[n] = substr($0, length($1) + 2)
    next
}
{
    flush()
    print
}
END { flush() }
