#!/usr/bin/env bash
# Tenant-scale benchmark (not part of the test run):
#   ./scripts/benchmark.sh [--sizes 1000,10000,50000] [--latency-ms 50] [--runs audit,enforce,enforce_again,inventory]
# Creates the venv, stages the collection, and runs tests/performance/run.py, which starts its
# own simulator per size and writes tests/performance/results/*.json and docs/performance.md.
# The modules run with a second environment that holds only requirements.txt, as an execution
# environment does: the test tools of the main venv would otherwise slow every module's start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_venv
stage_collection

MODULE_VENV="${M365_MODULE_VENV:-$VENV/modules-env}"
install_env "$MODULE_VENV" -r "$ROOT/requirements.txt"

export PYTHONPATH="$STAGE_ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" "$ROOT/tests/performance/run.py" --module-python "$MODULE_VENV/bin/python" "$@"
