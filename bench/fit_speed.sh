#!/usr/bin/env bash
# `telsim fit` speed and memory on a year of a 100-agent centre's queue_log
# (~10 M lines, bench/gen_queue_log.py). Prints the file's size and lines,
# then fit's wall time, CPU time and peak RSS; a quarter of the year is
# fitted too, to show memory does not grow with the log's length. Not a
# test: CI does not run it.
#
#   bench/fit_speed.sh               # 365 days
#   bench/fit_speed.sh --days 30     # any gen_queue_log.py options
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
mkdir -p bench/out
log=bench/out/queue_log
python3 bench/gen_queue_log.py --out "$log" "$@"
quarter=bench/out/queue_log.quarter
python3 bench/gen_queue_log.py --out "$quarter" --days 91
echo "== $(du -h "$log" | cut -f1), $(wc -l < "$log") lines"
fmt="%e s wall, %U s user, %M KB peak RSS"
echo "== fit, the whole log"
/usr/bin/time -f "$fmt" target/release/telsim fit "$log" --format queue-log \
    --out bench/out/fitted.ron
echo "== fit, a quarter of it ($(wc -l < "$quarter") lines)"
/usr/bin/time -f "$fmt" target/release/telsim fit "$quarter" --format queue-log \
    --out bench/out/fitted-quarter.ron
