"""Copy the collection into DEST/ansible_collections/m365/admin, as ansible-test requires.

ansible-test only runs inside a directory named ansible_collections/<namespace>/<name>, and
follows no symbolic link to get there. The copy holds the files git tracks plus the new ones
it does not ignore (so a test run sees uncommitted work, but never .venv or build output).
Outside a git checkout, every file except the ignored directories is copied.
"""

import os
import shutil
import subprocess
import sys

SKIP_DIRS = {".git", ".venv", "build", "tests/output", "__pycache__", ".pytest_cache", "reports"}


def list_files(root):
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, check=True,
                             capture_output=True).stdout.decode("utf-8")
        return [path for path in out.split("\0") if path and os.path.isfile(os.path.join(root, path))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for directory, dirs, names in os.walk(root):
            rel = os.path.relpath(directory, root)
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and os.path.normpath(os.path.join(rel, d)) not in SKIP_DIRS]
            files.extend(os.path.normpath(os.path.join(rel, name)) for name in names)
        return files


def main():
    root = os.path.abspath(sys.argv[1])
    dest = os.path.join(os.path.abspath(sys.argv[2]), "ansible_collections", "m365", "admin")
    # Start from an empty copy (files deleted in the tree must not linger), but keep
    # tests/output, where ansible-test keeps its results.
    if os.path.isdir(dest):
        for directory, dirs, names in os.walk(dest, topdown=True):
            rel = os.path.relpath(directory, dest)
            dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel, d)) != os.path.join("tests", "output")]
            for name in names:
                os.unlink(os.path.join(directory, name))
    for rel in list_files(root):
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(root, rel), target)
    print(dest)


if __name__ == "__main__":
    main()
