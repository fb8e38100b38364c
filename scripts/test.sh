#!/usr/bin/env bash
# Runs every test of the collection on a fresh machine, against the bundled tenant simulator:
#   ansible-test sanity (empty ignore files), ansible-test units, the simulator's own tests (and the
#   benchmark's floor computation),
#   the report renderers (JUnit schema, HTML in headless Chromium), ansible-test integration (one
#   target per module and role), the compatibility run (units and the smoke integration targets
#   on the oldest supported ansible-core line), ansible-lint (production profile), and the release
#   checks (changelog fragments and release, Galaxy tarball and importer, module docs lint and
#   reference pages, execution environment build context, the supported ansible-core lines).
# Every suite but compat runs with the newest supported ansible-core line on Python 3.13 (see
# scripts/lib.sh); compat runs with the oldest line on the oldest Python it supports.
# Every suite runs even when one fails; the exit code is non-zero if any failed.
# Options: a list of suites to run (sanity units simulator report integration compat lint release);
# all by default (all but compat with M365_ANSIBLE_CORE set).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_SUITES="sanity units simulator report integration compat lint release"
if [ -n "${M365_ANSIBLE_CORE:-}" ]; then ALL_SUITES=${ALL_SUITES/ compat/}; fi
SUITES=${*:-$ALL_SUITES}
# The compatibility run's integration targets (a smoke subset: sign-in, Graph, Exchange, a role).
COMPAT_TARGETS=${M365_COMPAT_TARGETS:-tenant_info user_mfa mailbox_protocols_info role_mfa}
FAILED=()
SIM_DIR=""

cleanup() { [ -n "$SIM_DIR" ] && stop_simulator "$SIM_DIR"; }
trap cleanup EXIT

set -e
ensure_venv
ensure_pip_bootstrap
stage_collection
set +e
PYVER=$BASE_PYVER
JUNIT=$COLLECTION/tests/output/junit
# One record per suite: which Python and ansible-core it ran with (the release checks read them).
RUNS=$COLLECTION/tests/output/m365-runs
rm -rf "$JUNIT" "$COLLECTION/tests/output/results" "$RUNS"
mkdir -p "$JUNIT" "$RUNS"
export M365_RUN_RECORDS=$RUNS M365_RUN_SUITES=$SUITES
log "Python $("$PY" -c 'import sys; print(sys.version.split()[0])') ($VENV), ansible-core $("$PY" -c 'from ansible.release import __version__; print(__version__)')"

record_run() {
    "$PY" "$ROOT/tests/utils/run_record.py" "$RUNS/run-$1.json" "$1" "$2" "${M365_ANSIBLE_CORE:-}"
}

run_suite() {
    local name=$1 start=$SECONDS; shift
    log "$name"
    if (cd "$COLLECTION" && "$@"); then
        record_run "$name" passed
    else
        FAILED+=("$name")
        record_run "$name" failed
    fi
    echo "$name took $((SECONDS - start)) s"
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
        # ansible-test's sanity venvs whose pins reach outside the package index (tests/utils/sanity_venvs.py).
        "$PY" "$ROOT/tests/utils/sanity_venvs.py" "$PYVER" "$BASE_PYTHON" || echo "Could not prepare the sanity venvs; ansible-test will try"
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
    compat)
        # The same scripts with the oldest supported line, in a venv and a staging directory of
        # their own; their JUnit files and run records come back here with a compat- prefix.
        # (Not through run_suite: its run records are the nested run's own.)
        log "compat: ansible-core $(ansible_lines oldest), units and integration ($COMPAT_TARGETS)"
        COMPAT_START=$SECONDS
        if ! env -u PYTHON M365_ANSIBLE_CORE="$(ansible_lines oldest)" M365_INTEGRATION_TARGETS="$COMPAT_TARGETS" \
                M365_COMPAT_OF="$COLLECTION/tests/output" bash "$ROOT/scripts/test.sh" units integration; then
            FAILED+=("compat")
        fi
        echo "compat took $((SECONDS - COMPAT_START)) s" ;;
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
        echo "Unknown suite $suite (use: $ALL_SUITES)" >&2; exit 2 ;;
    esac
done

# A compatibility run hands its JUnit files and run records to the run that started it.
if [ -n "${M365_COMPAT_OF:-}" ]; then
    for file in "$JUNIT"/*.xml; do [ -f "$file" ] && cp "$file" "$M365_COMPAT_OF/junit/compat-$(basename "$file")"; done
    for file in "$RUNS"/*.json; do [ -f "$file" ] && cp "$file" "$M365_COMPAT_OF/m365-runs/compat-$(basename "$file")"; done
fi

log "Summary"
"$PY" "$ROOT/tests/utils/summarize_junit.py" "$JUNIT"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "Failed suites: ${FAILED[*]}"
    exit 1
fi
