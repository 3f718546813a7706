#!/usr/bin/env bash
# Runs one shard of a telsim sweep: the piece of work of one Slurm array task
# or one pod of a Kubernetes Indexed Job.
#
#   deploy/sweep-shard.sh OUT_DIR SCENARIO [telsim sweep options: --vary …, --set …, -j …]
#
# With SHARD_VERB=run, a shard of one run's replications instead
# (`telsim run --shard K/N`, options those of `telsim run`).
#
# The shard index K comes from SHARD_INDEX, SLURM_ARRAY_TASK_ID or
# JOB_COMPLETION_INDEX (first one set); the shard count N from SHARD_COUNT,
# SLURM_ARRAY_TASK_COUNT or JOB_COMPLETIONS. When SHARD_COUNT is set, the
# array index is the shard index as it is (so `sbatch --array=2` with
# SHARD_COUNT=4 reruns shard 2 of 4); without it, an array starting at an
# offset (--array=1-4) counts its shards from its first index. The shard
# writes into OUT_DIR/shards/K/; once every shard is there, `telsim merge
# OUT_DIR/shards/* --out OUT_DIR/merged` gives exactly the unsharded sweep.
#
# TELSIM names the binary (default: telsim on PATH). SHARD_JOBS gives the
# threads when the options carry no -j/--jobs (Slurm: the task's CPUs).
# When SHARD_STAMP is set (deploy/sweep-stamp.sh; the Kubernetes merge Job
# compares it), a finished shard writes it to OUT_DIR/shards/K/job-stamp.txt
# and a shard refused as bad input (exit 2) to OUT_DIR/shards/K.failed.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 OUT_DIR SCENARIO [telsim sweep options]" >&2
    exit 2
fi
out=$1
scenario=$2
shift 2

telsim=${TELSIM:-telsim}
if ! command -v "$telsim" >/dev/null 2>&1; then
    echo "error: telsim binary '$telsim' not found on $(hostname): put it on PATH or set TELSIM to its path (on storage every node sees)" >&2
    exit 2
fi

k=${SHARD_INDEX:-${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:-}}}
n=${SHARD_COUNT:-${SLURM_ARRAY_TASK_COUNT:-${JOB_COMPLETIONS:-}}}
if [ -z "$k" ] || [ -z "$n" ]; then
    echo "error: no shard index/count: set SHARD_INDEX and SHARD_COUNT, or run as a" \
        "Slurm job array or a Kubernetes Indexed Job" >&2
    exit 2
fi

# An array that starts at an offset (--array=1-4) counts its shards from its
# first index, unless SHARD_COUNT says the indices are shard numbers.
if [ -n "${SLURM_ARRAY_TASK_MIN:-}" ] && [ -z "${SHARD_INDEX:-}" ] && [ -z "${SHARD_COUNT:-}" ]; then
    k=$((k - SLURM_ARRAY_TASK_MIN))
fi

jobs=()
has_jobs=false
for a in "$@"; do
    case $a in -j | -j* | --jobs | --jobs=*) has_jobs=true ;; esac
done
if ! $has_jobs && [ -n "${SHARD_JOBS:-}" ]; then
    jobs=(--jobs "$SHARD_JOBS")
fi

verb=${SHARD_VERB:-sweep}
case $verb in
    sweep | run) ;;
    *) echo "error: SHARD_VERB must be sweep or run, not '$verb'" >&2; exit 2 ;;
esac

mkdir -p "$out/shards"
rm -f "$out/shards/$k/job-stamp.txt" "$out/shards/$k.failed"
rc=0
"$telsim" "$verb" "$scenario" "$@" "${jobs[@]}" --shard "$k/$n" --out "$out/shards/$k" --quiet || rc=$?
if [ -n "${SHARD_STAMP:-}" ]; then
    if [ "$rc" -eq 0 ]; then
        printf '%s\n' "$SHARD_STAMP" > "$out/shards/$k/job-stamp.txt"
    elif [ "$rc" -eq 2 ]; then
        printf '%s\n' "$SHARD_STAMP" > "$out/shards/$k.failed"
    fi
fi
exit "$rc"
