#!/bin/bash
# usage: bench/identity.sh OLD_BIN NEW_BIN [OUTDIR]
#
# Proves that a refactoring changed no output: runs every shipped scenario
# (scenarios/*.ron) with both binaries — 2 replications, and 1 replication
# with a per-call trace of 5 calls; bench_* scenarios shortened to 2 h — and
# compares the two output trees byte for byte, exit status of every run
# included. Exits 0 when everything is identical, 1 on any difference (the
# diff is printed), 2 on bad usage.
set -u
if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: $0 OLD_BIN NEW_BIN [OUTDIR]   (both binaries must be executable)" >&2
  exit 2
fi
OLD=$1; NEW=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${3:-$(mktemp -d "${TMPDIR:-/tmp}/telsim-identity.XXXXXX")}
mkdir -p "$OUT/old" "$OUT/new"

run_all() { # BIN DIR
  local bin=$1 dir=$2 s n extra
  for s in "$ROOT"/scenarios/*.ron; do
    n=$(basename "$s" .ron)
    case $n in bench_*) extra=(--set duration_s=7200) ;; *) extra=() ;; esac
    # A scenario that fails must fail the same way with both binaries: the
    # exit status is part of what is compared.
    "$bin" run "$s" --set replications=2 "${extra[@]}" --out "$dir/$n" --quiet >/dev/null 2>&1
    echo "$n $?" >>"$dir/exit-status"
    "$bin" run "$s" --set replications=1 "${extra[@]}" --trace 5 --out "$dir/$n-trace" --quiet >/dev/null 2>&1
    echo "$n-trace $?" >>"$dir/exit-status"
  done
}

run_all "$OLD" "$OUT/old"
run_all "$NEW" "$OUT/new"
files=$(find "$OUT/new" -type f | wc -l)
if diff -r "$OUT/old" "$OUT/new"; then
  echo "identical: $files files ($OUT)"
  exit 0
fi
echo "DIFFERENT: see diff above ($OUT)" >&2
exit 1
