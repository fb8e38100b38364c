# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/demo.sh: the virtual environment, the staged
# collection, and the tenant simulator. Source it; do not run it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The supported ansible-core lines and the Pythons each runs on: tests/utils/ansible_lines.py.
# By default the newest line, on Python 3.13 when present (else the newest Python it supports).
# M365_ANSIBLE_CORE=2.19 (or another supported line): the newest release of that line instead, on
# the oldest Python it supports that is present, in a venv and a staging directory of its own.
# PYTHON=/path/to/python3 overrides the choice of interpreter.
CORE_SUFFIX=${M365_ANSIBLE_CORE:+-ansible-core-$M365_ANSIBLE_CORE}
VENV=${M365_VENV:-$ROOT/.venv}${M365_ANSIBLE_CORE:+/ansible-core-$M365_ANSIBLE_CORE}
PY=$VENV/bin/python
# ansible-test only runs inside .../ansible_collections/m365/admin and refuses a tree that an
# enclosing git checkout ignores, so the collection is staged outside the checkout.
STAGE_ROOT=${M365_STAGE:-${TMPDIR:-/tmp}/m365.admin-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)$CORE_SUFFIX}
# shellcheck disable=SC2034  # used by the scripts that source this file
COLLECTION=$STAGE_ROOT/ansible_collections/m365/admin
# Set by resolve_python: the interpreter the venv is made from, its X.Y, and the ansible-core line.
BASE_PYTHON=""
BASE_PYVER=""
CORE_LINE=""

log() { printf '\n==> %s\n' "$*"; }

# ansible_lines ARGS...: tests/utils/ansible_lines.py (standard library only) with any Python 3.
ansible_lines() {
    local boot
    for boot in python3 /usr/bin/python3 /usr/local/bin/python3; do
        if "$boot" -c '' >/dev/null 2>&1; then "$boot" "$ROOT/tests/utils/ansible_lines.py" "$@"; return; fi
    done
    echo "No python3 found to read tests/utils/ansible_lines.py" >&2
    return 1
}

# find_python X.Y: print the absolute path of a working Python X.Y, or fail. A pyenv shim on
# PATH only runs when pyenv selects that version (PYENV_VERSION, .python-version or the global
# one), so pyenv's own installations are looked at too, newest patch release first.
find_python() {
    local version=$1 pyenv_root=${PYENV_ROOT:-$HOME/.pyenv} candidate found
    local candidates=("python$version")
    if [ -d "$pyenv_root/versions" ]; then
        while IFS= read -r found; do
            candidates+=("$found/bin/python$version")
        done < <(find "$pyenv_root/versions" -mindepth 1 -maxdepth 1 -name "$version.*" | sort -rV)
    fi
    candidates+=("/usr/local/bin/python$version" "/usr/bin/python$version")
    for candidate in "${candidates[@]}"; do
        if found=$("$candidate" -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != sys.argv[1] or print(sys.executable))' \
                "$version" 2>/dev/null) && [ -n "$found" ]; then
            echo "$found"; return 0
        fi
    done
    return 1
}

# Choose the ansible-core line (CORE_LINE) and the interpreter (BASE_PYTHON, BASE_PYVER).
resolve_python() {
    [ -n "$BASE_PYTHON" ] && return 0
    local line=${M365_ANSIBLE_CORE:-} newest order=newest version
    newest=$(ansible_lines newest) || exit 1
    if [ -n "$line" ]; then
        if ! ansible_lines pythons "$line" >/dev/null 2>&1; then
            echo "M365_ANSIBLE_CORE=$line is not a supported ansible-core line (supported: $(ansible_lines lines))" >&2
            exit 1
        fi
        order=oldest
    fi
    if [ -n "${PYTHON:-}" ]; then
        BASE_PYTHON=$PYTHON
    else
        for version in $(ansible_lines pythons "${line:-$newest}" "$order"); do
            if BASE_PYTHON=$(find_python "$version"); then break; fi
        done
        if [ -z "$BASE_PYTHON" ] && [ -z "$line" ]; then
            # None of the newest line's Pythons: the newest interpreter present, with the newest
            # line that runs on it (the release checks then fail: the default run must use the newest).
            for version in 3.15 3.14 3.13 3.12 3.11; do
                if BASE_PYTHON=$(find_python "$version"); then break; fi
            done
        fi
    fi
    if [ -z "$BASE_PYTHON" ]; then
        echo "No Python for ansible-core ${line:-$newest} found (it runs on Python $(ansible_lines pythons "${line:-$newest}" oldest));" \
            "install one or set PYTHON=/path/to/python3" >&2
        exit 1
    fi
    BASE_PYVER=$("$BASE_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || exit 1
    if [ -z "$line" ]; then
        if ! line=$(ansible_lines line-for "$BASE_PYVER"); then
            echo "Python $BASE_PYVER ($BASE_PYTHON) runs no supported ansible-core line (supported: $(ansible_lines lines))" >&2
            exit 1
        fi
        if [ "$line" != "$newest" ]; then
            echo "WARNING: ansible-core $newest needs Python $(ansible_lines pythons "$newest" oldest); using ansible-core $line on Python $BASE_PYVER" >&2
        fi
    fi
    CORE_LINE=$line
}

# Create the virtual environment DIR when it is missing, and pip-install the rest of the
# arguments into it, again only when they changed (a stamp in DIR holds the checksum of the
# arguments, with each requirements file given by its content).
install_env() {
    local dir=$1; shift
    resolve_python
    if [ -x "$dir/bin/python" ] && [ "$("$dir/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$BASE_PYVER" ]; then
        # Made with another Python: remake it (only its own files; other venvs may be nested in it).
        log "Recreating the virtual environment $dir with Python $BASE_PYVER"
        rm -rf "${dir:?}/bin" "${dir:?}/lib" "${dir:?}/lib64" "${dir:?}/include" "${dir:?}/pyvenv.cfg" "${dir:?}/.m365-requirements"
    fi
    if [ ! -x "$dir/bin/python" ]; then
        log "Creating the virtual environment $dir (Python $BASE_PYVER: $BASE_PYTHON)"
        "$BASE_PYTHON" -m venv "$dir"
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

# The main venv: runtime and test requirements, and the newest release of the chosen line.
ensure_venv() {
    resolve_python
    install_env "$VENV" -r "$ROOT/requirements.txt" -r "$ROOT/tests/requirements.txt" "ansible-core~=$CORE_LINE.0"
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
