"""The ansible-core lines the collection supports, and the Pythons each of them runs on.

One table for the test command and the release checks. tests/requirements.txt allows exactly
these lines, meta/runtime.yml requires the oldest, galaxy.yml tags each one, and the README and
docs/getting-started.md show the same matrix; tests/release/test_ansible_lines.py checks that
they agree. The Pythons are ansible-test's controller Pythons of each line (its
CONTROLLER_PYTHON_VERSIONS), which the release check compares with the installed ansible-test.

Usage (from the test command; only the standard library, so any Python 3 can run it):
  ansible_lines.py newest | oldest            the newest or oldest supported line
  ansible_lines.py lines                      every supported line, oldest first
  ansible_lines.py pythons LINE [newest|oldest]
                                              the Pythons LINE runs on, in the order to look for
                                              them: PREFERRED_PYTHON first, then newest first
                                              (newest) or the oldest first (oldest)
  ansible_lines.py line-for PYTHON            the newest line that runs on PYTHON (X.Y)
"""

import sys

# Oldest first. Support ends (ansible-core's release and maintenance schedule): 2.19 takes
# security fixes only until May 2027; 2.20, 2.21 and 2.22 are maintained.
LINES = {
    "2.19": ("3.11", "3.12", "3.13"),
    "2.20": ("3.12", "3.13", "3.14"),
    "2.21": ("3.12", "3.13", "3.14"),
    "2.22": ("3.13", "3.14", "3.15"),
}

# The Python the default run uses when present: the newest that every test tool supports.
PREFERRED_PYTHON = "3.13"


def key(version):
    return tuple(int(part) for part in version.split("."))


def newest():
    return max(LINES, key=key)


def oldest():
    return min(LINES, key=key)


def pythons(line, order="newest"):
    """The Pythons LINE runs on, in the order the test command looks for them."""
    versions = sorted(LINES[line], key=key, reverse=order == "newest")
    if order == "newest" and PREFERRED_PYTHON in versions:
        versions.remove(PREFERRED_PYTHON)
        versions.insert(0, PREFERRED_PYTHON)
    return versions


def line_for(python):
    """The newest supported line that runs on PYTHON, or None."""
    candidates = [line for line, versions in LINES.items() if python in versions]
    return max(candidates, key=key) if candidates else None


def main(argv):
    command = argv[0] if argv else ""
    if command == "newest":
        print(newest())
    elif command == "oldest":
        print(oldest())
    elif command == "lines":
        print(" ".join(sorted(LINES, key=key)))
    elif command == "pythons" and len(argv) in (2, 3) and argv[1] in LINES:
        print(" ".join(pythons(argv[1], argv[2] if len(argv) == 3 else "newest")))
    elif command == "line-for" and len(argv) == 2:
        line = line_for(argv[1])
        if line is None:
            return 1
        print(line)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
