"""Prepare the sanity virtual environments whose requirements reach outside the package index.

ansible-test installs each sanity test's pinned requirements into a cached virtual environment
(~/.ansible/test/venv/sanity.<test>/<python>/<hash>, reused once its marker.txt exists). Some
ansible-core releases pin a package to a source archive on GitHub instead of a release on the
index (ansible-core 2.22's pylint test: ``dill @ https://github.com/...zip``, until dill publishes
a release with Python 3.15 support), which a network that reaches the index only cannot fetch.
For such a test this script creates the environment where ansible-test looks for it, the way
ansible-test does, with the same pins and the package's newest release from the index in place
of the archive. Environments that exist already are left alone, and nothing is done for tests
whose requirements are all on the index.

Usage: sanity_venvs.py PYTHON_VERSION BASE_PYTHON
Run with the Python of the test command's venv (the one that holds ansible-test).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DIRECT_REFERENCE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*\S+")


def direct_references(text):
    return [match.group(1) for match in map(DIRECT_REFERENCE.match, text.splitlines()) if match]


def substitute(text):
    """The requirements with each direct reference replaced by the package's name."""
    return "\n".join(DIRECT_REFERENCE.sub(r"\1", line) for line in text.splitlines()) + "\n"


def main():
    version, base_python = sys.argv[1:3]
    try:
        from ansible_test._internal.commands.sanity import hash_pip_commands
        from ansible_test._internal.host_configs import NativePythonConfig
        from ansible_test._internal.python_requirements import PipInstall, collect_requirements
    except ImportError as exc:
        print("sanity_venvs: this ansible-test's layout is not known (%s); nothing prepared" % exc)
        return 0
    import ansible_test

    folder = os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements")
    names = sorted(name[len("sanity."):-len(".txt")] for name in os.listdir(folder)
                   if name.startswith("sanity.") and name.endswith(".txt"))
    for name in names:
        with open(os.path.join(folder, "sanity.%s.txt" % name)) as handle:
            references = direct_references(handle.read())
        if not references:
            continue
        python = NativePythonConfig(version=version, path=base_python)
        commands = collect_requirements(python=python, controller=True, command=None, ansible=False,
                                        coverage=False, minimize=False, sanity=name)
        path = os.path.join(os.path.expanduser("~/.ansible/test/venv"), "sanity.%s" % name, version,
                            hash_pip_commands(commands))
        if os.path.exists(os.path.join(path, "marker.txt")):
            continue
        print("Preparing the sanity.%s environment with %s from the package index: %s"
              % (name, ", ".join(references), path))
        shutil.rmtree(path, ignore_errors=True)
        subprocess.check_call([base_python, "-m", "venv", path])
        venv_python = os.path.join(path, "bin", "python")
        with tempfile.TemporaryDirectory() as scratch:
            args = []
            for command in commands:
                if not isinstance(command, PipInstall):
                    continue
                files = ([("-r", pair[1]) for pair in command.requirements]
                         + [("-c", pair[1]) for pair in command.constraints])
                for option, text in files:
                    requirements = os.path.join(scratch, "requirements-%d.txt" % len(args))
                    with open(requirements, "w") as handle:
                        handle.write(substitute(text))
                    args += [option, requirements]
                args += list(command.packages)
            subprocess.check_call([venv_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + args)
        # As ansible-test leaves its sanity environments: without pip, with its metadata and marker.
        subprocess.check_call([venv_python, "-m", "pip", "uninstall", "--quiet", "--yes", "pip"])
        yaml_check = json.loads(subprocess.check_output([venv_python, "-c", (
            "import json\ntry:\n import yaml\nexcept ImportError:\n yaml = None\n"
            "print(json.dumps(dict(yaml=bool(yaml), cloader=bool(getattr(yaml, 'CLoader', None)))))")]))
        with open(os.path.join(path, "meta.install.json"), "w") as handle:
            handle.write(json.dumps([command.serialize() for command in commands], indent=4))
        with open(os.path.join(path, "meta.yaml.json"), "w") as handle:
            handle.write(json.dumps(yaml_check["cloader"] if yaml_check["yaml"] else None))
        open(os.path.join(path, "marker.txt"), "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
