#!/usr/bin/env bash
# Submits a sharded telsim sweep to Slurm: a job array (one task per shard)
# and a merge job that runs when the array has ended, merges the shards, or
# names the ones that failed and the command that reruns them.
#
#   deploy/slurm/submit.sh [SBATCH OPTIONS] SHARDS OUT_DIR SCENARIO [telsim sweep options]
#   deploy/slurm/submit.sh [SBATCH OPTIONS] --run SHARDS OUT_DIR SCENARIO [telsim run options]
#   deploy/slurm/submit.sh [SBATCH OPTIONS] --rerun K[,K…] OUT_DIR
#
# --run spreads the replications of one run instead of a sweep's points
# (`telsim run --shard K/N`): OUT_DIR/merged/ is then the run folder of
# `telsim run SCENARIO … --out OUT_DIR/merged`, byte for byte.
#
# SBATCH OPTIONS go to both jobs, before the shard count: --cpus-per-task=N
# (each task's threads; default 1), --mem=SIZE, --time=LIMIT,
# --partition=NAME, --account=NAME, --qos=NAME, or any other --name=value
# or --flag that sbatch takes.
#
# The binary is TELSIM if set, else telsim on PATH, checked here before
# anything is submitted; it, the checkout, the scenario and OUT_DIR must be
# on storage every node sees. Result: OUT_DIR/merged/, byte-identical to
# `telsim sweep SCENARIO … --out OUT_DIR/merged` on one machine. Logs:
# OUT_DIR/logs/. --rerun submits exactly the listed shards again (with the
# options saved at submission plus any given now) and a new merge job.
set -euo pipefail

usage() {
    echo "usage: $0 [SBATCH OPTIONS] SHARDS OUT_DIR SCENARIO [telsim sweep options]" >&2
    echo "       $0 [SBATCH OPTIONS] --run SHARDS OUT_DIR SCENARIO [telsim run options]" >&2
    echo "       $0 [SBATCH OPTIONS] --rerun K[,K...] OUT_DIR" >&2
    exit 2
}
die() {
    echo "error: $*" >&2
    exit 2
}

deploy=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
submit=$deploy/slurm/submit.sh

opts=()
rerun=""
verb=sweep
while [ $# -gt 0 ]; do
    case $1 in
        --run) verb=run; shift ;;
        --rerun) [ $# -ge 2 ] || usage; rerun=$2; shift 2 ;;
        --rerun=*) rerun=${1#--rerun=}; shift ;;
        --array | --array=* | --export | --export=* | --dependency | --dependency=*)
            die "submit.sh sets $1 itself" ;;
        -c | -p | -A | -t | -q | --cpus-per-task | --mem | --time | --partition | --account | --qos)
            [ $# -ge 2 ] || usage; opts+=("$1=$2"); shift 2 ;;
        -c* | -p* | -A* | -t* | -q*) opts+=("${1:0:2}=${1:2}"); shift ;;
        --*) opts+=("$1"); shift ;;
        *) break ;;
    esac
done
# Short options as sbatch --long=value options (-c=2 is not sbatch syntax).
for i in "${!opts[@]}"; do
    case ${opts[$i]} in
        -c=*) opts[i]=--cpus-per-task=${opts[$i]#-c=} ;;
        -p=*) opts[i]=--partition=${opts[$i]#-p=} ;;
        -A=*) opts[i]=--account=${opts[$i]#-A=} ;;
        -t=*) opts[i]=--time=${opts[$i]#-t=} ;;
        -q=*) opts[i]=--qos=${opts[$i]#-q=} ;;
    esac
done

command -v sbatch >/dev/null 2>&1 || die "sbatch not found: run this on a Slurm login node"

if [ -n "$rerun" ]; then
    [ $# -eq 1 ] || usage
    out=$(realpath -m "$1")
    [ -f "$out/submit.args" ] || die "$out/submit.args not found: $out was not submitted by submit.sh"
    # shellcheck source=/dev/null
    source "$out/submit.args"
    [[ $rerun =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--rerun takes shard numbers such as 2 or 1,3, not '$rerun'"
    for k in ${rerun//,/ }; do
        [ "$k" -lt "$shards" ] || die "shard $k does not exist (the sweep has $shards shard(s), 0..$((shards - 1)))"
    done
    array=$rerun
    opts=("${sbatch_opts[@]}" "${opts[@]}")
else
    [ $# -ge 3 ] || usage
    shards=$1
    [[ $shards =~ ^[1-9][0-9]*$ ]] || die "SHARDS must be a positive number, not '$shards'"
    out=$(realpath -m "$2")
    scenario=$3
    shift 3
    [ -f "$scenario" ] || die "scenario $scenario not found"
    args=("$(realpath "$scenario")" "$@")
    if [ -n "$(ls -A "$out/shards" 2>/dev/null)" ]; then
        die "$out already holds shards of a submission: rerun shards with '$submit --rerun K $out', or choose another OUT_DIR"
    fi
    telsim=${TELSIM:-telsim}
    found=$(command -v "$telsim" 2>/dev/null) ||
        die "telsim binary '$telsim' not found: put it on PATH or set TELSIM (on storage every node sees)"
    telsim=$(realpath "$found")
    "$telsim" --version >/dev/null 2>&1 || die "$telsim does not run (telsim --version failed)"
    array=0-$((shards - 1))
    sbatch_opts=("${opts[@]}")
    mkdir -p "$out/logs"
    {
        echo "# written by deploy/slurm/submit.sh; read by merge.sbatch and --rerun"
        declare -p verb shards telsim submit args sbatch_opts
    } > "$out/submit.args"
fi

export TELSIM=$telsim SHARD_COUNT=$shards SHARD_VERB=${verb:-sweep} TELSIM_SHARD_SCRIPT=$deploy/sweep-shard.sh
jobid=$(sbatch --parsable "${opts[@]}" --array="$array" --export=ALL \
    --output="$out/logs/shard-%a-%A.out" \
    "$deploy/slurm/sweep.sbatch" "$out" "${args[@]}")
jobid=${jobid%%;*}
merge=$(sbatch --parsable "${opts[@]}" --dependency="afterany:$jobid" --export=ALL \
    --output="$out/logs/merge-%j.out" \
    "$deploy/slurm/merge.sbatch" "$out")
merge=${merge%%;*}
echo "$verb shard array job $jobid (shards $array of $shards), merge job $merge: results in $out/merged/, logs in $out/logs/"
