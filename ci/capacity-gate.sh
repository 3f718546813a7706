#!/usr/bin/env bash
# Capacity regression gate: runs the shipped scenarios with a baseline and a
# candidate telsim and fails when `telsim diff` finds a metric significantly
# worse (Holm-corrected) beyond the tolerance: a paired t-test on the
# replications when both binaries write replications.csv (same seed on both
# sides: common random numbers), else Welch's test on the summaries.
#
#   ci/capacity-gate.sh BASELINE_TELSIM CANDIDATE_TELSIM
#
# Environment (all optional):
#   SCENARIOS       scenario files to run   [scenarios/erlang_c.ron scenarios/erlang_b.ron scenarios/call_centre.ron]
#                   (the default list drops the scenarios that CANDIDATE_ARGS'
#                   --set paths do not exist in, saying so; a list given here
#                   is run as given, and such a scenario is an error)
#   RUN_ARGS        extra `telsim run` options for both sides, e.g. "--replications 20"
#   CANDIDATE_ARGS  extra options for the candidate only (what-if: "--set portals.acme.agents=45")
#   TOLERANCE       allowed relative worsening [5%]
#   DIFF_ARGS       extra `telsim diff` options, e.g. "--metric p95_wait_s --scope platform"
#   OUT             where the runs and reports go [capacity-gate/]
#
# Both sides run with each scenario's own seed. Prints one Markdown table per
# scenario (appended to $GITHUB_STEP_SUMMARY when set, and to OUT/report.md).
# Exit 0 no regression, 1 regression, 2 or 3 when a run or diff could not be
# done (2: a binary missing, a bad scenario or option).
set -uo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BASELINE_TELSIM CANDIDATE_TELSIM" >&2
    exit 2
fi
base=$1
cand=$2
for bin in "$base" "$cand"; do
    if ! command -v "$bin" >/dev/null 2>&1; then
        echo "error: telsim binary '$bin' not found (give a path to a built telsim, e.g. target/release/telsim)" >&2
        exit 2
    fi
    if ! "$bin" --version >/dev/null 2>&1; then
        echo "error: '$bin' does not run (telsim --version failed)" >&2
        exit 2
    fi
done
scenarios=${SCENARIOS:-scenarios/erlang_c.ron scenarios/erlang_b.ron scenarios/call_centre.ron}

# A what-if such as --set portals.acme.agents=45 names a portal that only
# some shipped scenarios have: the default list keeps those it applies to.
if [ -z "${SCENARIOS:-}" ] && [ -n "${CANDIDATE_ARGS:-}" ]; then
    sets=()
    # shellcheck disable=SC2206
    words=(${CANDIDATE_ARGS})
    for ((i = 0; i < ${#words[@]}; i++)); do
        case ${words[$i]} in
            --set) sets+=(--set "${words[$((i + 1))]:-}"); i=$((i + 1)) ;;
            --set=*) sets+=("${words[$i]}") ;;
        esac
    done
    if [ ${#sets[@]} -gt 0 ]; then
        kept=""
        for scenario in $scenarios; do
            if why=$("$cand" check "$scenario" "${sets[@]}" 2>&1 >/dev/null); then
                kept="$kept $scenario"
            else
                echo "capacity gate: skipping $scenario: ${why#error: }" >&2
            fi
        done
        if [ -z "$kept" ]; then
            echo "error: CANDIDATE_ARGS ($CANDIDATE_ARGS) apply to none of the default scenarios: set SCENARIOS" >&2
            exit 2
        fi
        scenarios=$kept
    fi
fi
out=${OUT:-capacity-gate}
tolerance=${TOLERANCE:-5%}
mkdir -p "$out"
report=$out/report.md
: > "$report"

status=0
for scenario in $scenarios; do
    name=$(basename "$scenario" .ron)
    for side in baseline candidate; do
        if [ "$side" = baseline ]; then bin=$base; extra=""; else bin=$cand; extra=${CANDIDATE_ARGS:-}; fi
        # A run exits 1 when a scenario check fails: that is for the diff to judge.
        # shellcheck disable=SC2086
        "$bin" run "$scenario" --out "$out/$side/$name" --no-calls --quiet ${RUN_ARGS:-} $extra > /dev/null
        rc=$?
        if [ "$rc" -ge 2 ]; then
            echo "error: $side run of $scenario failed (exit $rc)" >&2
            exit "$rc"
        fi
    done
    {
        echo "#### $name"
        echo
    } >> "$report"
    # Both sides ran with the scenario's seed: replication r saw the same
    # random numbers on both, so the paired test applies (when both
    # binaries write replications.csv; an older baseline does not).
    # (and as many replications on both sides).
    paired=""
    rb=$out/baseline/$name/replications.csv
    rc_=$out/candidate/$name/replications.csv
    if [ -f "$rb" ] && [ -f "$rc_" ] && [ "$(tail -1 "$rb" | cut -d, -f1)" = "$(tail -1 "$rc_" | cut -d, -f1)" ]; then
        paired=--paired
    fi
    # shellcheck disable=SC2086
    "$cand" diff "$out/baseline/$name" "$out/candidate/$name" --format md \
        --tolerance "$tolerance" $paired ${DIFF_ARGS:-} > "$out/$name.md"
    rc=$?
    cat "$out/$name.md" >> "$report"
    echo >> "$report"
    case $rc in
        0) echo "capacity gate: $name ok" >&2 ;;
        1) echo "capacity gate: $name REGRESSED" >&2; status=1 ;;
        *) echo "error: telsim diff failed on $name (exit $rc)" >&2; exit "$rc" ;;
    esac
done

cat "$report"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$report" >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
