"""Graph JSON batching: envelope rules, per-item dispatch (auth, permissions, throttling,
faults), dependsOn/424, 204 items, order."""


def _batch(sim, requests, app="admin", version="v1.0"):
    return sim.graph("POST", "$batch", app=app, version=version, json={"requests": requests})


def _by_id(r):
    return {item["id"]: item for item in r.json()["responses"]}


def test_batch_basic_and_schema(sim, openapi):
    reqs = [
        {"id": "1", "method": "GET", "url": "/users?$top=2&$select=id,userPrincipalName"},
        {"id": "2", "method": "GET", "url": "organization"},
        {"id": "3", "method": "GET", "url": "/users/nobody@contoso.com"},
        {"id": "4", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}},
    ]
    r = _batch(sim, reqs)
    assert r.status_code == 200
    openapi.validate("batch", "post", "/$batch", r)
    items = _by_id(r)
    assert set(items) == {"1", "2", "3", "4"}
    assert items["1"]["status"] == 200 and len(items["1"]["body"]["value"]) == 2
    assert items["1"]["body"]["@odata.nextLink"].startswith(sim.url + "/v1.0/users?")
    assert items["1"]["headers"]["Content-Type"].startswith("application/json")
    openapi.validate("v1.0", "get", "/users", None, status=200, body=items["1"]["body"])
    assert items["3"]["status"] == 404 and items["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert items["4"]["status"] == 200 and items["4"]["body"] == "200"
    stats = sim.sim("GET", "stats").json()
    assert stats["batch"]["items"] == 4 and stats["batch"]["graph_batches"] == 1


def test_batch_limits_and_envelope_errors(sim, openapi):
    reqs = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    r = _batch(sim, reqs)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
    openapi.validate("batch", "post", "/$batch", r)
    assert _batch(sim, reqs[:20]).status_code == 200
    r = _batch(sim, [{"id": "a", "method": "GET", "url": "/organization"},
                     {"id": "A", "method": "GET", "url": "/organization"}])
    assert r.status_code == 400 and "duplicate" in r.json()["error"]["message"].lower()
    r = sim.graph("POST", "$batch", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = _batch(sim, [{"id": "1", "method": "GET", "url": "/organization", "dependsOn": ["9"]}])
    assert r.status_code == 400
    r = _batch(sim, [{"id": "1", "method": "GET", "url": "/organization"}], app=None)
    assert r.status_code == 401


def test_batch_item_rules(sim):
    uid = sim.graph("GET", "users?$top=1").json()["value"][0]["id"]
    r = _batch(sim, [
        {"id": "abs", "method": "GET", "url": sim.url + "/v1.0/organization"},
        {"id": "nobody-ct", "method": "PATCH", "url": "/policies/identitySecurityDefaultsEnforcementPolicy",
         "body": {"isEnabled": False}},
        {"id": "verb", "method": "TRACE", "url": "/organization"},
        {"id": "beta-only", "method": "GET", "url": "/users/%s/authentication/requirements" % uid},
    ])
    assert r.status_code == 200
    items = _by_id(r)
    for key in ("abs", "nobody-ct", "verb", "beta-only"):
        assert items[key]["status"] == 400, key
        assert items[key]["body"]["error"]["code"] == "BadRequest"
    r = _batch(sim, [{"id": "1", "method": "GET", "url": "/users/%s/authentication/requirements" % uid}],
               version="beta")
    assert _by_id(r)["1"]["status"] == 200


def test_batch_depends_on_and_204_items(sim):
    user = sim.graph("GET", "users?$top=1&$filter=userType eq 'Member'").json()["value"][0]
    r = _batch(sim, [
        {"id": "1", "method": "PATCH", "url": "/users/%s/authentication/requirements" % user["id"],
         "headers": {"Content-Type": "application/json"}, "body": {"perUserMfaState": "enforced"}},
        {"id": "2", "method": "GET", "url": "/users/%s/authentication/requirements" % user["id"], "dependsOn": ["1"]},
        {"id": "3", "method": "PATCH", "url": "/users/nobody@contoso.com/authentication/requirements",
         "headers": {"Content-Type": "application/json"}, "body": {"perUserMfaState": "enforced"}},
        {"id": "4", "method": "GET", "url": "/organization", "dependsOn": ["3"]},
        {"id": "5", "method": "GET", "url": "/organization", "dependsOn": ["4"]},
    ], version="beta")
    items = _by_id(r)
    assert items["1"]["status"] == 204 and "body" not in items["1"]
    assert items["2"]["status"] == 200 and items["2"]["body"]["perUserMfaState"] == "enforced"
    assert items["3"]["status"] == 404
    assert items["4"]["status"] == 424 and items["5"]["status"] == 424


def test_batch_items_are_permission_checked_and_order_differs(sim):
    reqs = [{"id": str(i), "method": "GET", "url": "/users?$top=1"} for i in range(12)]
    r = _batch(sim, reqs, app="noperm")
    assert r.status_code == 200
    assert {i["status"] for i in r.json()["responses"]} == {403}
    order = [i["id"] for i in r.json()["responses"]]
    assert sorted(order, key=int) == [str(i) for i in range(12)] and order != sorted(order, key=int)
    sim.config(batch_shuffle=False)
    r = _batch(sim, reqs)
    assert [i["id"] for i in r.json()["responses"]] == [str(i) for i in range(12)]


def test_batch_item_throttled_by_fault_script(sim):
    sim.config(fault_script=[{"match": "GET /v1.0/organization", "status": 429, "retry_after": 3, "count": 1}])
    r = _batch(sim, [{"id": "1", "method": "GET", "url": "/organization"},
                     {"id": "2", "method": "GET", "url": "/organization"}])
    assert r.status_code == 200
    items = _by_id(r)
    throttled = [i for i in items.values() if i["status"] == 429]
    assert len(throttled) == 1
    assert throttled[0]["headers"]["Retry-After"] == "3"
    assert throttled[0]["body"]["error"]["code"] == "TooManyRequests"
    assert sum(1 for i in items.values() if i["status"] == 200) == 1


def test_batch_items_metered_individually_ca_pacing(sim):
    sim.config(ca_throttling=True)
    import time

    time.sleep(1.05)
    reqs = [{"id": str(i), "method": "GET", "url": "/identity/conditionalAccess/policies"} for i in range(3)]
    items = _by_id(_batch(sim, reqs))
    statuses = sorted(i["status"] for i in items.values())
    assert statuses == [200, 429, 429]
    for item in items.values():
        if item["status"] == 429:
            assert "Retry-After" not in item["headers"]


def test_batch_items_metered_individually_resource_units(sim):
    sim.config(throttling=True, graph_ru_per_10s=5)
    reqs = [{"id": str(i), "method": "GET", "url": "/users?$top=50"} for i in range(4)]  # 2 RU each
    items = _by_id(_batch(sim, reqs))
    statuses = sorted(i["status"] for i in items.values())
    assert statuses == [200, 200, 429, 429]
    for item in items.values():
        if item["status"] == 429:
            assert int(item["headers"]["Retry-After"]) >= 1
            assert item["headers"]["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
