#!/usr/bin/env bash
# Side-by-side benchmark of `tsblock` against `promtool tsdb` (Prometheus 2.42) on the same
# data dir, plus tsblock's thread scaling, open cost, and OpenMetrics import.
#
# Usage: tools/bench/run.sh [--samples N] [--runs R] [--out DIR] [--seed S]
#                           [--cache DIR] [--import-runs K] [--no-import] [--smoke]
#
#   --samples N      samples in the data dir (default 20000000); the generator's series
#                    count is calibrated so that 24h at 15s gives ~N samples
#   --runs R         timed runs per tool and case (default 5), after one untimed warm-up
#   --out DIR        outputs, logs and report.md (default: <repo>/target/bench-run)
#   --seed S         generator seed (default 1)
#   --cache DIR      where generated data dirs are kept between runs, keyed by N and seed
#                    (default: <repo>/target/bench-cache)
#   --import-runs K  timed runs of each importer (default 1; the input is N samples of text)
#   --no-import      skip the import benchmark
#   --smoke          tiny size for CI: 20000 samples, 1 run (well under a minute once built)
#
# Exits non-zero if any case's outputs differ between tsblock and promtool.
# The report (stdout, and OUT/report.md) is Markdown, ready for the README; progress
# goes to stderr. Installs promtool (Debian's prometheus) if missing.
#
# Disk: making the data dir needs ~160 bytes/sample of OpenMetrics text for a while
# (promtool mmaps its input, so it cannot read a pipe; split into several passes when
# the disk is short); a full dump writes ~170 bytes/sample per tool. The import
# benchmark writes the whole text once more. TSBLOCK_BENCH_CACHE sets the cache dir.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cmdline="tools/bench/run.sh"
for a in "$@"; do cmdline+=" $(printf '%q' "$a")"; done

samples=20000000
runs=5
out="$repo/target/bench-run"
seed=1
cache="${TSBLOCK_BENCH_CACHE:-$repo/target/bench-cache}"
import_runs=1
do_import=1
smoke=0
usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --samples) samples=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --import-runs) import_runs=$2; shift 2 ;;
        --no-import) do_import=0; shift ;;
        --smoke) smoke=1; samples=20000; runs=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in samples runs seed import_runs; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]] || [[ ${!v} -lt 1 && $v != seed ]]; then
        echo "run.sh: --${v/_/-} must be a positive integer" >&2
        exit 2
    fi
done

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------- prerequisites
need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v awk >/dev/null 2>&1 || need_apt+=(mawk)
if [[ ${#need_apt[@]} -gt 0 ]]; then
    log "installing ${need_apt[*]}"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need_apt[@]}" >&2
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found"

log "building release binaries"
(cd "$repo" && cargo build --release -q -p tsblock -p tsblock-tools --bins --example timeit) >&2
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n $target_dir ]] || target_dir="$repo/target"
TSB="$target_dir/release/tsblock"
TOOLS="$target_dir/release/tsblock-tools"
TIMEIT="$target_dir/release/examples/timeit"
PROMTOOL=$(command -v promtool)

mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)
cache=$(cd "$cache" && pwd)
work="$out/work"
rm -rf "$work"
mkdir -p "$work"

free_bytes() { df -P -B1 "$1" | awk 'NR == 2 { print $4 }'; }

# ---------------------------------------------------------------- data dir (cached)
DURATION=24h
INTERVAL=15s
STEPS=5760 # 24h / 15s
gen() { # gen SERIES → OpenMetrics on stdout
    "$TOOLS" generate - --format openmetrics --series "$1" --duration $DURATION \
        --interval $INTERVAL --seed "$seed" "${@:2}"
}
gen_count() { # gen_count SERIES → samples the generator makes for SERIES
    gen "$1" 2>&1 >/dev/null | sed -n 's/.* series, \([0-9]*\) samples,.*/\1/p' | tail -1
}
calibrate() { # series count giving ~$samples samples (churn makes it more than N/5760)
    local s=$(((samples + STEPS / 2) / STEPS)) n i
    ((s >= 1)) || s=1
    for i in 1 2 3 4; do
        n=$(gen_count "$s")
        [[ -n $n && $n -gt 0 ]] || die "could not run the generator"
        log "  calibrate: --series $s gives $n samples"
        # within 2% (or off by at most one series): done
        if ((n * 100 >= samples * 98 && n * 100 <= samples * 102)); then break; fi
        local next=$(((s * samples + n / 2) / n))
        ((next >= 1)) || next=1
        ((next != s)) || break
        s=$next
    done
    echo "$s"
}

key="n${samples}-seed${seed}"
cdir="$cache/$key"
data="$cdir/data"
if [[ -f $cdir/complete ]]; then
    log "using cached data dir $data"
else
    log "making data dir for ~$samples samples (seed $seed) in $cdir"
    rm -rf "$cdir"
    mkdir -p "$cdir/split"
    series=$(calibrate)
    # promtool mmaps its input, so it cannot read a pipe: the text goes to per-window files
    # (~160 bytes/sample in all). With too little disk for that, split in several passes.
    need=$((samples * 170))
    avail=$(free_bytes "$cdir")
    room=$((avail * 6 / 10))
    ((room > 0)) || die "no free disk in $cdir"
    passes=$(((need + room - 1) / room))
    ((passes >= 1)) || passes=1
    passes=${TSBLOCK_BENCH_PASSES:-$passes} # to test the multi-pass path
    ((passes <= 12)) || die "not enough disk in $cdir: ~$need bytes of text needed per 2h window set, $avail free"
    for ((p = 0; p < passes; p++)); do
        log "  generating --series $series (pass $((p + 1))/$passes) and backfilling with promtool"
        gen "$series" -q | awk -v dir="$cdir/split" -v passes="$passes" -v pass="$p" \
            -f "$here/split-windows.awk"
        for f in "$cdir"/split/*.om; do
            [[ -e $f ]] || continue
            "$PROMTOOL" tsdb create-blocks-from openmetrics "$f" "$cdir/data" \
                >>"$cdir/backfill.log" 2>&1 || die "promtool backfill of $f failed, see $cdir/backfill.log"
            rm -f "$f"
        done
    done
    rmdir "$cdir/split"
    # promtool 2.42's `tsdb dump` needs a wal/ dir (tsblock ignores it).
    mkdir -p "$data/wal"
    echo "$series" >"$cdir/series"
    touch "$cdir/complete"
fi
series_arg=$(cat "$cdir/series")

# Facts about the data, from tsblock itself.
"$TSB" list "$data" >"$work/list.txt"
nblocks=$(awk 'NR > 1' "$work/list.txt" | wc -l)
nsamples=$(awk 'NR > 1 { s += $5 } END { print s + 0 }' "$work/list.txt")
first_min=$(awk 'NR == 2 { print $2 }' "$work/list.txt")
first_max=$(awk 'NR == 2 { print $3 }' "$work/list.txt")
last_min=$(awk 'END { print $2 }' "$work/list.txt")
last_max=$(awk 'END { print $3 }' "$work/list.txt")
"$TSB" series '{__name__=~".+"}' --data-dir "$data" >"$work/all-series.txt"
nseries=$(wc -l <"$work/all-series.txt")
((nseries > 0)) || die "no series in $data"

# ---------------------------------------------------------------- selectors from the data
# A series present for the whole 24h: in the first and in the last block.
"$TSB" series '{__name__="up"}' --data-dir "$data" --start "${first_min}ms" --end "${first_max}ms" >"$work/s-first.txt"
"$TSB" series '{__name__="up"}' --data-dir "$data" --start "${last_min}ms" --end "${last_max}ms" >"$work/s-last.txt"
sel_one=$(comm -12 <(sort "$work/s-first.txt") <(sort "$work/s-last.txt") | head -1)
[[ -n $sel_one ]] || sel_one=$(head -1 "$work/all-series.txt")
n_one=$("$TSB" series "$sel_one" --data-dir "$data" | wc -l)

# One scrape target (~1% of series): the instance whose series over the whole dir are
# closest to 1% of all series by ratio (ties: the smallest value).
inst=$(awk '{ if (!match($0, /instance="[^"]*"/)) next; v = substr($0, RSTART + 10, RLENGTH - 11); c[v]++ }
    END { for (v in c) { d = log(c[v] * 100 / NR); if (d < 0) d = -d
            if (best == "" || d < bd || (d == bd && v < best)) { best = v; bd = d } }
          print best }' "$work/all-series.txt")
[[ -n $inst ]] || die "no instance label in the data"
sel_job="{instance=\"$inst\"}"
n_job=$("$TSB" series "$sel_job" --data-dir "$data" | wc -l)

# A regex over metric names selecting ~10%: the subsystem prefix closest to 10%.
prefix=$(awk '{ n = $0; sub(/[{].*/, "", n); t++; if (n !~ /_/) next; sub(/_.*/, "", n); c[n]++ }
    END { for (p in c) { d = c[p] - t / 10; if (d < 0) d = -d
            if (best == "" || d < bd || (d == bd && p < best)) { best = p; bd = d } }
          print best }' "$work/all-series.txt")
sel_regex="{__name__=~\"${prefix}_.+\"}"
n_regex=$("$TSB" series "$sel_regex" --data-dir "$data" | wc -l)

sel_none='{__name__="does_not_exist"}'

# A 1h window straddling two blocks: [start + 11h30m, start + 12h30m).
t0=$(((first_min / 3600000) * 3600000))
win_min=$((t0 + 41400000))
win_max=$((win_min + 3600000 - 1))

# ---------------------------------------------------------------- measuring
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# timed OUTFILE CMD... : run CMD with stdout to OUTFILE; prints "SECONDS RSS_KB";
# fails (status 3) if CMD fails. Wall time and peak RSS around the spawn (timeit.rs).
timed() {
    local outf=$1 res st=0
    shift
    # Each run starts with no dirty pages: a dump writes GBs quickly, and the kernel
    # throttles a writer once dirty pages from earlier runs pile up.
    sync
    res=$("$TIMEIT" "$outf" "$work/stderr.log" "$@") || st=$?
    if ((st != 0)); then
        echo "command failed (exit $st): $*" >&2
        tail -5 "$work/stderr.log" >&2
        return 3
    fi
    echo "$res"
}

fingerprint() { cksum <"$1" | awk '{ print $1 "-" $2 }'; }

# The same warm page cache for every case: evict the data dir's files, then read them
# back with plain reads. A page fault on a mapped file maps the whole page-cache folio
# around it, and folio sizes depend on what first read the file, so without this the
# peak RSS of a small query depends on which commands ran before it.
settle_cache() {
    local f
    sync # and no writeback of earlier output competes with the timed runs
    while IFS= read -r -d '' f; do
        dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true
        cat "$f" >/dev/null
    done < <(find "$data" -type f -print0)
}

# warm_output MIB: write MIB MiB next to the outputs and delete them (see bench).
warm_output() {
    dd if=/dev/zero of="$work/out.warm" bs=1M count="$1" status=none
    rm -f "$work/out.warm"
}

# Normalizers for comparing outputs (dump: none).
norm_none() { cat "$1"; }
norm_list() { awk '{ print $1, $2, $3, $4, $5, $6, $7, $8 }' "$1"; }
norm_analyze() { awk -v limit=20 -f "$here/normalize-analyze.awk" "$1"; }

rows=()
failed=0
fail_notes=()
floor_notes=()

# bench NAME NORMALIZER -- TSBLOCK_ARGS... -- PROMTOOL_ARGS...
bench() {
    local name=$1 norm=$2 ta=() pa=() r res ok=yes
    shift 3
    while [[ $1 != -- ]]; do ta+=("$1"); shift; done
    shift
    pa=("$@")
    local a="$work/out.tsblock" b="$work/out.promtool"
    log "case: $name"
    settle_cache
    # Warm-up (untimed); its outputs are compared byte for byte after normalizing.
    timed "$a" "$TSB" "${ta[@]}" >/dev/null || ok=no
    local fa fb out_bytes=0
    fa=$("$norm" "$a" | cksum)
    [[ ! -e $a ]] || out_bytes=$(stat -c %s "$a")
    if [[ $(free_bytes "$work") -lt $(($(stat -c %s "$a") * 3)) ]]; then
        rm -f "$a" # too little disk for both; compare fingerprints only
    fi
    timed "$b" "$PROMTOOL" "${pa[@]}" >/dev/null || ok=no
    fb=$("$norm" "$b" | cksum)
    if [[ $fa != "$fb" ]]; then
        ok=no
    elif [[ -e $a ]] && ! cmp -s <("$norm" "$a") <("$norm" "$b"); then
        ok=no
    fi
    if [[ $ok == no ]]; then
        mkdir -p "$out/failed"
        local slug=${name//[^A-Za-z0-9]/_}
        [[ -e $a ]] && mv "$a" "$out/failed/$slug.tsblock"
        [[ -e $b ]] && mv "$b" "$out/failed/$slug.promtool"
        fail_notes+=("$name: outputs differ; see $out/failed/$slug.*")
    fi
    rm -f "$a" "$b"
    # Timed runs, alternating; each output must match the warm-up's. Before each run of a
    # case whose output is 64 MiB or more, dd writes as many bytes and deletes them, so
    # that neither tool pays for memory the VM handed back to its host while idle (the
    # first big writer after a pause took 3-4 s for 3.2 GB, the next one under 1 s). A
    # second, timed dd is the write floor: what writing the output alone costs.
    local tt=() tr=() pt=() pr=() dt=() mib
    mib=$((out_bytes >> 20))
    for ((r = 1; r <= runs; r++)); do
        if ((mib >= 64)); then
            warm_output "$mib"
            if res=$(timed "$work/out.dd" dd if=/dev/zero bs=1M count="$mib" status=none); then
                dt+=("${res% *}")
            fi
            rm -f "$work/out.dd"
        fi
        if res=$(timed "$a" "$TSB" "${ta[@]}"); then
            tt+=("${res% *}") tr+=("${res#* }")
            [[ $("$norm" "$a" | cksum) == "$fa" ]] || ok=no
        else ok=no; fi
        rm -f "$a"
        ((mib < 64)) || warm_output "$mib"
        if res=$(timed "$b" "$PROMTOOL" "${pa[@]}"); then
            pt+=("${res% *}") pr+=("${res#* }")
            [[ $("$norm" "$b" | cksum) == "$fb" ]] || ok=no
        else ok=no; fi
        rm -f "$b"
    done
    local tm pm trm prm
    tm=$(printf '%s\n' "${tt[@]}" | median)
    pm=$(printf '%s\n' "${pt[@]}" | median)
    trm=$(printf '%s\n' "${tr[@]}" | median)
    prm=$(printf '%s\n' "${pr[@]}" | median)
    if ((${#dt[@]})); then
        floor_notes+=("$(awk -v n="$name" -v d="$(printf '%s\n' "${dt[@]}" | median)" -v t="$tm" -v p="$pm" -v m="$mib" 'BEGIN {
            printf "%s: writing its %d MiB with `dd if=/dev/zero bs=1M` to the same directory took %.3f s (median, in the same rounds, after the same untimed dd that precedes each tool); promtool ÷ that = %.1f×, the most any program writing this output could lead by in this run.", n, m, d, (d > 0 ? p / d : 0) }')")
    fi
    local verdict=yes
    if [[ $ok == no ]]; then verdict="**FAIL**"; failed=1; fi
    rows+=("$(awk -v n="$name" -v tm="$tm" -v pm="$pm" -v tr="$trm" -v pr="$prm" -v v="$verdict" 'BEGIN {
        printf "| %s | %.3f | %.3f | %.2f× | %.1f | %.1f | %.2f× | %s |", n, tm, pm, (tm > 0 ? pm / tm : 0),
            tr / 1024, pr / 1024, (tr > 0 ? pr / tr : 0), v }')")
}

# tsblock-only measurement: solo NAME OUTFILE TSBLOCK_ARGS... → "median_s median_rss_kb"
solo() {
    local name=$1 outf=$2 r res ts=() rs=()
    shift 2
    log "tsblock only: $name"
    timed "$outf" "$TSB" "$@" >/dev/null
    for ((r = 1; r <= runs; r++)); do
        res=$(timed "$outf" "$TSB" "$@")
        ts+=("${res% *}") rs+=("${res#* }")
    done
    echo "$(printf '%s\n' "${ts[@]}" | median) $(printf '%s\n' "${rs[@]}" | median)"
}

# ---------------------------------------------------------------- the cases
D=("$data")
bench "dump: one series, 24h" norm_none -- dump --match "$sel_one" "${D[@]}" -- \
    tsdb dump --match="$sel_one" "${D[@]}"
bench "dump: selector matching nothing" norm_none -- dump --match "$sel_none" "${D[@]}" -- \
    tsdb dump --match="$sel_none" "${D[@]}"
bench "dump: one target (~1%)" norm_none -- dump --match "$sel_job" "${D[@]}" -- \
    tsdb dump --match="$sel_job" "${D[@]}"
bench "dump: 1h window, all series" norm_none -- dump --min-time "$win_min" --max-time "$win_max" "${D[@]}" -- \
    tsdb dump --min-time="$win_min" --max-time="$win_max" "${D[@]}"
bench "dump: regex, ~10% of series" norm_none -- dump --match "$sel_regex" "${D[@]}" -- \
    tsdb dump --match="$sel_regex" "${D[@]}"
bench "dump: everything" norm_none -- dump "${D[@]}" -- tsdb dump "${D[@]}"
bench "list" norm_list -- list "${D[@]}" -- tsdb list "${D[@]}"
bench "analyze (last block)" norm_analyze -- analyze "${D[@]}" -- tsdb analyze "${D[@]}"

# Thread scaling: full dump to /dev/null, --threads 1 vs 2, alternating.
log "threads: full dump, 1 vs 2 threads"
settle_cache
t1s=() t2s=()
timed /dev/null "$TSB" dump --threads 1 "$data" >/dev/null
timed /dev/null "$TSB" dump --threads 2 "$data" >/dev/null
# Cheap runs, and the ratio of two noisy medians: twice the runs.
for ((r = 1; r <= 2 * runs; r++)); do
    res=$(timed /dev/null "$TSB" dump --threads 1 "$data")
    t1s+=("${res% *}")
    res=$(timed /dev/null "$TSB" dump --threads 2 "$data")
    t2s+=("${res% *}")
done
th1=$(printf '%s\n' "${t1s[@]}" | median)
th2=$(printf '%s\n' "${t2s[@]}" | median)

# Open cost.
settle_cache
open_none=$(solo "open: dump matching nothing" /dev/null dump --match "$sel_none" "$data")
open_list=$(solo "open: list" /dev/null list "$data")

# XOR decoding on this dir's chunks: the micro-benchmark's own median over its largest
# block, single-threaded (the divan table itself: cargo bench -p tsblock-tools).
log "XOR decode micro-benchmark"
xor_line=$(cd "$repo" && TSBLOCK_BENCH_DIR="$data" cargo bench -q -p tsblock-tools --bench read_path \
    -- --sample-count 1 xor_decode_batch 2>&1 >/dev/null | grep -E '^(bench data|xor_decode_batch quick median)' || true)
xor_ns=$(sed -n 's/^xor_decode_batch quick median: \([0-9.]*\) ns\/sample.*/\1/p' <<<"$xor_line")
xor_block=$(sed -n 's/^bench data: .*block [0-9A-Z]* has \(.*\))$/\1/p' <<<"$xor_line")
xor_regular=$(sed -n 's/^xor_decode_batch quick median: [0-9.]* ns\/sample (\(.*\))$/\1/p' <<<"$xor_line")

# ---------------------------------------------------------------- import
import_row=""
import_note=""
if ((do_import)); then
    # Available when its --help works and takes an INPUT (an empty stub is not available).
    if ! "$TOOLS" import openmetrics --help 2>/dev/null | grep -q INPUT; then
        import_row="| import: not available | | | | | | | |"
    else
        log "import: generating the OpenMetrics input (--series $series_arg)"
        input="$work/import-input.om"
        gen "$series_arg" -q >"$input"
        in_bytes=$(stat -c %s "$input")
        it=() ir=() pt=() pr=() iok=yes na=0
        ia="$work/import-tsblock" ib="$work/import-promtool"
        for ((r = 1; r <= import_runs; r++)); do
            rm -rf "$ia" "$ib"
            log "import run $r/$import_runs: tsblock-tools"
            if res=$(timed "$work/import-tsblock.log" "$TOOLS" import openmetrics -q "$input" "$ia" 2>/dev/null); then
                it+=("${res% *}") ir+=("${res#* }")
            else
                if grep -q "not available" "$work/stderr.log"; then na=1; break; fi
                iok=no
            fi
            log "import run $r/$import_runs: promtool"
            if res=$(timed "$work/import-promtool.log" "$PROMTOOL" tsdb create-blocks-from openmetrics "$input" "$ib"); then
                pt+=("${res% *}") pr+=("${res#* }")
            else iok=no; fi
        done
        if ((na)); then
            import_row="| import: not available | | | | | | | |"
        else
            # Same blocks? Compare full dumps of both outputs (by fingerprint).
            if [[ $iok == yes ]]; then
                fa=$("$TSB" dump "$ia" | cksum)
                fb=$("$TSB" dump "$ib" | cksum)
                na_blocks=$(find "$ia" -mindepth 1 -maxdepth 1 -type d | wc -l)
                nb_blocks=$(find "$ib" -mindepth 1 -maxdepth 1 -type d | wc -l)
                [[ $fa == "$fb" && $na_blocks == "$nb_blocks" ]] || iok=no
            fi
            v=yes
            if [[ $iok == no ]]; then v="**FAIL**"; failed=1; fail_notes+=("import: outputs differ or a run failed"); fi
            import_row=$(awk -v tm="$(printf '%s\n' "${it[@]}" | median)" -v pm="$(printf '%s\n' "${pt[@]}" | median)" \
                -v tr="$(printf '%s\n' "${ir[@]}" | median)" -v pr="$(printf '%s\n' "${pr[@]}" | median)" \
                -v v="$v" -v mb="$in_bytes" 'BEGIN {
                printf "| import openmetrics (%.0f MB of text) | %.3f | %.3f | %.2f× | %.1f | %.1f | %.2f× | %s |",
                    mb / 1e6, tm, pm, (tm > 0 ? pm / tm : 0), tr / 1024, pr / 1024, (tr > 0 ? pr / tr : 0), v }')
            import_note="Import: \`tsblock-tools import openmetrics -q IN OUT\` vs \`promtool tsdb create-blocks-from openmetrics IN OUT\` on the same ${in_bytes}-byte file (page cache warm, $import_runs run(s) each, no warm-up); outputs equal = same block count and identical \`tsblock dump\` of both."
        fi
        rm -rf "$ia" "$ib" "$input"
    fi
fi

# ---------------------------------------------------------------- report
mem_gib=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
rev=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
ptv=$("$PROMTOOL" --version 2>&1 | head -1)
{
    echo "## tsblock vs promtool"
    echo
    echo "\`$cmdline\`"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); tsblock $rev; $ptv"
    echo "- machine: nproc $(nproc), ${mem_gib} GiB memory, ${cpu:-unknown CPU}, $(uname -sr)"
    echo "- data: $nsamples samples, $nseries series, $nblocks blocks (generator: --series $series_arg --duration $DURATION --interval $INTERVAL --seed $seed; blocks by promtool create-blocks-from openmetrics)"
    echo "- $runs timed runs per tool and case after one untimed warm-up (warm page cache: before each case the data dir's files are evicted from the cache and read back with plain reads), tsblock and promtool alternating; times and peak RSS are medians; ratios are promtool ÷ tsblock (above 1: tsblock is faster / smaller)"
    echo
    echo "| case | tsblock median s | promtool median s | speed ratio | tsblock peak RSS MB | promtool peak RSS MB | RSS ratio | outputs equal |"
    echo "|---|---:|---:|---:|---:|---:|---:|:---:|"
    printf '%s\n' "${rows[@]}"
    [[ -z $import_row ]] || echo "$import_row"
    echo
    echo "Selectors used:"
    echo "- one series: \`$sel_one\` ($n_one series, present in the first and the last block)"
    echo "- nothing: \`$sel_none\`"
    echo "- one target: \`$sel_job\` ($n_job of $nseries series, $(awk -v a="$n_job" -v b="$nseries" 'BEGIN { printf "%.2f", 100 * a / b }')%; the instance closest to 1% of the series)"
    echo "- 1h window: \`--min-time $win_min --max-time $win_max\` (straddles two blocks)"
    echo "- regex: \`$sel_regex\` ($n_regex of $nseries series, $(awk -v a="$n_regex" -v b="$nseries" 'BEGIN { printf "%.1f", 100 * a / b }')%)"
    echo
    echo "Dump outputs go to files in one directory on the same filesystem (timing includes writing them) and must be byte-identical; \`list\` compares promtool's 8 columns; \`analyze\` compares after sorting lines tied on their count within each section (promtool orders ties randomly, and at the $((20))-line cut only the tied counts are compared)."
    for n in "${floor_notes[@]}"; do echo; echo "Write floor, $n"; done
    [[ -z $import_note ]] || { echo; echo "$import_note"; }
    echo
    echo "| tsblock only | median s | peak RSS MB |"
    echo "|---|---:|---:|"
    awk -v a="$th1" -v b="$th2" -v n=$((2 * runs)) 'BEGIN { printf "| full dump to /dev/null, --threads 1 (%d runs, alternating with 2) | %.3f | |\n| full dump to /dev/null, --threads 2 | %.3f | |\n| thread speedup (1 ÷ 2) | %.2f× | |\n", n, a, b, (b > 0 ? a / b : 0) }'
    read -r s m <<<"$open_none"
    awk -v s="$s" -v m="$m" -v n="$nblocks" -v sel="$sel_none" 'BEGIN { printf "| open cost: dump --match '"'"'%s'"'"' (%d blocks) | %.3f | %.1f |\n", sel, n, s, m / 1024 }'
    read -r s m <<<"$open_list"
    awk -v s="$s" -v m="$m" 'BEGIN { printf "| open cost: list | %.3f | %.1f |\n", s, m / 1024 }'
    echo
    if [[ -n $xor_ns ]]; then
        echo "XOR decode, one thread: **$xor_ns ns/sample** (median of 15 decodes of every chunk of the largest block: $xor_block; \`TSBLOCK_BENCH_DIR=<data> cargo bench -p tsblock-tools -- xor\`)."
        [[ -z $xor_regular ]] || echo "The decoder's speed without branch mispredictions, in ns/sample: $xor_regular."
    else
        echo "XOR decode: the micro-benchmark did not run."
    fi
    if ((${#fail_notes[@]})); then
        echo
        for n in "${fail_notes[@]}"; do echo "FAIL: $n"; done
    fi
} | tee "$out/report.md"

rm -rf "$work"
exit "$failed"
