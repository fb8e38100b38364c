#!/usr/bin/env bash
# Runs every test of the collection on a fresh machine, against the bundled tenant simulator:
#   ansible-test sanity (empty ignore files), ansible-test units, the simulator's own tests (and the
#   benchmark's floor computation),
#   the report renderers (JUnit schema, HTML in headless Chromium), ansible-test integration (one
#   target per module and role), ansible-lint (production profile), and the release checks
#   (changelog fragments and release, Galaxy tarball and importer, module docs lint and reference
#   pages, execution environment build context).
# Every suite runs even when one fails; the exit code is non-zero if any failed.
# Options: a list of suites to run (sanity units simulator report integration lint release); all by default.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SUITES=${*:-sanity units simulator report integration lint release}
FAILED=()
SIM_DIR=""

cleanup() { [ -n "$SIM_DIR" ] && stop_simulator "$SIM_DIR"; }
trap cleanup EXIT

set -e
ensure_venv
ensure_pip_bootstrap
stage_collection
set +e
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
JUNIT=$COLLECTION/tests/output/junit
rm -rf "$COLLECTION/tests/output/junit" "$COLLECTION/tests/output/results"
mkdir -p "$JUNIT"

run_suite() {
    local name=$1; shift
    log "$name"
    if ! (cd "$COLLECTION" && "$@"); then FAILED+=("$name"); fi
}

# The CI kit of docs/ci.md: actionlint on the example workflow (with shellcheck on its run steps),
# and every file against its CI system's JSON schema as check-jsonschema vendors it (Azure's
# schema needs Python's regular expressions). Runs from the collection; each check runs.
lint_ci_examples() {
    local rc=0
    actionlint docs/examples/ci/github-actions.yml || rc=1
    check-jsonschema --builtin-schema vendor.github-workflows docs/examples/ci/github-actions.yml || rc=1
    check-jsonschema --builtin-schema vendor.github-actions .github/actions/m365-baseline/action.yml || rc=1
    check-jsonschema --builtin-schema vendor.gitlab-ci docs/examples/ci/gitlab-ci.yml || rc=1
    check-jsonschema --regex-variant python --builtin-schema vendor.azure-pipelines docs/examples/ci/azure-pipelines.yml || rc=1
    return $rc
}

for suite in $SUITES; do
    case $suite in
    sanity)
        run_suite "sanity" ansible-test sanity --venv --python "$PYVER" --junit ;;
    units)
        run_suite "units" ansible-test units --python "$PYVER" ;;
    simulator)
        run_suite "simulator" env PYTHONPATH="$COLLECTION/tests/simulator" "$PY" -m pytest -q -p no:cacheprovider \
            -n 2 --junitxml "$JUNIT/simulator.xml" tests/simulator/tests tests/performance ;;
    report)
        if ! command -v chromium >/dev/null 2>&1; then
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                log "Installing Chromium (Debian's chromium package) for the report rendering test"
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
            else
                echo "chromium is not installed and cannot be installed here: the HTML rendering tests will skip"
            fi
        fi
        run_suite "report" "$PY" -m pytest -q -p no:cacheprovider --junitxml "$JUNIT/report.xml" tests/report ;;
    integration)
        SIM_DIR=$STAGE_ROOT/simulator
        rm -rf "$SIM_DIR"
        if start_simulator "$SIM_DIR" --users 200 --seed 1; then
            simulator_vars "$SIM_DIR" "$COLLECTION/tests/integration/integration_config.yml"
            # The fault campaign's tenant size (M365_CAMPAIGN_USERS=2000 for the larger campaign).
            echo "m365_campaign_users: ${M365_CAMPAIGN_USERS:-1000}" >> "$COLLECTION/tests/integration/integration_config.yml"
            # M365_INTEGRATION_TARGETS="user_mfa tenant_info" runs only those targets.
            # shellcheck disable=SC2086  # a list of target names
            run_suite "integration" ansible-test integration --python "$PYVER" ${M365_INTEGRATION_TARGETS:-}
        else
            FAILED+=("integration (simulator did not start)")
        fi
        stop_simulator "$SIM_DIR"; SIM_DIR="" ;;
    lint)
        run_suite "lint" ansible-lint --offline roles playbooks tests/integration
        "$PY" "$ROOT/tests/utils/summarize_junit.py" --record "$JUNIT/ansible-lint.xml" "ansible-lint production profile" \
            "$([[ " ${FAILED[*]} " == *" lint "* ]] && echo failed || echo passed)"
        run_suite "lint-ci" lint_ci_examples
        "$PY" "$ROOT/tests/utils/summarize_junit.py" --record "$JUNIT/ci-lint.xml" "CI examples: actionlint and CI schemas" \
            "$([[ " ${FAILED[*]} " == *" lint-ci "* ]] && echo failed || echo passed)" ;;
    release)
        run_suite "release" "$PY" -m pytest -q -p no:cacheprovider --junitxml "$JUNIT/release.xml" tests/release ;;
    *)
        echo "Unknown suite $suite (use: sanity units simulator report integration lint release)" >&2; exit 2 ;;
    esac
done

log "Summary"
"$PY" "$ROOT/tests/utils/summarize_junit.py" "$JUNIT"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "Failed suites: ${FAILED[*]}"
    exit 1
fi
