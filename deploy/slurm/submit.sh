#!/usr/bin/env bash
# Submits a sharded telsim sweep to Slurm and a merge job that runs when
# every shard has succeeded.
#
#   deploy/slurm/submit.sh SHARDS OUT_DIR SCENARIO --vary PATH=VALUES …
#
# Result: OUT_DIR/merged/sweep.csv (and points/), byte-identical to
# `telsim sweep SCENARIO --vary … --out OUT_DIR/merged` on one machine.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 SHARDS OUT_DIR SCENARIO [telsim sweep options]" >&2
    exit 2
fi
shards=$1
out=$2
shift 2
cd "$(dirname "$0")/../.."

array=$(sbatch --parsable --array="0-$((shards - 1))" deploy/slurm/sweep.sbatch "$out" "$@")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" --job-name=telsim-merge \
    --output=telsim-merge-%j.out \
    --wrap "${TELSIM:-telsim} merge $out/shards/* --out $out/merged")
echo "sweep array job $array, merge job $merge: results in $out/merged/"
