#!/usr/bin/env bash
# Prints the stamp of one sharded sweep: a SHA-256 over the telsim version,
# the shard count, the sweep options and every file in the scenario's folder
# (the scenario and the topologies or plans it names). The shards of a sweep
# write it beside their manifest (SHARD_STAMP, see sweep-shard.sh) and the
# Kubernetes merge Job waits for shards with its own stamp, so shards left on
# the volume by an earlier, different sweep do not count.
#
#   deploy/sweep-stamp.sh SHARD_COUNT SCENARIO [telsim sweep options]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 SHARD_COUNT SCENARIO [sweep options]" >&2; exit 2; }
n=$1
scenario=$2
shift 2
[ -f "$scenario" ] || { echo "error: scenario $scenario not found" >&2; exit 2; }
dir=$(dirname "$scenario")
{
    "${TELSIM:-telsim}" --version
    printf 'shards=%s\nscenario=%s\n' "$n" "$(basename "$scenario")"
    printf 'arg=%s\n' "$@"
    # ConfigMap volumes keep their files behind ..data/ symlinks: follow
    # them, skip the timestamped ..* folders themselves.
    find -L "$dir" -type f -not -path '*/..*' -print0 | LC_ALL=C sort -z |
        while IFS= read -r -d '' f; do
            printf 'file=%s\n' "${f#"$dir"/}"
            sha256sum < "$f"
        done
} | sha256sum | cut -d' ' -f1
