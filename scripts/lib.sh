# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/demo.sh: the virtual environment, the staged
# collection, and the tenant simulator. Source it; do not run it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# M365_ANSIBLE_CORE=2.17 (or 2.18): the newest release of that ansible-core line instead of the
# newest that tests/requirements.txt allows, in a venv and a staging directory of its own.
CORE_SUFFIX=${M365_ANSIBLE_CORE:+-ansible-core-$M365_ANSIBLE_CORE}
VENV=${M365_VENV:-$ROOT/.venv${M365_ANSIBLE_CORE:+/ansible-core-$M365_ANSIBLE_CORE}}
PY=$VENV/bin/python
# ansible-test only runs inside .../ansible_collections/m365/admin and refuses a tree that an
# enclosing git checkout ignores, so the collection is staged outside the checkout.
STAGE_ROOT=${M365_STAGE:-${TMPDIR:-/tmp}/m365.admin-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)$CORE_SUFFIX}
# shellcheck disable=SC2034  # used by the scripts that source this file
COLLECTION=$STAGE_ROOT/ansible_collections/m365/admin

log() { printf '\n==> %s\n' "$*"; }

pick_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
            echo "$candidate"; return
        fi
    done
    echo "No Python 3.10+ found; set PYTHON=/path/to/python3" >&2
    exit 1
}

# Create the virtual environment DIR when it is missing, and pip-install the rest of the
# arguments into it, again only when they changed (a stamp in DIR holds the checksum of the
# arguments, with each requirements file given by its content).
install_env() {
    local dir=$1; shift
    if [ ! -x "$dir/bin/python" ]; then
        log "Creating the virtual environment $dir"
        "$(pick_python)" -m venv "$dir"
    fi
    local stamp="$dir/.m365-requirements" want arg
    want=$(for arg in "$@"; do if [ -f "$arg" ]; then cat "$arg"; else printf '%s\n' "$arg"; fi; done | cksum)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        log "Installing Python requirements into $dir"
        "$dir/bin/python" -m pip install --quiet --upgrade pip
        "$dir/bin/python" -m pip install --quiet "$@"
        printf '%s' "$want" > "$stamp"
    fi
}

# The main venv: runtime and test requirements (and the ansible-core line asked for).
ensure_venv() {
    install_env "$VENV" -r "$ROOT/requirements.txt" -r "$ROOT/tests/requirements.txt" \
        ${M365_ANSIBLE_CORE:+"ansible-core~=$M365_ANSIBLE_CORE.0"}
    export PATH="$VENV/bin:$PATH"
}

# Copy the collection (tracked files plus new ones git does not ignore) to $COLLECTION.
stage_collection() {
    "$PY" "$ROOT/tests/utils/stage_collection.py" "$ROOT" "$STAGE_ROOT" >/dev/null
    export ANSIBLE_COLLECTIONS_PATH="$STAGE_ROOT"
}

# ansible-test's sanity venvs bootstrap pip with a script it downloads from a host some
# networks cannot reach; it uses a cached copy first. Place a stand-in only when none is there.
ensure_pip_bootstrap() {
    local version
    version=$("$PY" - <<'PYEOF'
import re, ansible_test, os
path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
print(re.search(r"pip='([0-9.]+)'", open(path).read()).group(1))
PYEOF
)
    local cache="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
    if [ ! -f "$cache" ]; then
        mkdir -p "$(dirname "$cache")"
        cp "$ROOT/tests/utils/get_pip_standin.py" "$cache"
        echo "Placed a pip bootstrap stand-in at $cache"
    fi
}

# start_simulator STATE_DIR [serve options...]: start it in the background, wait until it listens.
start_simulator() {
    local dir=$1; shift
    mkdir -p "$dir"
    rm -f "$dir/server.json"
    PYTHONPATH="$ROOT/tests/simulator" "$PY" -m m365sim serve --state-dir "$dir" --port 0 "$@" \
        > "$dir/simulator.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 300); do
        if [ -f "$dir/server.json" ]; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "The simulator did not start:" >&2; cat "$dir/simulator.log" >&2; return 1
        fi
        sleep 0.1
    done
    echo "The simulator did not start within 30 s:" >&2; cat "$dir/simulator.log" >&2
    return 1
}

stop_simulator() {
    local dir=$1
    if [ -f "$dir/server.json" ]; then
        PYTHONPATH="$ROOT/tests/simulator" "$PY" -m m365sim stop --state-dir "$dir" >/dev/null 2>&1 || true
    fi
}

# simulator_vars STATE_DIR FILE: write the connection variables for playbooks (YAML).
simulator_vars() {
    "$PY" "$ROOT/tests/utils/simulator_vars.py" "$1" > "$2"
}
