#!/usr/bin/env bash
# Run bench/engine_overhead.py for both models (SQLite and PostgreSQL, every mode) and a cProfile of
# mode c on SQLite. Output goes to bench/results/ (gitignored): <stamp>-<model>.txt / .json and
# <stamp>-profile-<model>.txt.
#
#   bench/run_all.sh                 # N=200 per mode
#   CASES=100 bench/run_all.sh       # fewer cases
#   bench/run_all.sh --pg-url postgresql://postgres@127.0.0.1:5432/test   # extra args go to every run
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ -z "${VIRTUAL_ENV:-}" && -f .venv/bin/activate ]]; then
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi

CASES="${CASES:-200}"
PROFILE_CASES="${PROFILE_CASES:-$CASES}"
stamp="$(date +%Y%m%d-%H%M%S)"
out=bench/results
mkdir -p "$out"

for model in approval transfer_in; do
  echo "== $model: $out/$stamp-$model.txt"
  python bench/engine_overhead.py --cases "$CASES" --model "$model" \
    --json "$out/$stamp-$model.json" "$@" 2>&1 | tee "$out/$stamp-$model.txt"
  echo
done

for model in approval transfer_in; do
  echo "== profile of mode c on SQLite, $model: $out/$stamp-profile-$model.txt"
  python bench/engine_overhead.py --model "$model" --profile-only --profile-cases "$PROFILE_CASES" \
    "$@" 2>&1 | tee "$out/$stamp-profile-$model.txt"
  echo
done
