"""Per-user MFA (beta), security defaults and conditional access policies."""
import time
from urllib.parse import quote

import pytest

CA = "identity/conditionalAccess/policies"
SD = "policies/identitySecurityDefaultsEnforcementPolicy"

BLOCK_LEGACY = {
    "displayName": "Block legacy authentication (test)",
    "state": "enabledForReportingButNotEnforced",
    "conditions": {
        "clientAppTypes": ["exchangeActiveSync", "other"],
        "applications": {"includeApplications": ["All"]},
        "users": {"includeUsers": ["All"], "excludeGroups": ["11111111-2222-4333-8444-555555555555"]},
    },
    "grantControls": {"operator": "OR", "builtInControls": ["block"]},
}


def _user_state(sim, upn):
    return sim.sim("GET", "users/" + upn).json()["user"]


def _find_users(sim, mfa, registered):
    state = sim.sim("GET", "state").json()
    return [u for u in state["users"]
            if u.get("_mfa") == mfa and bool(u.get("_reg")) == registered and u["userType"] == "Member"]


def test_requirements_get_and_schema(sim, openapi):
    enforced = _find_users(sim, "enforced", True)[0]
    path = "users/%s/authentication/requirements" % enforced["id"]
    r = sim.graph("GET", path, version="beta")
    assert r.status_code == 200
    assert r.json()["perUserMfaState"] == "enforced"
    assert r.json()["@odata.context"].endswith("/beta/$metadata#users('%s')/authentication/requirements"
                                               % enforced["id"])
    openapi.validate("beta", "get", "/" + path, r)
    r = sim.graph("GET", "users/%s/authentication/requirements" % enforced["userPrincipalName"], version="beta",
                  app="reader")
    assert r.status_code == 200
    # the validator really checks the enum
    from openapi_core.validation.response.exceptions import InvalidData

    with pytest.raises(InvalidData):
        openapi.validate("beta", "get", "/" + path, None, status=200, body={"perUserMfaState": "sometimes"})
    # beta only
    r = sim.graph("GET", path, version="v1.0")
    assert r.status_code == 400
    r = sim.graph("GET", "users/nobody@contoso.com/authentication/requirements", version="beta")
    assert r.status_code == 404
    openapi.validate("beta", "get", "/users/nobody@contoso.com/authentication/requirements", r)


def test_requirements_patch_and_enabled_becomes_enforced(sim):
    plain = _find_users(sim, "disabled", False)[0]
    registered = _find_users(sim, "disabled", True)[0]
    path = "users/%s/authentication/requirements"
    r = sim.graph("PATCH", path % plain["id"], version="beta", json={"perUserMfaState": "enabled"})
    assert r.status_code == 204 and r.content == b""
    assert sim.graph("GET", path % plain["id"], version="beta").json()["perUserMfaState"] == "enabled"
    # a user who already registered a method: Entra turns enabled into enforced
    r = sim.graph("PATCH", path % registered["userPrincipalName"], version="beta", json={"perUserMfaState": "enabled"})
    assert r.status_code == 204
    assert sim.graph("GET", path % registered["id"], version="beta").json()["perUserMfaState"] == "enforced"
    # registration hook moves the first user on
    r = sim.sim("POST", "users/%s/register-method" % plain["userPrincipalName"])
    assert r.status_code == 200 and r.json()["perUserMfaState"] == "enforced"
    assert sim.graph("GET", path % plain["id"], version="beta").json()["perUserMfaState"] == "enforced"
    # admins may go back
    assert sim.graph("PATCH", path % plain["id"], version="beta",
                     json={"perUserMfaState": "disabled"}).status_code == 204
    assert _user_state(sim, plain["id"])["_mfa"] == "disabled"
    kinds = [c["kind"] for c in sim.sim("GET", "changes").json()["changes"]]
    assert kinds.count("user.perUserMfaState") == 3 and "user.registerMethod" in kinds


@pytest.mark.parametrize("body", [{"perUserMfaState": "sometimes"}, {"perUserMfaState": "unknownFutureValue"},
                                  {"perUserMfaState": None}, {"perUserMfaState": True}, {"state": "enabled"}])
def test_requirements_patch_invalid(sim, body):
    user = _find_users(sim, "disabled", False)[0]
    r = sim.graph("PATCH", "users/%s/authentication/requirements" % user["id"], version="beta", json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
    assert _user_state(sim, user["id"])["_mfa"] == "disabled"


def test_requirements_permissions(sim):
    user = _find_users(sim, "disabled", False)[0]
    path = "users/%s/authentication/requirements" % user["id"]
    r = sim.graph("PATCH", path, version="beta", app="reader", json={"perUserMfaState": "enforced"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "Authorization_RequestDenied"
    assert sim.graph("GET", path, version="beta", app="noperm").status_code == 403
    r = sim.graph("PATCH", path, version="beta", data="not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = sim.graph("PATCH", path, version="beta", data='{"perUserMfaState": "enforced"}')  # no Content-Type
    assert r.status_code == 400 and "Content-Type" in r.json()["error"]["message"]


def test_security_defaults(sim, openapi):
    r = sim.graph("GET", SD)
    assert r.status_code == 200
    openapi.validate("v1.0", "get", "/" + SD, r)
    body = r.json()
    assert body["id"] == "00000000-0000-0000-0000-000000000005" and body["isEnabled"] is False
    assert body["@odata.context"].endswith("$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity")
    # an enabled CA policy exists in the seed -> enabling is refused
    r = sim.graph("PATCH", SD, json={"isEnabled": True})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
    assert "Conditional Access" in r.json()["error"]["message"]
    openapi.validate("v1.0", "patch", "/" + SD, r)
    for p in sim.graph("GET", CA).json()["value"]:
        if p["state"] == "enabled":
            assert sim.graph("PATCH", CA + "/" + p["id"], json={"state": "disabled"}).status_code == 204
    r = sim.graph("PATCH", SD, json={"isEnabled": True})
    assert r.status_code == 204 and r.content == b""
    assert sim.graph("GET", SD).json()["isEnabled"] is True
    # with security defaults on, CA policies can't be switched on (report-only is fine)
    r = sim.graph("POST", CA, json={**BLOCK_LEGACY, "state": "enabled"})
    assert r.status_code == 400
    assert sim.graph("POST", CA, json=BLOCK_LEGACY).status_code == 201
    assert sim.graph("PATCH", SD, json={"displayName": "x"}).status_code == 400
    assert sim.graph("PATCH", SD, json={"isEnabled": "yes"}).status_code == 400
    assert sim.graph("PATCH", SD, app="reader", json={"isEnabled": False}).status_code == 403
    assert sim.graph("DELETE", SD).status_code == 405


def test_ca_list_get_and_schema(sim, openapi):
    r = sim.graph("GET", CA)
    assert r.status_code == 200
    openapi.validate("v1.0", "get", "/" + CA, r)
    policies = r.json()["value"]
    assert len(policies) >= 3
    states = {p["state"] for p in policies}
    assert states == {"enabled", "disabled", "enabledForReportingButNotEnforced"}
    one = policies[0]
    r = sim.graph("GET", CA + "/" + one["id"])
    assert r.status_code == 200
    openapi.validate("v1.0", "get", "/%s/%s" % (CA, one["id"]), r)
    assert r.json()["conditions"] == one["conditions"]
    r = sim.graph("GET", CA + "?$filter=" + quote("state eq 'enabled'"))
    assert [p["state"] for p in r.json()["value"]] == ["enabled"]
    r = sim.graph("GET", CA + "/00000000-0000-0000-0000-0000000000aa")
    assert r.status_code == 404
    assert sim.graph("GET", CA, app="reader").status_code == 200
    assert sim.graph("GET", CA, app="noperm").status_code == 403


def test_ca_create_fills_server_defaults(sim, openapi):
    r = sim.graph("POST", CA, json=BLOCK_LEGACY)
    assert r.status_code == 201
    openapi.validate("v1.0", "post", "/" + CA, r)
    p = r.json()
    assert p["id"] and p["createdDateTime"].endswith("Z") and p["modifiedDateTime"] is None
    assert p["templateId"] is None
    c = p["conditions"]
    assert c["users"]["excludeUsers"] == [] and c["users"]["includeRoles"] == []
    assert c["users"]["includeGuestsOrExternalUsers"] is None
    assert c["applications"]["excludeApplications"] == [] and c["applications"]["includeUserActions"] == []
    assert c["signInRiskLevels"] == [] and c["userRiskLevels"] == [] and c["servicePrincipalRiskLevels"] == []
    assert c["platforms"] is None and c["locations"] is None and c["devices"] is None
    assert p["grantControls"]["customAuthenticationFactors"] == [] and p["grantControls"]["termsOfUse"] == []
    assert p["grantControls"]["authenticationStrength"] is None
    assert "authenticationStrength@odata.context" in p["grantControls"]
    assert p["sessionControls"] is None
    got = sim.graph("GET", CA + "/" + p["id"]).json()
    del got["@odata.context"], p["@odata.context"]
    assert got == p
    r = sim.graph("POST", CA, json={**BLOCK_LEGACY, "grantControls": {
        "operator": "OR", "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"}}})
    assert r.status_code == 201
    assert r.json()["grantControls"]["authenticationStrength"]["displayName"] == "Phishing-resistant MFA"
    openapi.validate("v1.0", "post", "/" + CA, r)


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("displayName"),
    lambda b: b.pop("conditions"),
    lambda b: b.update(state="on"),
    lambda b: b["conditions"].update(clientAppTypes=["telnet"]),
    lambda b: b["grantControls"].update(builtInControls=["block", "mfa"]),
    lambda b: b["grantControls"].update(builtInControls=["teleport"]),
    lambda b: b.pop("grantControls"),
    lambda b: b["conditions"]["users"].update(includeUsers=["not-a-guid"]),
    lambda b: b["conditions"].update(nonsense=True),
])
def test_ca_create_validation(sim, openapi, mutate):
    import copy

    body = copy.deepcopy(BLOCK_LEGACY)
    mutate(body)
    r = sim.graph("POST", CA, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "BadRequest"
    openapi.validate("v1.0", "post", "/" + CA, r)


def test_ca_patch_and_delete(sim):
    p = sim.graph("POST", CA, json=BLOCK_LEGACY).json()
    patch = {"state": "disabled", "conditions": {"users": {"excludeUsers": ["GuestsOrExternalUsers"]}}}
    r = sim.graph("PATCH", CA + "/" + p["id"], json=patch)
    assert r.status_code == 204 and r.content == b""
    got = sim.graph("GET", CA + "/" + p["id"]).json()
    assert got["state"] == "disabled" and got["modifiedDateTime"] is not None
    assert got["conditions"]["users"]["excludeUsers"] == ["GuestsOrExternalUsers"]
    assert got["conditions"]["users"]["includeUsers"] == ["All"]  # complex values merge
    assert got["conditions"]["clientAppTypes"] == ["exchangeActiveSync", "other"]
    assert sim.graph("PATCH", CA + "/" + p["id"], json={"state": "bogus"}).status_code == 400
    assert sim.graph("PATCH", CA + "/" + p["id"], app="reader", json={"state": "enabled"}).status_code == 403
    r = sim.graph("DELETE", CA + "/" + p["id"])
    assert r.status_code == 204
    assert sim.graph("GET", CA + "/" + p["id"]).status_code == 404
    kinds = [c["kind"] for c in sim.sim("GET", "changes").json()["changes"]]
    assert kinds == ["conditionalAccessPolicy.create", "conditionalAccessPolicy.update",
                     "conditionalAccessPolicy.delete"]


def test_ca_one_request_per_second_without_retry_after(sim):
    sim.config(ca_throttling=True)
    time.sleep(1.05)
    statuses, headers = [], []
    for _attempt in range(4):
        r = sim.graph("GET", CA)
        statuses.append(r.status_code)
        headers.append(r.headers)
    assert statuses[0] == 200 and 429 in statuses
    for s, h in zip(statuses, headers):
        if s == 429:
            assert "Retry-After" not in h
    r = next(sim.graph("GET", CA) for _attempt in range(1))
    if r.status_code == 429:
        assert r.json()["error"]["code"] == "TooManyRequests"
    time.sleep(1.05)
    assert sim.graph("GET", CA).status_code == 200
    # other Graph paths are unaffected
    assert sim.graph("GET", "users?$top=1").status_code == 200
    assert sim.sim("GET", "stats").json()["throttled_429"] >= 1
