#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the CI examples of docs/ci.md here, as their CI system would, and say what it would pick up.

GitHub Actions, GitLab CI and Azure Pipelines cannot run on a test machine, but their jobs are
shell steps in an environment the CI system provides. This runs those steps in order, in the
given working directory (the "checkout"), with that environment:

- github: the workflow's single job; the collection's composite action
  (.github/actions/m365-baseline) runs step by step with its inputs, and its outputs are set;
  ``${{ }}`` expressions of the contexts used (inputs, runner, github, steps, vars) are
  evaluated, and any other expression is an error. RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_ENV and
  GITHUB_STEP_SUMMARY are files, and when the workflow grants ``id-token: write`` a local HTTP
  stub plays the OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN): it answers the
  given federated token as ``{"value": ...}`` for the request token and audience
  api://AzureADTokenExchange only.
- gitlab: one job; its ``id_tokens`` variables hold the federated token (for the audience
  api://AzureADTokenExchange only), with CI_PROJECT_DIR, CI_BUILDS_DIR and the job's variables;
  before_script and script run in one shell that stops at the first failure, after_script always.
- azure: the steps of azure-pipelines.yml; AzureCLI@2 with ``addSpnToEnvironment`` gives its
  inline script $idToken, $servicePrincipalId and $tenantId; ``$(Agent.TempDirectory)`` and the
  other predefined variables used are expanded, ``##vso[task.uploadsummary]`` commands are read.

Steps that use other actions or tasks (checkout, setup-python, UsePythonVersion, the JUnit
publishers, the artifact uploads) are not run: they are recorded with their evaluated inputs
and whether their condition would run them, and the files they would publish are listed.

The one substitution, since tests must not reach the internet: in every script,
``python -m pip install`` gets ``--dry-run --no-index`` (it checks that the packages and the
requirements file are there and installs nothing), and ``ansible-galaxy collection install
m365.admin[...]`` installs a tarball built from the collection under test instead of Galaxy's.
The composite action builds the collection from its own checkout, which here is the collection
under test, so that step runs as written. Every script runs with a clean environment: PATH (this
Python's bin folder first), an empty HOME, and the CI system's variables, nothing else.

Prints a JSON document: each step (ran, exit code, rewrites, the end of its log), the job's
status, the outputs, the summary, the OIDC requests, and the JUnit files and artifact files the
CI system would take. ``docs`` compares the example files with the blocks of docs/ci.md.
"""

from __future__ import annotations

import argparse
import glob
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import xml.etree.ElementTree as ET

import yaml

AUDIENCE = "api://AzureADTokenExchange"
ACTION = "m365-admin/m365.admin/.github/actions/m365-baseline@"
LOG_TAIL = 4000


class Unsupported(Exception):
    """Something in a CI file that this runner does not model: a failure, never ignored."""


# --- The one substitution ----------------------------------------------------------------------

PIP = re.compile(r"\bpython -m pip install\b")
GALAXY = re.compile(r"\bansible-galaxy collection install m365\.admin\S*")


def rewrite(script, tarball):
    """The script with its installs made local; returns (script, number of rewrites)."""
    script, pips = PIP.subn("python -m pip install --dry-run --no-index", script)
    count = pips
    if tarball:
        script, galaxies = GALAXY.subn("ansible-galaxy collection install " + tarball, script)
        count += galaxies
    return script, count


def clean_env(home, extra):
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "CI": "true",
    }
    env.update(extra)
    return env


def run_script(argv_prefix, script, cwd, env, log):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False, dir=env["TMPDIR"]) as handle:
        handle.write(script)
    try:
        proc = subprocess.run(argv_prefix + [handle.name], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False)
    finally:
        os.unlink(handle.name)
    text = proc.stdout.decode("utf-8", "replace")
    log.write(text)
    return proc.returncode, text


def junit_files(pattern, base):
    found = []
    for path in sorted(glob.glob(os.path.join(base, pattern))):
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        found.append({
            "path": os.path.relpath(path, base),
            "tests": sum(int(s.get("tests", 0)) for s in suites),
            "failures": sum(int(s.get("failures", 0)) for s in suites),
            "errors": sum(int(s.get("errors", 0)) for s in suites),
        })
    return found


def files_under(path, base):
    path = os.path.join(base, path)
    if os.path.isfile(path):
        return [os.path.relpath(path, base)]
    listed = []
    for directory, _dirs, names in os.walk(path):
        listed.extend(os.path.relpath(os.path.join(directory, name), base) for name in names)
    return sorted(listed)


def build_collection(root, into, env):
    proc = subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", into, root],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode:
        raise SystemExit("could not build the collection: " + proc.stdout.decode())
    return glob.glob(os.path.join(into, "m365-admin-*.tar.gz"))[0]


# --- GitHub Actions ----------------------------------------------------------------------------

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
PATH_EXPR = re.compile(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+")


def gh_value(expr, ctx):
    expr = expr.strip()
    literal = re.fullmatch(r"'([^']*)'", expr)
    if literal:
        return literal.group(1)
    for operator in ("==", "!="):
        if operator in expr:
            left, right = (gh_value(part, ctx) for part in expr.split(operator, 1))
            return (left == right) == (operator == "==")
    if PATH_EXPR.fullmatch(expr):
        node = ctx
        for part in expr.split("."):
            if not isinstance(node, dict) or part not in node:
                # A step that did not run has no outputs: GitHub gives an empty string. Any other
                # name that is not set is a mistake in the file (or a context not modelled here).
                if expr.startswith("steps."):
                    return ""
                raise Unsupported("%s is not set here (no %r)" % (expr, part))
            node = node[part]
        return node
    raise Unsupported("expression not modelled: %s" % expr)


def gh_text(text, ctx):
    return EXPR.sub(lambda match: str(gh_value(match.group(1), ctx)), str(text))


def gh_condition(condition, status, ctx):
    condition = str(condition if condition is not None else "success()").strip()
    wrapped = re.fullmatch(r"\$\{\{\s*(.*?)\s*\}\}", condition)
    if wrapped:
        condition = wrapped.group(1)
    functions = {"always()": True, "success()": status == "success", "failure()": status == "failure",
                 "cancelled()": False, "!cancelled()": True}
    if condition in functions:
        return functions[condition]
    # A condition without a status function holds only while the job succeeds.
    return status == "success" and bool(gh_value(condition, ctx))


def gh_file_values(path):
    """The name=value and name<<DELIMITER lines of a GITHUB_OUTPUT or GITHUB_ENV file."""
    values = {}
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            collected = []
            while lines[index] != delimiter:
                collected.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(collected)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


class OidcStub:
    """The job's OIDC token endpoint, on 127.0.0.1."""

    def __init__(self, token):
        self.request_token = secrets.token_hex(16)
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the handler's API)
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                authorized = self.headers.get("Authorization", "").lower() == "bearer " + stub.request_token
                audience = query.get("audience", [""])[0]
                stub.requests.append({"audience": audience, "authorized": authorized,
                                      "api_version": query.get("api-version", [""])[0]})
                ok = authorized and audience == AUDIENCE
                body = json.dumps({"value": token} if ok else {"message": "refused"}).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/_apis/oidctoken?api-version=2.0" % self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class GitHubJob:
    def __init__(self, args, log):
        self.args = args
        self.log = log
        self.workdir = os.path.abspath(args.workdir)
        self.temp = tempfile.mkdtemp(prefix="runner-temp.")
        self.home = tempfile.mkdtemp(prefix="runner-home.")
        self.env_file = os.path.join(self.temp, "_github_env")
        open(self.env_file, "w").close()
        self.summaries = []
        self.records = []
        self.counter = 0
        self.stub = None

    def base_env(self):
        extra = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": self.workdir, "RUNNER_TEMP": self.temp,
                 "RUNNER_OS": "Linux", "GITHUB_ENV": self.env_file}
        if self.stub:
            extra["ACTIONS_ID_TOKEN_REQUEST_URL"] = self.stub.url
            extra["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = self.stub.request_token
        extra.update(gh_file_values(self.env_file))
        return clean_env(self.home, extra)

    def run_step(self, step, ctx, shell, cwd, step_env, extra_env=None):
        self.counter += 1
        output = os.path.join(self.temp, "_output_%d" % self.counter)
        summary = os.path.join(self.temp, "_summary_%d" % self.counter)
        open(output, "w").close()
        open(summary, "w").close()
        env = self.base_env()
        env.update(extra_env or {})
        env.update({name: gh_text(value, ctx) for name, value in (step_env or {}).items()})
        env.update({"GITHUB_OUTPUT": output, "GITHUB_STEP_SUMMARY": summary})
        script, rewrites = rewrite(gh_text(step["run"], ctx), None)
        argv = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], None: ["bash", "-e"]}.get(shell)
        if argv is None:
            raise Unsupported("shell %r" % shell)
        self.log.write("\n### %s\n" % step.get("name", step["run"][:60]))
        rc, text = run_script(argv, script, cwd, env, self.log)
        with open(summary) as handle:
            self.summaries.append(handle.read())
        return rc, gh_file_values(output), rewrites, text[-LOG_TAIL:]

    def composite(self, step, ctx, status):
        action_dir = os.path.join(self.args.collection, ".github", "actions", "m365-baseline")
        with open(os.path.join(action_dir, "action.yml")) as handle:
            meta = yaml.safe_load(handle)
        if meta["runs"]["using"] != "composite":
            raise Unsupported("not a composite action")
        given = {name: gh_text(value, ctx) for name, value in (step.get("with") or {}).items()}
        unknown = set(given) - set(meta.get("inputs", {}))
        if unknown:
            raise Unsupported("inputs the action does not declare: %s" % sorted(unknown))
        inputs = {}
        for name, spec in meta.get("inputs", {}).items():
            if name not in given and spec.get("required") and "default" not in spec:
                raise Unsupported("required input %s not given" % name)
            inputs[name] = given.get(name, str(spec.get("default", "")))
        actx = {"inputs": inputs, "runner": ctx["runner"], "steps": {},
                "github": dict(ctx["github"], action_path=action_dir)}
        inner = "success"
        for inner_step in meta["runs"]["steps"]:
            record = {"name": inner_step.get("name"), "in_action": True,
                      "ran": gh_condition(inner_step.get("if"), inner, actx)}
            self.records.append(record)
            if not record["ran"]:
                continue
            if "uses" in inner_step:
                record.update(uses=inner_step["uses"],
                              **{"with": {k: gh_text(v, actx) for k, v in (inner_step.get("with") or {}).items()}})
                continue
            cwd = os.path.join(self.workdir, gh_text(inner_step.get("working-directory", "."), actx))
            rc, outputs, rewrites, tail = self.run_step(inner_step, actx, inner_step.get("shell"), cwd,
                                                        inner_step.get("env"),
                                                        {"GITHUB_ACTION_PATH": action_dir})
            record.update(rc=rc, rewrites=rewrites, log=tail)
            if "id" in inner_step:
                actx["steps"][inner_step["id"]] = {"outputs": outputs}
            if rc:
                inner = "failure"
        outputs = {name: gh_text(spec["value"], actx) for name, spec in meta.get("outputs", {}).items()}
        return ("failure" if inner == "failure" or status == "failure" else status), outputs

    def run(self):
        with open(self.args.file) as handle:
            workflow = yaml.safe_load(handle)
        jobs = workflow["jobs"]
        if len(jobs) != 1:
            raise Unsupported("one job expected")
        job_name, job = next(iter(jobs.items()))
        permissions = dict(workflow.get("permissions") or {}, **(job.get("permissions") or {}))
        if permissions.get("id-token") == "write":
            self.stub = OidcStub(open(self.args.token_file).read().strip())
        ctx = {"runner": {"temp": self.temp, "os": "Linux"}, "github": {"workspace": self.workdir},
               "vars": json.loads(self.args.vars or "{}"), "steps": {}}
        status = "success"
        published = {"junit": [], "artifact": []}
        outputs = {}
        try:
            for step in job["steps"]:
                ran = gh_condition(step.get("if"), status, ctx)
                record = {"name": step.get("name", step.get("uses")), "uses": step.get("uses"), "ran": ran}
                self.records.append(record)
                if not ran:
                    continue
                uses = step.get("uses", "")
                if uses.startswith(ACTION):
                    status, outputs = self.composite(step, ctx, status)
                    record["outcome"] = status
                    if "id" in step:
                        ctx["steps"][step["id"]] = {"outputs": outputs}
                    continue
                if uses:
                    given = {k: gh_text(v, ctx) for k, v in (step.get("with") or {}).items()}
                    record["with"] = given
                    if uses.startswith("EnricoMi/publish-unit-test-result-action@"):
                        published["junit"] += junit_files(given["files"], self.workdir)
                    if uses.startswith("actions/upload-artifact@"):
                        published["artifact"] += files_under(given["path"], self.workdir)
                    continue
                rc, step_outputs, rewrites, tail = self.run_step(step, ctx, step.get("shell"), self.workdir,
                                                                 step.get("env"))
                record.update(rc=rc, rewrites=rewrites, log=tail)
                if "id" in step:
                    ctx["steps"][step["id"]] = {"outputs": step_outputs}
                if rc:
                    status = "failure"
        finally:
            if self.stub:
                self.stub.close()
        return {"ci": "github", "job": job_name, "status": status, "steps": self.records, "outputs": outputs,
                "permissions": permissions, "summary": "".join(self.summaries),
                "oidc_requests": self.stub.requests if self.stub else [], "published": published,
                "runner_temp_left": sorted(os.listdir(self.temp))}


# --- GitLab CI ---------------------------------------------------------------------------------

def gitlab_rule(rule, variables):
    match = re.fullmatch(r'\$(\w+) == "([^"]*)"', rule["if"].strip())
    if not match:
        raise Unsupported("rule not modelled: %s" % rule["if"])
    return variables.get(match.group(1)) == match.group(2)


def run_gitlab(args, log):
    with open(args.file) as handle:
        pipeline = yaml.safe_load(handle)
    job = pipeline[args.job]
    workdir = os.path.abspath(args.workdir)
    home = tempfile.mkdtemp(prefix="gitlab-home.")
    token = open(args.token_file).read().strip()
    tarball = build_collection(args.collection, tempfile.mkdtemp(prefix="gitlab-build."), clean_env(home, {}))
    variables = {"GITLAB_CI": "true", "CI_PROJECT_DIR": workdir, "CI_BUILDS_DIR": os.path.dirname(workdir),
                 "CI_JOB_ID": "1", "CI_JOB_NAME": args.job, "CI_PIPELINE_SOURCE": args.pipeline_source}
    variables.update({name: str(value) for name, value in (pipeline.get("variables") or {}).items()})
    variables.update({name: str(value) for name, value in (job.get("variables") or {}).items()})
    id_tokens = {}
    for name, spec in (job.get("id_tokens") or {}).items():
        id_tokens[name] = spec.get("aud")
        variables[name] = token if spec.get("aud") == AUDIENCE else "a-token-for-another-audience"
    rules = job.get("rules")
    would_run = any(gitlab_rule(rule, variables) for rule in rules) if rules else True
    env = clean_env(home, variables)
    steps = []
    status = "success"
    if would_run:
        main = "\n".join(["set -eo pipefail"] + [str(line) for line in job.get("before_script", []) + job["script"]])
        script, rewrites = rewrite(main, tarball)
        log.write("\n### before_script and script\n")
        rc, text = run_script(["bash", "--noprofile", "--norc"], script, workdir, env, log)
        steps.append({"name": "before_script and script", "ran": True, "rc": rc, "rewrites": rewrites,
                      "log": text[-LOG_TAIL:]})
        status = "failure" if rc else "success"
        if job.get("after_script"):
            rc, text = run_script(["bash", "--noprofile", "--norc"], "\n".join(job["after_script"]), workdir, env, log)
            steps.append({"name": "after_script", "ran": True, "rc": rc, "log": text[-LOG_TAIL:]})
    artifacts = job.get("artifacts") or {}
    when = artifacts.get("when", "on_success")
    uploads = would_run and (when == "always" or when == "on_" + status)
    published = {"junit": [], "artifact": []}
    if uploads:
        junit = (artifacts.get("reports") or {}).get("junit") or []
        for pattern in junit if isinstance(junit, list) else [junit]:
            published["junit"] += junit_files(pattern, workdir)
        for path in artifacts.get("paths", []):
            published["artifact"] += files_under(path.rstrip("/"), workdir)
    return {"ci": "gitlab", "job": args.job, "would_run": would_run, "status": status, "steps": steps,
            "id_tokens": id_tokens, "image": job.get("image"), "artifacts_when": when, "published": published}


# --- Azure Pipelines ---------------------------------------------------------------------------

def azure_condition(condition, status):
    condition = (condition or "succeeded()").strip()
    table = {"succeeded()": status == "success", "succeededOrFailed()": True, "always()": True,
             "failed()": status == "failure"}
    if condition not in table:
        raise Unsupported("condition not modelled: %s" % condition)
    return table[condition]


def run_azure(args, log):
    with open(args.file) as handle:
        pipeline = yaml.safe_load(handle)
    workdir = os.path.abspath(args.workdir)
    home = tempfile.mkdtemp(prefix="azp-home.")
    temp = tempfile.mkdtemp(prefix="azp-temp.")
    staging = tempfile.mkdtemp(prefix="azp-staging.")
    tarball = build_collection(args.collection, tempfile.mkdtemp(prefix="azp-build."), clean_env(home, {}))
    predefined = {"Agent.TempDirectory": temp, "System.DefaultWorkingDirectory": workdir,
                  "Build.SourcesDirectory": workdir, "Build.ArtifactStagingDirectory": staging,
                  "Agent.OS": "Linux"}
    predefined.update({name: str(value) for name, value in (pipeline.get("variables") or {}).items()})

    def macros(text):
        return re.sub(r"\$\(([\w.]+)\)", lambda m: predefined.get(m.group(1), m.group(0)), str(text))

    variables_env = {name.upper().replace(".", "_"): value for name, value in predefined.items()}
    variables_env["TF_BUILD"] = "True"
    status = "success"
    steps = []
    summaries = []
    published = {"junit": [], "artifact": []}
    for step in pipeline["steps"]:
        name = step.get("displayName") or step.get("task") or "script"
        ran = azure_condition(step.get("condition"), status)
        record = {"name": name, "task": step.get("task"), "ran": ran}
        steps.append(record)
        if not ran:
            continue
        env = clean_env(home, variables_env)
        env.update({key: macros(value) for key, value in (step.get("env") or {}).items()})
        inputs = {key: macros(value) if isinstance(value, str) else value
                  for key, value in (step.get("inputs") or {}).items()}
        record["inputs"] = {key: value for key, value in inputs.items() if key != "inlineScript"}
        task = step.get("task", "")
        if "script" in step:
            script = macros(step["script"])
        elif task == "AzureCLI@2":
            if inputs.get("scriptType") != "bash" or inputs.get("scriptLocation") != "inlineScript":
                raise Unsupported("AzureCLI@2 is modelled with an inline bash script only")
            if str(inputs.get("addSpnToEnvironment")).lower() == "true":
                env.update({"tenantId": args.tenant_id, "servicePrincipalId": args.client_id,
                            "idToken": open(args.token_file).read().strip()})
            script = inputs["inlineScript"]
        else:
            if task.startswith("PublishTestResults@"):
                if inputs.get("testResultsFormat") != "JUnit":
                    raise Unsupported("testResultsFormat %s" % inputs.get("testResultsFormat"))
                base = inputs.get("searchFolder", workdir)
                for pattern in str(inputs["testResultsFiles"]).split("\n"):
                    if pattern.strip():
                        published["junit"] += junit_files(pattern.strip(), base)
            if task.startswith("PublishPipelineArtifact@"):
                published["artifact"] += files_under(inputs["targetPath"], workdir)
            continue
        script, rewrites = rewrite(script, tarball)
        log.write("\n### %s\n" % name)
        rc, text = run_script(["bash", "--noprofile", "--norc"], script, workdir, env, log)
        record.update(rc=rc, rewrites=rewrites, log=text[-LOG_TAIL:])
        summaries += re.findall(r"^##vso\[task\.uploadsummary\](.+)$", text, re.M)
        if rc:
            status = "failure"
    return {"ci": "azure", "status": status, "steps": steps, "summaries": summaries, "published": published,
            "agent_temp_left": sorted(os.listdir(temp))}


# --- docs/ci.md against the files ----------------------------------------------------------------

def check_docs(args):
    with open(os.path.join(args.collection, "docs", "ci.md")) as handle:
        text = handle.read()
    blocks = re.findall(r"^<!-- file: (\S+) -->\n```\w*\n(.*?)^```$", text, re.M | re.S)
    results = []
    for path, block in blocks:
        full = os.path.join(args.collection, path)
        content = open(full).read() if os.path.isfile(full) else None
        results.append({"path": path, "exists": content is not None, "equal": content == block})
    return {"blocks": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("ci", choices=["github", "gitlab", "azure", "docs"])
    parser.add_argument("--collection", required=True, help="the collection under test")
    parser.add_argument("--file", help="the workflow or pipeline file")
    parser.add_argument("--workdir", help="the checkout the job runs in")
    parser.add_argument("--token-file", help="a federated token the tenant accepts")
    parser.add_argument("--vars", help="GitHub configuration variables, as JSON")
    parser.add_argument("--job", default="m365-audit", help="the GitLab job")
    parser.add_argument("--pipeline-source", default="schedule", help="GitLab's CI_PIPELINE_SOURCE")
    parser.add_argument("--tenant-id", help="the Azure service connection's tenant")
    parser.add_argument("--client-id", help="the Azure service connection's app (client) ID")
    parser.add_argument("--log", help="where the steps' output goes")
    args = parser.parse_args()
    if args.ci == "docs":
        result = check_docs(args)
    else:
        with open(args.log or os.devnull, "a") as log:
            if args.ci == "github":
                result = GitHubJob(args, log).run()
            elif args.ci == "gitlab":
                result = run_gitlab(args, log)
            else:
                result = run_azure(args, log)
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    try:
        main()
    except Unsupported as error:
        sys.exit("ci_runner: not modelled here: %s" % error)
