# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release plumbing: changelog fragments, the Galaxy tarball, the Galaxy importer, the module
reference pages and the execution environment's build context.

Run from the staged collection (scripts/test.sh release). Nothing here changes the collection:
the changelog release, the tarball and the build context are made in a temporary copy.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
IMPORTER_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "galaxy-importer.cfg")

# Files a tarball must never carry: local environments, test and report output, caches, builds,
# and the simulator's connection variables (they hold a client secret).
JUNK = {
    ".venv/bin/python": "",
    ".venv/lib/python3.11/site-packages/x.py": "",
    ".pytest_cache/README.md": "",
    "tests/output/junit/units.xml": "<testsuite/>",
    "tests/integration/integration_config.yml": "m365_client_secret: not-for-a-tarball\n",
    "reports/contoso/report.json": "{}",
    "build/docs/index.rst": "",
    "plugins/modules/__pycache__/user_mfa.cpython-311.pyc": "",
    "plugins/module_utils/_graph.pyc": "",
    "m365-admin-0.0.1.tar.gz": "",
    ".ci/run": "",
}
FORBIDDEN = re.compile(r"(^|/)(\.venv|\.pytest_cache|__pycache__|reports|build|\.ci|\.git)(/|$)"
                       r"|^tests/output(/|$)|\.pyc$|\.tar\.gz$|^tests/integration/integration_config\.yml$")


def tool(name):
    """A tool of the test environment: next to this Python, else on PATH."""
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name) or name


def run(args, cwd, env=None, check=True):
    result = subprocess.run(args, cwd=cwd, env=dict(os.environ, **(env or {})), capture_output=True, text=True,
                            check=False)
    if check and result.returncode != 0:
        pytest.fail("%s exited with %d:\n%s\n%s" % (" ".join(args), result.returncode, result.stdout, result.stderr))
    return result


def galaxy():
    with open(os.path.join(COLLECTION, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)


def modules():
    return sorted(name[:-3] for name in os.listdir(os.path.join(COLLECTION, "plugins", "modules"))
                  if name.endswith(".py") and not name.startswith("_"))


def fragments():
    folder = os.path.join(COLLECTION, "changelogs", "fragments")
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder) if name.endswith((".yml", ".yaml")))


def released_versions(root):
    path = os.path.join(str(root), "changelogs", "changelog.yaml")
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        return yaml.safe_load(handle).get("releases") or {}


def next_version(version):
    """The version a trial release is made for: galaxy.yml's, or the next patch when that one
    is already released (the fragments then belong to the next release)."""
    major, minor, patch = (int(part) for part in str(version).split("."))
    return "%d.%d.%d" % (major, minor, patch + 1)


def version_added(path):
    """version_added of a module, read from its DOCUMENTATION."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return str(yaml.safe_load(node.value.value).get("version_added"))
    return None


def release_version():
    version = str(galaxy()["version"])
    return next_version(version) if version in released_versions(COLLECTION) else version


@pytest.fixture(scope="session")
def released(tmp_path_factory):
    """A copy of the collection after `antsibull-changelog release` of the next release, as a
    release is cut (docs/releasing.md), with stray local files planted to test build_ignore."""
    root = tmp_path_factory.mktemp("release")
    copy = root / "ansible_collections" / "m365" / "admin"
    shutil.copytree(COLLECTION, str(copy), ignore=shutil.ignore_patterns("output", "__pycache__"))
    version = release_version()
    if version != str(galaxy()["version"]):
        text = (copy / "galaxy.yml").read_text()
        (copy / "galaxy.yml").write_text(re.sub(r"(?m)^version: .*$", "version: %s" % version, text))
    (copy / "changelogs" / "fragments").mkdir(exist_ok=True)
    (copy / "changelogs" / "fragments" / "0-release-summary.yml").write_text(
        "---\nrelease_summary: Release prepared by the release test.\n")
    run([tool("antsibull-changelog"), "release", "--version", version], cwd=str(copy),
        env={"ANSIBLE_COLLECTIONS_PATH": str(root)})
    for rel, content in JUNK.items():
        path = copy / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return copy


@pytest.fixture(scope="session")
def tarball(released, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(released)], cwd=str(released))
    path = out / ("m365-admin-%s.tar.gz" % release_version())
    assert path.is_file()
    return path


def test_changelog_fragments_lint():
    result = run([tool("antsibull-changelog"), "lint"], cwd=COLLECTION)
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


def test_changelog_of_the_released_versions_is_current(tmp_path):
    """CHANGELOG.rst is what antsibull-changelog generates from changelogs/changelog.yaml."""
    releases = released_versions(COLLECTION)
    assert releases, "no release recorded in changelogs/changelog.yaml"
    run([tool("antsibull-changelog"), "lint-changelog-yaml", "changelogs/changelog.yaml"], cwd=COLLECTION)
    copy = tmp_path / "ansible_collections" / "m365" / "admin"
    shutil.copytree(COLLECTION, str(copy), ignore=shutil.ignore_patterns("output", "__pycache__"))
    run([tool("antsibull-changelog"), "generate"], cwd=str(copy), env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path)})
    with open(os.path.join(COLLECTION, "CHANGELOG.rst")) as handle:
        assert (copy / "CHANGELOG.rst").read_text() == handle.read(), "CHANGELOG.rst is stale: run antsibull-changelog generate"
    # Every module is announced in the release that added it.
    announced = dict((plugin["name"], version) for version, release in releases.items()
                     for plugin in release.get("modules", []))
    for name in modules():
        added = version_added(os.path.join(COLLECTION, "plugins", "modules", name + ".py"))
        if added in releases:
            assert announced.get(name) == added, name


def test_changelog_release_generates_changelog(released):
    version = release_version()
    changelog = (released / "CHANGELOG.rst").read_text()
    assert changelog.startswith("=") and "M365.Admin Release Notes" in changelog
    assert "\nv%s\n" % version in changelog
    with open(str(released / "changelogs" / "changelog.yaml")) as handle:
        release = yaml.safe_load(handle)["releases"][version]
    # Every fragment went into the release, and every module added in it is listed as new.
    assert sorted(release["fragments"]) == sorted(fragments() + ["0-release-summary.yml"])
    added = sorted(name for name in modules()
                   if version_added(os.path.join(COLLECTION, "plugins", "modules", name + ".py")) == version)
    assert sorted(m["name"] for m in release.get("modules", [])) == added
    for name in fragments():
        with open(os.path.join(COLLECTION, "changelogs", "fragments", name)) as handle:
            for section, entries in yaml.safe_load(handle).items():
                if section == "trivial":  # recorded nowhere, by design
                    continue
                for entry in entries if isinstance(entries, list) else [entries]:
                    assert entry in release["changes"][section], (name, entry)
    run([tool("antsibull-changelog"), "lint-changelog-yaml", "changelogs/changelog.yaml"], cwd=str(released))
    # The release consumed the copy's fragments, never the collection's own.
    assert [name for name in os.listdir(str(released / "changelogs" / "fragments")) if name.endswith(".yml")] == []


def test_the_user_agent_carries_the_version_of_galaxy_yml():
    path = os.path.join(COLLECTION, "plugins", "module_utils", "_version.py")
    with open(path) as handle:
        tree = ast.parse(handle.read())
    constants = dict((node.targets[0].id, node.value) for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name))
    assert ast.literal_eval(constants["COLLECTION_VERSION"]) == str(galaxy()["version"])
    # Every request's User-Agent is built from it (the HTTP client imports it, it holds no copy).
    with open(os.path.join(COLLECTION, "plugins", "module_utils", "_http.py")) as handle:
        http = handle.read()
    assert "import USER_AGENT" in http and "m365.admin-ansible-collection/" not in http


def test_tarball_contents(released, tarball):
    with tarfile.open(str(tarball)) as archive:
        names = [name.rstrip("/") for name in archive.getnames()]
    bad = [name for name in names if FORBIDDEN.search(name)]
    assert not bad, "the tarball carries local files: %s" % bad
    required = ["MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.rst", "changelogs/changelog.yaml",
                "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
                "docs/README.md", "docs/getting-started.md", "playbooks/tenant_baseline.yml"]
    required += ["plugins/modules/%s.py" % name for name in modules()]
    required += ["roles/%s/README.md" % name for name in os.listdir(os.path.join(COLLECTION, "roles"))]
    missing = [name for name in required if name not in names]
    assert not missing, "the tarball lacks %s" % missing
    assert os.path.getsize(str(tarball)) < 2 * 1024 * 1024


def test_galaxy_importer(tarball, tmp_path):
    env = {"GALAXY_IMPORTER_CONFIG": IMPORTER_CONFIG, "ANSIBLE_LOCAL_TEMP": str(tmp_path),
           "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    result = run([sys.executable, "-m", "galaxy_importer.main", str(tarball)], cwd=str(tmp_path), env=env,
                 check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Importer processing completed successfully" in log, log
    problems = [line for line in log.splitlines() if line.startswith(("ERROR", "WARNING"))]
    assert not problems, "\n".join(problems)
    # ansible-doc ran on every module.
    for name in modules():
        assert "Loading module %s" % name in log


def test_collection_docs_lint():
    result = run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--validate-collection-refs", "all",
                  "."], cwd=COLLECTION)
    assert result.stdout.strip() == "", result.stdout


def module_notes(name):
    """The notes of a module's DOCUMENTATION, read without importing the module."""
    with open(os.path.join(COLLECTION, "plugins", "modules", name + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return " ".join(yaml.safe_load(node.value.value).get("notes") or [])
    return ""


def test_permissions_table_matches_module_docs():
    """The permission table of docs/getting-started.md has a row per module, naming every
    permission and Exchange role that the module's own documentation asks for."""
    rows = {}
    with open(os.path.join(COLLECTION, "docs", "getting-started.md")) as handle:
        for line in handle:
            match = re.match(r"^\| `([a-z_]+)` \|(.*)\|$", line.strip())
            if match:
                rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    for name in modules():
        assert name in rows, "docs/getting-started.md has no permission row for %s" % name
        cells = list(rows[name])
        for other in re.findall(r"as `([a-z_]+)`", " ".join(cells)):
            cells += rows[other]
        text = " ".join(cells)
        notes = module_notes(name)
        for permission in set(re.findall(r"C\(([A-Z][A-Za-z]*(?:\.[A-Za-z]+)+)\)", notes)):
            if permission == "Exchange.ManageAsApp":
                assert rows[name][-1] != "-", "%s: no Exchange role in its row" % name
            else:
                assert "`%s`" % permission in text, "%s: %s is not in its row" % (name, permission)
        for role in re.findall(r"(Global Reader|Exchange Recipient Administrator|Exchange Administrator|"
                               r"Security Reader)", notes):
            assert role in text, "%s: the role %s is not in its row" % (name, role)


def test_module_reference_pages(tmp_path):
    """scripts/docs.sh writes one page per module and role, and an index linking them all."""
    dest = tmp_path / "docs"
    env = {"M365_VENV": os.path.dirname(BIN), "M365_STAGE": str(tmp_path / "stage")}
    run(["bash", os.path.join(COLLECTION, "scripts", "docs.sh"), str(dest)], cwd=COLLECTION, env=env)
    index = (dest / "index.rst").read_text()
    roles = sorted(os.listdir(os.path.join(COLLECTION, "roles")))
    for name in modules():
        page = (dest / ("%s_module.rst" % name)).read_text()
        assert "m365.admin.%s module" % name in page
        assert "%s_module.rst" % name in index
    for name in roles:
        assert (dest / ("%s_role.rst" % name)).is_file()
        assert "%s_role.rst" % name in index


def test_execution_environment_context(released, tarball, tmp_path):
    """ansible-builder makes a build context holding the collection and its requirements."""
    collection_dir = released / "build" / "collection"
    collection_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(str(tarball), str(collection_dir / "m365-admin.tar.gz"))
    context = tmp_path / "ee"
    run([tool("ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context),
         "--output-filename", "Containerfile"], cwd=str(released))
    containerfile = (context / "Containerfile").read_text()
    with open(str(released / "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    assert definition["version"] == 3
    assert 'EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"] in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile
    build = context / "_build"
    assert (build / "requirements.txt").read_text() == (released / "requirements.txt").read_text()
    assert (build / "bindep.txt").read_text() == (released / "bindep.txt").read_text()
    galaxy_requirements = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy_requirements["collections"][0]["type"] == "file"
    with tarfile.open(str(build / "collection" / "m365-admin.tar.gz")) as archive:
        assert "meta/execution-environment.yml" in archive.getnames()

    # What the image's builder stage reads from the installed collection (meta/execution-environment.yml).
    result = run([tool("ansible-builder"), "introspect", "--sanitize", str(released.parent.parent.parent)],
                 cwd=str(tmp_path))
    found = yaml.safe_load(result.stdout.split("\n", 1)[1])
    wanted = [line.split("#")[0].strip() for line in (released / "requirements.txt").read_text().splitlines()]
    wanted = [line for line in wanted if line]
    assert [line.split("#")[0].strip() for line in found["python"]] == wanted
    assert any(line.startswith("gcc [compile platform:rpm]") for line in found["system"])
