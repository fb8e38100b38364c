"""Write the record of one suite of a test command run: the Python and ansible-core it ran with.

Usage: run_record.py FILE SUITE OUTCOME [REQUESTED_LINE]   (FILE: .../run-SUITE.json)
Run with the Python of the suite's virtual environment. The release checks
(tests/release/test_ansible_lines.py) read these records to prove which ansible-core line and
Python each suite of the default run and of the compatibility run used.
"""

import json
import os
import platform
import sys

from ansible.release import __version__ as ansible_core_version

try:
    from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS
except ImportError:  # an ansible-core without ansible-test
    CONTROLLER_PYTHON_VERSIONS = ()


def main():
    path, suite, outcome = sys.argv[1:4]
    requested = sys.argv[4] if len(sys.argv) > 4 else ""
    record = {
        "suite": suite,
        "outcome": outcome,
        # compat: the compatibility run started by the default run; requested: M365_ANSIBLE_CORE.
        "run": "compat" if os.environ.get("M365_COMPAT_OF") else "requested" if requested else "default",
        "requested_line": requested or None,
        "python": platform.python_version(),
        "ansible_core": ansible_core_version,
        "ansible_core_line": ".".join(ansible_core_version.split(".")[:2]),
        "controller_pythons": list(CONTROLLER_PYTHON_VERSIONS),
    }
    with open(path, "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
