"""A stand-in for pip's get-pip.py bootstrap script, for machines that cannot download it.

ansible-test creates its sanity virtual environments without pip, then runs a cached copy of
get-pip.py (downloaded from a host that some networks cannot reach) with pip-install
arguments, such as ``pip==24.2 --no-setuptools --no-wheel``. This stand-in does the same
with what every CPython ships: ``ensurepip`` installs the bundled pip into the running
interpreter, and that pip then installs the requested packages from the configured index.

The test command copies it into ansible-test's cache only when no real script is there.
"""

import ensurepip
import os
import subprocess
import sys


def main():
    # ensurepip sets PIP_CONFIG_FILE=/dev/null in os.environ while it runs; the pip that
    # installs the requested packages must see the machine's pip configuration (index, CA).
    environment = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    if any(not arg.startswith("-") for arg in args):
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args, env=environment)


if __name__ == "__main__":
    main()
