#!/usr/bin/env bash
# Benchmark telsim against SimPy and Ciw on the same M/M/c model and print the
# table of README's "Performance" section. Not a test: CI does not run it.
#
#   bench/compare.sh                      # 100 telsim, 10 SimPy, 3 Ciw runs (Ciw takes ~40 s a run)
#   bench/compare.sh --ciw-reps 5 --simpy-reps 20
#
# Needs the Rust toolchain, Python ≥ 3.9 with venv, GNU time (/usr/bin/time, for peak RSS)
# and network access to PyPI the first time (SimPy and Ciw go into a
# throw-away virtualenv, bench/.venv, which git ignores).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
fi
bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check simpy==4.1.1 ciw==3.2.7
exec bench/.venv/bin/python bench/compare.py "$@"
