#!/usr/bin/env bash
# Regenerate every fixture under testdata/ (see testdata/README.md).
# Needs only promtool + prometheus 2.42 (Debian's) and python3; uses 127.0.0.1 only.
# Idempotent: deletes and rebuilds multi/ overlap/ overlap_abc/ tombstones/ stale/ golden/.
set -euo pipefail

export PYTHONDONTWRITEBYTECODE=1
TD="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GEN="$TD/gen"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tsblock-regen.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v python3 >/dev/null
promtool --version 2>&1 | head -1 | grep -q 'version 2\.42\.' \
  || echo "warning: goldens are meant to come from promtool 2.42 (got: $(promtool --version 2>&1 | head -1))" >&2

import_om() { # <file.om> <out-dir>
  promtool tsdb create-blocks-from openmetrics --quiet "$1" "$2"
}

echo "== cleaning" >&2
rm -rf "$TD/multi" "$TD/overlap" "$TD/overlap_abc" "$TD/tombstones" "$TD/stale" "$TD/golden"

echo "== multi" >&2
python3 "$GEN/multi.py" "$WORK/multi.om"
import_om "$WORK/multi.om" "$TD/multi"

echo "== overlap, overlap_abc (separate imports into one dir)" >&2
python3 "$GEN/overlap.py" "$WORK"
for x in a b c; do import_om "$WORK/$x.om" "$TD/overlap"; done
for x in a b c; do import_om "$WORK/abc/$x.om" "$TD/overlap_abc"; done

echo "== tombstones (promtool blocks + real server delete_series)" >&2
python3 "$GEN/tombstones.py" "$WORK/tombstones.om"
import_om "$WORK/tombstones.om" "$WORK/tomb-blocks"
mkdir -p "$WORK/tomb-server"
python3 "$GEN/server.py" tombstones "$WORK/tomb-blocks" "$TD/tombstones" "$WORK/tomb-server"

echo "== stale (real scrapes + admin snapshot)" >&2
mkdir -p "$WORK/stale-server"
python3 "$GEN/server.py" stale "$TD/stale" "$WORK/stale-server"

echo "== sanity: data dirs hold only ULID block dirs" >&2
for d in multi overlap overlap_abc tombstones stale; do
  for e in "$TD/$d"/* "$TD/$d"/.[!.]*; do
    [ -e "$e" ] || continue
    n="$(basename "$e")"
    [[ -d "$e" && "$n" =~ ^[0-9A-HJKMNP-TV-Z]{26}$ ]] || { echo "unexpected entry $e" >&2; exit 1; }
    for f in "$e"/*; do
      case "$(basename "$f")" in meta.json|index|chunks|tombstones) ;; *) echo "unexpected $f" >&2; exit 1;; esac
    done
  done
done

echo "== goldens" >&2
python3 "$GEN/goldens.py" "$TD"
python3 "$GEN/list_analyze_goldens.py" "$TD"
python3 "$GEN/api_goldens.py"

echo "== blocks -> golden/blocks.txt (promtool tsdb list, run on copies)" >&2
for d in multi overlap overlap_abc tombstones stale; do
  rm -rf "$WORK/list" && cp -r "$TD/$d" "$WORK/list" && mkdir "$WORK/list/wal"
  echo "-- $d"
  promtool tsdb list "$WORK/list"
done > "$TD/golden/blocks.txt"
cat "$TD/golden/blocks.txt" >&2
du -sh "$TD" >&2
