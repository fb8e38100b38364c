#!/usr/bin/env bash
# Module and role reference pages, generated with antsibull-docs from the modules' own
# documentation (the same text ansible-doc shows), as reStructuredText that renders on code
# hosts, into build/docs (not committed, so it never goes stale).
#   ./scripts/docs.sh [DEST]        default DEST: build/docs
#   ./scripts/docs.sh --html        also a searchable HTML site in build/docs-site (Sphinx)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HTML=false
DEST=""
for arg in "$@"; do
    case $arg in
    --html) HTML=true ;;
    -*) echo "Unknown option $arg (use: [DEST] [--html])" >&2; exit 2 ;;
    *) DEST=$arg ;;
    esac
done
DEST=${DEST:-$ROOT/build/docs}

ensure_venv
stage_collection
rm -rf "$DEST"
mkdir -p "$DEST"
antsibull-docs collection --use-current --squash-hierarchy --fail-on-error --output-format simplified-rst \
    --dest-dir "$DEST" m365.admin
echo "Module reference: $DEST/index.rst"

if $HTML; then
    SITE=$ROOT/build/docs-site
    rm -rf "$SITE"
    mkdir -p "$(dirname "$SITE")"
    mkdir -m 0755 "$SITE"   # sphinx-init wants a folder only its owner may write to
    # sphinx-init writes a Sphinx project and its own requirements (the Ansible theme).
    antsibull-docs sphinx-init --use-current --dest-dir "$SITE" --lenient --fail-on-error m365.admin
    "$PY" -m pip install --quiet -r "$SITE/requirements.txt"
    (cd "$SITE" && ./build.sh)
    echo "HTML site: $SITE/build/html/index.html"
fi
