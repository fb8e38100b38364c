#!/usr/bin/env bash
# Tenant-scale benchmark (not part of the test run):
#   ./scripts/benchmark.sh [--sizes 1000,10000,50000] [--latency-ms 50] [--runs audit,enforce,enforce_again]
# Creates the venv, stages the collection, and runs tests/performance/run.py, which starts its
# own simulator per size and writes tests/performance/results/*.json and docs/performance.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_venv
stage_collection
export PYTHONPATH="$STAGE_ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" "$ROOT/tests/performance/run.py" "$@"
