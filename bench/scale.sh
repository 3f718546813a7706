#!/usr/bin/env bash
# Scale benchmark: a synthetic national platform (bench/gen_platform.py, by
# default 50 000 portals and ~500 000 agents over one diurnal day), run once
# with statistics only. Prints start-up time (parse + validate, `telsim
# check`), start-up with the platform built (a 60 s run), the whole day's
# wall and CPU time, events/s and peak RSS. Not a test: CI does not run it.
# The 26 MB scenario and its 2.5 GB day need --max-memory above the default
# 512M (which also caps a scenario file at 16 MiB).
#
#   bench/scale.sh                 # 50 000 portals
#   bench/scale.sh --portals 5000  # any gen_platform.py options
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
mkdir -p bench/out
scenario=bench/out/scale.ron
python3 bench/gen_platform.py --out "$scenario" "$@"
telsim=target/release/telsim
fmt="%e s wall, %U s user, %M KB peak RSS"
echo "== parse + validate (telsim check)"
/usr/bin/time -f "$fmt" "$telsim" check "$scenario" --max-memory 8G >/dev/null
echo "== parse + validate + build + 60 s of simulated time"
/usr/bin/time -f "$fmt" "$telsim" run "$scenario" --jobs 1 --no-calls --max-memory 8G \
    --set duration_s=60 --out bench/out/scale-startup 2>&1 | grep -v '^wrote'
echo "== the whole day, statistics only"
/usr/bin/time -f "$fmt" "$telsim" run "$scenario" --jobs 1 --no-calls --max-memory 8G \
    --out bench/out/scale 2>&1 | grep -v '^wrote'
