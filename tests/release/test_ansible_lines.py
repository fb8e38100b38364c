# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The supported ansible-core lines: every place that declares them says the same as
tests/utils/ansible_lines.py, and the test command ran its suites with the lines it should
(the newest line for the default run, the oldest for the compatibility run).

Run from the staged collection (scripts/test.sh release), which exports where the run records
of the suites that ran before this one are (M365_RUN_RECORDS) and which suites ran
(M365_RUN_SUITES); see tests/utils/run_record.py.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import re
import sys

import pytest
import yaml
from ansible.release import __version__ as ansible_core_version
from packaging.specifiers import SpecifierSet
from packaging.version import Version

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(COLLECTION, "tests", "utils"))

import ansible_lines  # noqa: E402  pylint: disable=wrong-import-position

LINES = ansible_lines.LINES
NEWEST = ansible_lines.newest()
OLDEST = ansible_lines.oldest()


def read(rel):
    with open(os.path.join(COLLECTION, rel)) as handle:
        return handle.read()


def line_of(version):
    return ".".join(str(version).split(".")[:2])


def previous_line(line):
    major, minor = line.split(".")
    return "%s.%d" % (major, int(minor) - 1)


def next_line(line):
    major, minor = line.split(".")
    return "%s.%d" % (major, int(minor) + 1)


def requirement_spec(text):
    """The version specifier of ansible-core in a requirements file."""
    found = [line.split("#")[0].strip()[len("ansible-core"):] for line in text.splitlines()
             if re.match(r"^ansible-core\s*[<>=~!]", line)]
    assert len(found) == 1, "expected one ansible-core requirement, found %r" % found
    return SpecifierSet(found[0])


def allows_exactly_the_lines(spec):
    for line in LINES:
        assert Version(line + ".0") in spec and Version(line + ".99") in spec, "%s is not allowed by %s" % (line, spec)
    assert Version(next_line(NEWEST) + ".0") not in spec, "%s allows %s, an untested line" % (spec, next_line(NEWEST))
    assert Version(previous_line(OLDEST) + ".99") not in spec, "%s allows %s, an unsupported line" % (spec, previous_line(OLDEST))


def test_the_table_is_contiguous():
    """2.19 to 2.22 with nothing missing; each line runs on three consecutive Pythons."""
    minors = sorted(int(line.split(".")[1]) for line in LINES)
    assert minors == list(range(minors[0], minors[-1] + 1))
    assert ansible_lines.PREFERRED_PYTHON in LINES[NEWEST]
    for pythons in LINES.values():
        assert [int(version.split(".")[1]) for version in pythons] == list(
            range(int(pythons[0].split(".")[1]), int(pythons[0].split(".")[1]) + len(pythons)))


def test_test_requirements_allow_exactly_the_supported_lines():
    allows_exactly_the_lines(requirement_spec(read("tests/requirements.txt")))


def test_runtime_metadata_requires_the_oldest_line():
    runtime = yaml.safe_load(read("meta/runtime.yml"))
    assert runtime["requires_ansible"] == ">=%s.0" % OLDEST


def test_roles_require_the_oldest_line():
    for path in sorted(glob.glob(os.path.join(COLLECTION, "roles", "*", "meta", "main.yml"))):
        with open(path) as handle:
            meta = yaml.safe_load(handle)
        assert str(meta["galaxy_info"]["min_ansible_version"]) == OLDEST, path


def test_galaxy_tags_name_the_supported_lines():
    tags = yaml.safe_load(read("galaxy.yml"))["tags"]
    assert sorted(tag for tag in tags if tag.startswith("ansible_core_")) == sorted(
        "ansible_core_" + line.replace(".", "_") for line in LINES)


def support_matrix(text):
    """{line: (pythons...)} from the rows '| 2.22 | 3.13, 3.14, 3.15 | ...' of a Markdown table."""
    rows = re.findall(r"(?m)^\|\s*(\d+\.\d+)\s*\|\s*((?:3\.\d+,\s*)*3\.\d+)\s*\|", text)
    return dict((line, tuple(version.strip() for version in pythons.split(","))) for line, pythons in rows)


@pytest.mark.parametrize("path", ["README.md", "docs/getting-started.md"])
def test_docs_show_the_support_matrix(path):
    assert support_matrix(read(path)) == LINES


def test_readme_names_the_lines_in_words():
    text = read("README.md")
    assert "ansible-core %s to %s" % (OLDEST, NEWEST) in text
    for line in ("2.17", "2.18"):
        assert "ansible-core %s" % line not in text, "the README still names ansible-core %s" % line


def test_execution_environment_installs_a_supported_line():
    definition = yaml.safe_load(read("execution-environment.yml"))
    allows_exactly_the_lines(SpecifierSet(definition["dependencies"]["ansible_core"]["package_pip"][len("ansible-core"):]))
    python = re.match(r"^python(3\.\d+)$", definition["dependencies"]["python_interpreter"]["package_system"]).group(1)
    assert any(python in pythons for pythons in LINES.values()), "no supported line runs on Python %s" % python
    assert definition["dependencies"]["python_interpreter"]["python_path"] == "/usr/bin/python%s" % python


def test_table_agrees_with_the_installed_ansible_test():
    """The Pythons of the installed line are the ones its ansible-test runs on as a controller."""
    from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS

    line = line_of(ansible_core_version)
    assert line in LINES, "ansible-core %s is not a supported line" % ansible_core_version
    assert tuple(CONTROLLER_PYTHON_VERSIONS) == LINES[line]


def records():
    """The run records by name: run-<suite> (a file named report.json would pass for the baseline's
    report in the integration targets that look for one), compat-run-<suite> from the compatibility run."""
    folder = os.environ.get("M365_RUN_RECORDS")
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))) if folder else []:
        with open(path) as handle:
            found[os.path.basename(path)[:-len(".json")]] = json.load(handle)
    return found


def expected_line():
    return os.environ.get("M365_ANSIBLE_CORE") or NEWEST


def test_this_suite_runs_with_the_expected_line():
    """Without M365_ANSIBLE_CORE the test command runs with the newest line, on a Python it supports."""
    python = "%d.%d" % sys.version_info[:2]
    assert line_of(ansible_core_version) == expected_line(), (
        "ran with ansible-core %s on Python %s; ansible-core %s needs Python %s"
        % (ansible_core_version, python, expected_line(), ", ".join(LINES[expected_line()])))
    assert python in LINES[expected_line()]


def test_the_suites_before_this_one_ran_with_the_expected_lines():
    """The run records of this test command run: each suite that ran before this one used the
    newest line (or the one asked for), and the compatibility run used the oldest line."""
    suites = os.environ.get("M365_RUN_SUITES", "").split()
    if "release" not in suites:
        pytest.skip("not run by scripts/test.sh: no run records to read")
    found = records()
    before = suites[:suites.index("release")]
    if not before:
        pytest.skip("no suite ran before the release checks in this run")
    for suite in before:
        if suite == "compat":
            for part in ("units", "integration"):
                record = found.get("compat-run-" + part)
                assert record, "the compatibility run left no record of its %s suite" % part
                assert record["run"] == "compat"
                assert record["ansible_core_line"] == OLDEST, record
                assert line_of(record["python"]) in LINES[OLDEST], record
                assert tuple(record["controller_pythons"]) == LINES[OLDEST], record
        else:
            record = found.get("run-" + suite)
            assert record, "the %s suite left no run record" % suite
            assert record["ansible_core_line"] == expected_line(), record
            assert line_of(record["python"]) in LINES[expected_line()], record
            assert record["python"] == platform.python_version(), "%s ran on another Python than this suite" % suite


def test_the_default_run_includes_the_compatibility_run():
    """./scripts/test.sh without arguments runs compat (the oldest line) before the release checks,
    and the newest line's suites run with the line that ansible_lines.py calls the newest."""
    text = read("scripts/test.sh")
    suites = re.search(r'(?m)^ALL_SUITES="([^"]+)"', text).group(1).split()
    assert "compat" in suites and suites.index("compat") < suites.index("release")
    assert 'M365_ANSIBLE_CORE="$(ansible_lines oldest)"' in text
    assert '"ansible-core~=$CORE_LINE.0"' in read("scripts/lib.sh")
