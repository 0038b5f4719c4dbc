# Split an OpenMetrics stream (as `tsblock-tools generate --format openmetrics` writes it)
# into one file per 2h block window: DIR/<window>.om, window = floor(timestamp / 7200 s).
#
#   awk -v dir=DIR [-v passes=K -v pass=P] -f split-windows.awk
#
# With passes=K only windows w with w % K == P are written (to bound disk use: the caller
# runs K passes over a regenerated stream). Every file gets the `# TYPE` lines seen before
# its first sample, then further `# TYPE` lines as they come, and `# EOF` at the end, so
# each is valid input for `promtool tsdb create-blocks-from openmetrics`. promtool parses
# its whole input once per block it makes; one window per file turns 13 passes over the
# full text into 2 passes over 1/12 of it, and gives byte-identical blocks.
BEGIN {
    if (passes == "") passes = 1
    if (pass == "") pass = 0
    nh = 0
}
/^# EOF/ {
    for (w in seen) {
        f = dir "/" w ".om"
        print "# EOF" > f
        close(f)
    }
    next
}
/^#/ {
    hdr[++nh] = $0
    for (w in seen) print $0 > (dir "/" w ".om")
    next
}
{
    w = int($NF / 7200)
    if (w % passes != pass) next
    f = dir "/" w ".om"
    if (!(w in seen)) {
        seen[w] = 1
        for (i = 1; i <= nh; i++) print hdr[i] > f
    }
    print > f
}
