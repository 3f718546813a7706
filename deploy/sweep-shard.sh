#!/usr/bin/env bash
# Runs one shard of a telsim sweep: the piece of work of one Slurm array task
# or one pod of a Kubernetes Indexed Job.
#
#   deploy/sweep-shard.sh OUT_DIR SCENARIO [telsim sweep options: --vary …, --set …, -j …]
#
# The shard index K comes from SHARD_INDEX, SLURM_ARRAY_TASK_ID or
# JOB_COMPLETION_INDEX (first one set); the shard count N from SHARD_COUNT,
# SLURM_ARRAY_TASK_COUNT or JOB_COMPLETIONS. The shard writes into
# OUT_DIR/shards/K/; once every shard is there, `telsim merge
# OUT_DIR/shards/* --out OUT_DIR/merged` gives exactly the unsharded sweep.
# TELSIM names the binary (default: telsim on PATH).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 OUT_DIR SCENARIO [telsim sweep options]" >&2
    exit 2
fi
out=$1
scenario=$2
shift 2

k=${SHARD_INDEX:-${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:-}}}
n=${SHARD_COUNT:-${SLURM_ARRAY_TASK_COUNT:-${JOB_COMPLETIONS:-}}}
if [ -z "$k" ] || [ -z "$n" ]; then
    echo "error: no shard index/count: set SHARD_INDEX and SHARD_COUNT, or run as a" \
        "Slurm job array or a Kubernetes Indexed Job" >&2
    exit 2
fi

# Slurm arrays may start at an offset (--array=1-4): shards count from 0.
if [ -n "${SLURM_ARRAY_TASK_MIN:-}" ] && [ -z "${SHARD_INDEX:-}" ]; then
    k=$((k - SLURM_ARRAY_TASK_MIN))
fi

mkdir -p "$out/shards"
exec "${TELSIM:-telsim}" sweep "$scenario" "$@" --shard "$k/$n" --out "$out/shards/$k" --quiet
