"""Shared fixtures: one simulator process for the session (port 0, temp state dir) and a
small HTTP helper. Every test starts from a freshly seeded tenant with default knobs
(Conditional Access pacing off unless a test turns it on)."""
import json
import os
import subprocess
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_ROOT = os.path.dirname(HERE)  # tests/simulator
REPO = os.path.dirname(os.path.dirname(SIM_ROOT))
if SIM_ROOT not in sys.path:
    sys.path.insert(0, SIM_ROOT)

DEFAULT_KNOBS = {
    "latency_ms": 0,
    "token_lifetime": 3599,
    "throttling": False,
    "ca_throttling": False,
    "graph_ru_per_10s": None,
    "graph_writes_per_150s": 3000,
    "ca_requests_per_s": 1,
    "reports_per_10s": 5,
    "exchange_rate_per_s": 10,
    "exchange_burst": None,
    "batch_shuffle": True,
    "entra_premium": True,
    "psrp_properties": "auto",
    "exchange_environment": "O365Default",
    "faults": None,
    "fault_script": [],
}


def start_server(state_dir, *extra, users=200, seed=1):
    env = dict(os.environ)
    env["PYTHONPATH"] = SIM_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    info_path = os.path.join(state_dir, "server.json")
    if os.path.exists(info_path):
        os.unlink(info_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "m365sim", "serve", "--state-dir", state_dir, "--port", "0", "--users", str(users),
         "--seed", str(seed), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if os.path.exists(info_path):
            with open(info_path) as fh:
                return proc, json.load(fh)
        if proc.poll() is not None:
            raise RuntimeError("simulator exited: " + proc.stdout.read().decode())
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("simulator did not start")


def stop_server(state_dir, proc):
    env = dict(os.environ)
    env["PYTHONPATH"] = SIM_ROOT
    subprocess.run([sys.executable, "-m", "m365sim", "stop", "--state-dir", state_dir], env=env, check=True,
                   capture_output=True, cwd=REPO)
    proc.wait(timeout=15)


class SimClient:
    def __init__(self, info):
        self.info = info
        self.url = info["url"]
        self.ca = info["ca_path"]
        self.tid = info["tenant_id"]
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify=
        self.http.verify = self.ca
        self._tokens = {}

    # -- identity ---------------------------------------------------------------------
    def token(self, app="admin", fresh=False):
        cached = self._tokens.get(app)
        if cached and not fresh and cached[1] > time.time() + 5:
            return cached[0]
        a = self.info["apps"][app]
        r = self.http.post("%s/%s/oauth2/v2.0/token" % (self.url, self.tid), data={
            "grant_type": "client_credentials", "client_id": a["client_id"], "client_secret": a["client_secret"],
            "scope": self.url + "/.default"})
        assert r.status_code == 200, r.text
        body = r.json()
        self._tokens[app] = (body["access_token"], time.time() + body["expires_in"])
        return body["access_token"]

    def auth(self, app="admin"):
        return {"Authorization": "Bearer " + self.token(app)}

    # -- graph ------------------------------------------------------------------------
    def graph(self, method, path, app="admin", version="v1.0", headers=None, **kw):
        h = self.auth(app) if app else {}
        h.update(headers or {})
        return self.http.request(method, "%s/%s/%s" % (self.url, version, path.lstrip("/")), headers=h, **kw)

    def get_all(self, path, app="admin", version="v1.0", headers=None):
        r = self.graph("GET", path, app=app, version=version, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        pages = [body]
        items = list(body["value"])
        while "@odata.nextLink" in body:
            r = self.http.get(body["@odata.nextLink"], headers={**self.auth(app), **(headers or {})})
            assert r.status_code == 200, r.text
            body = r.json()
            pages.append(body)
            items.extend(body["value"])
        return items, pages

    # -- exchange -----------------------------------------------------------------------
    def exo_url(self, op="InvokeCommand"):
        return "%s/adminapi/beta/%s/%s" % (self.url, self.tid, op)

    def exo(self, cmdlet, params=None, app="admin", url=None, headers=None, select=None):
        body = {"CmdletInput": {"CmdletName": cmdlet}}
        if params is not None:
            body["CmdletInput"]["Parameters"] = params
        target = url or self.exo_url()
        if select:
            target += "?$select=" + select
        return self.http.post(target, json=body, headers={**self.auth(app), **(headers or {})})

    # -- knobs --------------------------------------------------------------------------
    def sim(self, method, path, **kw):
        return self.http.request(method, "%s/_sim/%s" % (self.url, path.lstrip("/")), **kw)

    def config(self, **changes):
        r = self.sim("POST", "config", json=changes)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    state_dir = str(tmp_path_factory.mktemp("sim-state"))
    proc, info = start_server(state_dir)
    yield state_dir, info
    stop_server(state_dir, proc)


@pytest.fixture
def sim(server):
    client = SimClient(server[1])
    client.config(**DEFAULT_KNOBS)
    r = client.sim("POST", "reset", json={"users": 200, "seed": 1})
    assert r.status_code == 200, r.text
    client.sim("POST", "stats/reset")
    yield client
    client.config(**DEFAULT_KNOBS)


# ---------------------------------------------------------------------------------------
# OpenAPI validation (reference README recipe)
# ---------------------------------------------------------------------------------------
REFERENCE = os.path.join(SIM_ROOT, "reference")


def _drop_required_odata_type(node):
    if isinstance(node, dict):
        req = node.get("required")
        if isinstance(req, list) and "@odata.type" in req:
            req.remove("@odata.type")
            if not req:
                del node["required"]
        for value in node.values():
            _drop_required_odata_type(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required_odata_type(value)


class Validator:
    def __init__(self):
        import yaml
        from openapi_core import OpenAPI

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.apis = {}
        for key, name in (("v1.0", "graph-openapi-v1.0-subset.yaml"), ("beta", "graph-openapi-beta-subset.yaml"),
                          ("batch", "graph-batch.openapi.yaml"), ("exo", "exo-adminapi-reconstructed.openapi.yaml")):
            with open(os.path.join(REFERENCE, name)) as fh:
                spec = yaml.load(fh, Loader=loader)
            _drop_required_odata_type(spec)
            inner = spec.get("components", {}).get("schemas", {}).get("microsoft.graph.ODataErrors.InnerError")
            # Real Graph writes innerError.date without a zone ("2025-02-13T10:17:05", graph-facts.md
            # section 6) although the schema demands date-time with Z/offset; the simulator follows the
            # wire, so the pattern is relaxed like @odata.type.
            for part in ([inner] + inner.get("allOf", [])) if inner else []:
                date = part.get("properties", {}).get("date")
                if date:
                    date.pop("pattern", None)
                    date.pop("format", None)
            self.apis[key] = OpenAPI.from_dict(spec)

    def validate(self, version, method, path, response, status=None, body=None, host="https://graph.microsoft.com"):
        from openapi_core.testing import MockRequest, MockResponse

        api = self.apis[version]
        prefix = {"batch": "/v1.0", "exo": "/adminapi/beta"}.get(version, "/" + version)
        if version == "exo":
            host = "https://outlook.office365.com"
        data = body if body is not None else response.content
        if isinstance(data, (dict, list)):
            data = json.dumps(data).encode()
        req = MockRequest(host, method.lower(), prefix + path)
        resp = MockResponse(data, status_code=status or response.status_code, content_type="application/json")
        api.validate_response(req, resp)


@pytest.fixture(scope="session")
def openapi():
    return Validator()
