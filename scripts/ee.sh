#!/usr/bin/env bash
# The execution environment for AWX / Ansible Automation Platform (docs/awx.md):
# builds the collection tarball into build/collection and writes ansible-builder's build
# context to build/ee. With --build, also builds the image (needs Podman or Docker).
#   ./scripts/ee.sh [--build] [--tag NAME:TAG]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD=false
TAG=m365-admin-ee:latest
while [ $# -gt 0 ]; do
    case $1 in
    --build) BUILD=true ;;
    --tag) TAG=$2; shift ;;
    *) echo "Unknown option $1 (use: [--build] [--tag NAME:TAG])" >&2; exit 2 ;;
    esac
    shift
done

ensure_venv
rm -rf "$ROOT/build/collection" "$ROOT/build/ee"
mkdir -p "$ROOT/build/collection"
ansible-galaxy collection build --output-path "$ROOT/build/collection" "$ROOT"
# The definition names the tarball without its version.
mv "$ROOT"/build/collection/m365-admin-*.tar.gz "$ROOT/build/collection/m365-admin.tar.gz"
cd "$ROOT"
ansible-builder create --file execution-environment.yml --context build/ee --output-filename Containerfile
if $BUILD; then
    runtime=$(command -v podman || command -v docker || true)
    if [ -z "$runtime" ]; then
        echo "Neither podman nor docker is installed: the build context is in build/ee" >&2
        exit 1
    fi
    ansible-builder build --file execution-environment.yml --context build/ee --tag "$TAG" \
        --container-runtime "$(basename "$runtime")"
fi
