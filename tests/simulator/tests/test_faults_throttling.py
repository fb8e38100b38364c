"""Fault injection (deterministic script, seeded random, dropped connections) and the
throttling model (Graph resource units and write quota, Exchange request rate)."""
import time

import pytest
import requests


def _user(sim):
    return sim.graph("GET", "users?$top=1&$filter=userType eq 'Member'").json()["value"][0]


def test_fault_script_429_then_success(sim):
    u = _user(sim)
    path = "users/%s/authentication/requirements" % u["id"]
    before = sim.graph("GET", path, version="beta").json()["perUserMfaState"]
    target = "enforced" if before != "enforced" else "disabled"
    sim.config(fault_script=[{"match": "PATCH .*/authentication/requirements", "status": 429, "retry_after": 1,
                              "count": 2}])
    for _attempt in range(2):
        r = sim.graph("PATCH", path, version="beta", json={"perUserMfaState": target})
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        assert r.json()["error"]["code"] == "TooManyRequests"
        assert sim.graph("GET", path, version="beta").json()["perUserMfaState"] == before  # not applied
    assert sim.graph("PATCH", path, version="beta", json={"perUserMfaState": target}).status_code == 204
    cfg = sim.sim("GET", "config").json()
    assert cfg["fault_script"][0]["remaining"] == 0
    stats = sim.sim("GET", "stats").json()
    assert stats["throttled_429"] == 2 and stats["faults_injected"]["429"] == 2


def test_fault_script_exchange_exception_and_cmdlet_match(sim):
    sim.config(fault_script=[
        {"match": "POST .*/InvokeCommand", "cmdlet": "^Set-", "status": 500, "exchange_exception": "ADTransientException",
         "count": 1},
    ])
    assert sim.exo("Get-TransportConfig").status_code == 200  # Get- not matched
    r = sim.exo("Set-CASMailbox", {"Identity": "admin", "PopEnabled": True})
    assert r.status_code == 500
    parts = r.json()["error"]["details"][0]["message"].split("|")
    assert parts[1] == "Microsoft.Exchange.Data.Directory.ADTransientException"
    assert r.json()["error"]["code"] == "InternalServerError"
    assert sim.exo("Set-CASMailbox", {"Identity": "admin", "PopEnabled": True}).status_code == 200


def test_fault_script_identity_fails_one_mailbox_only_in_batches_too(sim):
    mailboxes = sim.exo("Get-CASMailbox", {"ResultSize": 3}).json()["value"]
    gone, other = mailboxes[0]["Guid"], mailboxes[1]["Guid"]
    sim.config(fault_script=[{"cmdlet": "^Set-CASMailbox$", "identity": "^%s$" % gone, "status": 404,
                              "exchange_exception": "ManagementObjectNotFoundException", "count": 5}])
    assert sim.exo("Set-CASMailbox", {"Identity": other, "PopEnabled": False}).status_code == 200
    assert sim.exo("Set-CASMailbox", {"Identity": gone, "PopEnabled": False}).status_code == 404
    body = {"requests": [{"id": str(i + 1), "method": "POST", "url": sim.exo_url(),
                          "headers": {"Content-Type": "application/json"},
                          "body": {"CmdletInput": {"CmdletName": "Set-CASMailbox",
                                                   "Parameters": {"Identity": guid, "ImapEnabled": False}}}}
                         for i, guid in enumerate([gone, other])]}
    answer = sim.http.post(sim.exo_url("$batch"), json=body,
                           headers={**sim.auth(), "Prefer": "odata.continue-on-error"}, timeout=30).json()
    statuses = dict((item["id"], item["status"]) for item in answer["responses"])
    assert statuses == {"1": 404, "2": 200}
    cfg = sim.sim("GET", "config").json()
    assert cfg["fault_script"][0]["remaining"] == 3


def test_dropped_connection(sim):
    sim.config(fault_script=[{"match": "GET /v1.0/users", "drop": True, "count": 1}])
    with pytest.raises(requests.exceptions.ConnectionError):
        sim.graph("GET", "users?$top=1")
    assert sim.graph("GET", "users?$top=1").status_code == 200
    assert sim.sim("GET", "stats").json()["dropped_connections"] == 1


def test_drop_inside_batch_drops_the_envelope(sim):
    sim.config(fault_script=[{"match": "GET /v1.0/organization", "drop": True, "count": 1}])
    with pytest.raises(requests.exceptions.ConnectionError):
        sim.graph("POST", "$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]})


def test_random_faults_are_seeded(sim):
    def run():
        sim.config(faults={"rate_429": 0.25, "rate_429_no_retry_after": 0.1, "rate_503": 0.15, "seed": 7,
                           "match": "GET /v1.0/organization"})
        out = []
        for _attempt in range(25):
            r = sim.graph("GET", "organization")
            out.append((r.status_code, r.headers.get("Retry-After")))
        return out

    first, second = run(), run()
    assert first == second
    statuses = {s for s, _retry_after in first}
    assert {200, 429, 503} <= statuses
    assert (429, None) in first and (429, "1") in first
    assert sim.graph("GET", "users?$top=1").status_code == 200  # not matched
    sim.config(faults=None)
    assert all(sim.graph("GET", "organization").status_code == 200 for _attempt in range(5))


def test_random_faults_apply_to_batch_items(sim):
    sim.config(faults={"rate_503": 1.0, "seed": 1, "match": "GET /v1.0/organization"})
    requests = [{"id": "1", "method": "GET", "url": "/organization"},
                {"id": "2", "method": "GET", "url": "/users?$top=1"}]
    r = sim.graph("POST", "$batch", json={"requests": requests})
    assert r.status_code == 200
    items = {i["id"]: i["status"] for i in r.json()["responses"]}
    assert items == {"1": 503, "2": 200}


def test_token_endpoint_fault_only_when_matched(sim):
    sim.config(faults={"rate_503": 1.0, "seed": 1})  # no match: Graph/Exchange only
    assert sim.token(fresh=True)
    sim.config(faults=None, fault_script=[{"match": "POST .*/oauth2/v2.0/token", "status": 503, "retry_after": 2}])
    a = sim.info["apps"]["admin"]
    r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), data={
        "grant_type": "client_credentials", "client_id": a["client_id"], "client_secret": a["client_secret"],
        "scope": sim.url + "/.default"})
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable" and r.headers["Retry-After"] == "2"


def test_graph_resource_unit_throttling(sim):
    sim.config(throttling=True, graph_ru_per_10s=6)
    r = sim.graph("GET", "users?$top=50")  # GET users: 2 RU
    assert r.status_code == 200 and r.headers["x-ms-resource-unit"] == "2"
    r = sim.graph("GET", "users?$top=5&$select=id")  # 2 - 1 ($select) - 1 ($top<20) -> never below 1
    assert r.headers["x-ms-resource-unit"] == "1"
    statuses = []
    for _attempt in range(5):
        r = sim.graph("GET", "users?$top=50")
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    assert statuses[-1] == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert r.headers["x-ms-throttle-scope"].startswith("Tenant_Application/Read/%s/%s"
                                                       % (sim.info["apps"]["admin"]["client_id"], sim.tid))
    assert r.json()["error"]["code"] == "TooManyRequests"
    # metered per app+tenant: another app still has its budget
    assert sim.graph("GET", "users?$top=50", app="reader").status_code == 200
    time.sleep(int(r.headers["Retry-After"]))
    assert sim.graph("GET", "users?$top=50").status_code == 200
    sim.config(throttling=False)
    assert all(sim.graph("GET", "users?$top=50").status_code == 200 for _attempt in range(6))


def test_graph_write_quota(sim):
    sim.config(throttling=True, graph_writes_per_150s=2)
    u = _user(sim)
    path = "users/%s/authentication/requirements" % u["id"]
    codes = [sim.graph("PATCH", path, version="beta", json={"perUserMfaState": "disabled"}).status_code
             for _attempt in range(3)]
    assert codes == [204, 204, 429]
    r = sim.graph("PATCH", path, version="beta", json={"perUserMfaState": "disabled"})
    assert r.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert sim.graph("GET", path, version="beta").status_code == 200  # reads unaffected


def test_exchange_rate_limit(sim):
    sim.config(throttling=True, exchange_rate_per_s=2)
    codes = []
    for _attempt in range(4):
        r = sim.exo("Get-TransportConfig")
        codes.append(r.status_code)
    assert codes[:2] == [200, 200] and 429 in codes
    r = sim.exo("Get-TransportConfig")
    if r.status_code == 429:
        assert int(r.headers["Retry-After"]) >= 1
        assert r.json()["error"]["code"] == "TooManyRequests"
    time.sleep(1.0)
    assert sim.exo("Get-TransportConfig").status_code == 200


def test_latency(sim):
    sim.config(latency_ms=300)
    start = time.monotonic()
    assert sim.graph("GET", "organization").status_code == 200
    assert time.monotonic() - start >= 0.3
    sim.config(latency_ms=0)


def test_config_validation(sim):
    assert sim.sim("POST", "config", json={"nonsense": 1}).status_code == 400
    assert sim.sim("POST", "config", json={"throttling": "yes"}).status_code == 400
    assert sim.sim("POST", "config", json={"faults": {"rate_429": 2}}).status_code == 400
    assert sim.sim("POST", "config", json={"fault_script": [{"match": "("}]}).status_code == 400
