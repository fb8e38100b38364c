# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake Graph tenant for the guardrail modules: Conditional Access policies, security defaults,
and the user and group look-ups that resolve a policy's include and exclude names."""

from __future__ import annotations

import copy
import itertools

from ansible_collections.m365.admin.tests.unit.m365_helpers import graph_error

BREAK_GLASS_GROUP = "e1dc1206-7265-4231-b1dc-14b20a1ff60a"
BREAK_GLASS_USER = "2d01547c-73f6-4db6-8b29-0f5d19680ae6"
ALICE = "0b1d0c37-0000-4000-8000-000000000001"
USERS = {"breakglass1@contoso.onmicrosoft.com": BREAK_GLASS_USER, "alice@contoso.com": ALICE}
GROUPS = {"Break Glass Accounts": [BREAK_GLASS_GROUP], "Finance": ["f1a2b3c4-0000-4000-8000-000000000009"],
          "Twins": ["a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002"]}
POLICIES = "/v1.0/identity/conditionalAccess/policies"
SECURITY_DEFAULTS = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"


def full_shape(policy):
    """A policy as Graph returns it: every list present, nulls for absent complex members."""
    out = {"id": None, "templateId": None, "displayName": None, "createdDateTime": "2026-01-02T03:04:05Z",
           "modifiedDateTime": None, "state": None, "description": None, "deletedDateTime": None,
           "sessionControls": None, "conditions": None, "grantControls": None}
    out.update(copy.deepcopy(policy))
    conditions = dict({"applications": None, "authenticationFlows": None, "clientAppTypes": [], "clientApplications": None,
                       "devices": None, "insiderRiskLevels": None, "locations": None, "platforms": None,
                       "servicePrincipalRiskLevels": [], "signInRiskLevels": [], "userRiskLevels": [], "users": None},
                      **(out["conditions"] or {}))
    if conditions["applications"] is not None:
        conditions["applications"] = dict({"applicationFilter": None, "excludeApplications": [], "includeApplications": [],
                                           "includeAuthenticationContextClassReferences": [], "includeUserActions": []},
                                          **conditions["applications"])
    if conditions["users"] is not None:
        conditions["users"] = dict({"excludeGroups": [], "excludeGuestsOrExternalUsers": None, "excludeRoles": [],
                                    "excludeUsers": [], "includeGroups": [], "includeGuestsOrExternalUsers": None,
                                    "includeRoles": [], "includeUsers": []}, **conditions["users"])
    out["conditions"] = conditions
    if out["grantControls"] is not None:
        grant = dict({"builtInControls": [], "customAuthenticationFactors": [], "operator": "OR", "termsOfUse": [],
                      "authenticationStrength": None}, **out["grantControls"])
        grant["authenticationStrength@odata.context"] = "https://graph.test/v1.0/$metadata#strength"
        out["grantControls"] = grant
    return out


def merge(base, patch):
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class FakePolicyTenant(object):
    """Answers the calls of security_defaults and the conditional_access_policy modules.

    policies: CA policies (any subset of Graph's shape; stored in the full shape).
    throttle: statuses answered, one per CA call, before the real answers (e.g. [429, 429]).
    page_size: policies per page of the list (with @odata.nextLink).
    """

    def __init__(self, policies=(), security_defaults=False, throttle=(), page_size=100):
        ids = ("%08d-0000-4000-8000-000000000000" % n for n in itertools.count(100))
        self._ids = ids
        self.policies = [full_shape(dict({"id": next(ids)}, **p)) for p in policies]
        self.security_defaults = security_defaults
        self.throttle = list(throttle)
        self.page_size = page_size
        self.writes = []
        self.ca_calls = []

    def policy(self, name):
        return next(p for p in self.policies if p["displayName"] == name)

    def _ca(self, method, path, query, body):
        self.ca_calls.append((method, path))
        if self.throttle:
            status = self.throttle.pop(0)
            return status, graph_error("TooManyRequests", "Please retry again later.")
        if path == POLICIES and method == "GET":
            start = int(query.split("skip=")[1]) if "skip=" in query else 0
            page = {"value": copy.deepcopy(self.policies[start:start + self.page_size])}
            if start + self.page_size < len(self.policies):
                page["@odata.nextLink"] = "https://graph.test%s?skip=%d" % (POLICIES, start + self.page_size)
            return 200, page
        if path == POLICIES and method == "POST":
            if body["state"] == "enabled" and self.security_defaults:
                return 400, graph_error("BadRequest", "Conditional Access policies can't be enabled while security "
                                                      "defaults are enabled.")
            policy = full_shape(dict(body, id=next(self._ids)))
            self.policies.append(policy)
            self.writes.append(("POST", copy.deepcopy(body)))
            return 201, copy.deepcopy(policy)
        policy_id = path[len(POLICIES) + 1:]
        found = [p for p in self.policies if p["id"] == policy_id]
        if not found:
            return 404, graph_error("Request_ResourceNotFound", "Resource '%s' does not exist" % policy_id)
        if method == "GET":
            return 200, copy.deepcopy(found[0])
        if method == "PATCH":
            merged = merge(found[0], body)
            if merged["state"] == "enabled" and self.security_defaults:
                return 400, graph_error("BadRequest", "Conditional Access policies can't be enabled while security "
                                                      "defaults are enabled.")
            found[0].clear()
            found[0].update(merged)
            found[0]["modifiedDateTime"] = "2026-11-22T10:00:00Z"
            self.writes.append(("PATCH", policy_id, copy.deepcopy(body)))
            return 204, None
        if method == "DELETE":
            self.policies.remove(found[0])
            self.writes.append(("DELETE", policy_id))
            return 204, None
        raise AssertionError("unexpected %s %s" % (method, path))

    def _item(self, method, url):
        path = url.split("?")[0]
        if path.startswith("/users/"):
            key = path[len("/users/"):].replace("%40", "@")
            if key in USERS or key in USERS.values():
                user_id = USERS.get(key, key)
                upn = next(u for u, i in USERS.items() if i == user_id)
                return 200, {"id": user_id, "userPrincipalName": upn}
            return 404, graph_error("Request_ResourceNotFound", "no user %s" % key)
        if path == "/groups":
            name = url.split("displayName%20eq%20'", 1)[1].split("'", 1)[0].replace("%20", " ")
            return 200, {"value": [{"id": gid, "displayName": name} for gid in GROUPS.get(name, [])]}
        if path.startswith("/groups/"):
            gid = path[len("/groups/"):]
            for name, ids in GROUPS.items():
                if gid in ids:
                    return 200, {"id": gid, "displayName": name}
            return 404, graph_error("Request_ResourceNotFound", "no group")
        raise AssertionError("unexpected batch item %s %s" % (method, url))

    def __call__(self, method, url, body, headers):
        path, _sep, query = url.replace("https://graph.test", "").partition("?")
        if path == "/v1.0/$batch":
            responses = []
            for item in body["requests"]:
                status, answer = self._item(item["method"], item["url"])
                responses.append({"id": item["id"], "status": status, "body": answer})
            return 200, {"responses": responses}
        if path.startswith(POLICIES):
            return self._ca(method, path, query, body)
        if path == SECURITY_DEFAULTS:
            if method == "GET":
                return 200, {"id": "00000000-0000-0000-0000-000000000005", "displayName": "Security Defaults",
                             "description": "...", "isEnabled": self.security_defaults}
            if body["isEnabled"] and any(p["state"] == "enabled" for p in self.policies):
                return 400, graph_error("BadRequest", "Security defaults can't be enabled while Conditional Access "
                                                      "policies are enabled in the tenant.")
            self.writes.append(("PATCH security defaults", body))
            self.security_defaults = body["isEnabled"]
            return 204, None
        raise AssertionError("unexpected call %s %s" % (method, url))


def legacy_policy(state="enabledForReportingButNotEnforced", **users):
    """The seeded 'Block legacy authentication' policy, as a tenant would hold it."""
    return {"displayName": "Block legacy authentication", "state": state,
            "conditions": {"clientAppTypes": ["other", "exchangeActiveSync"],
                           "applications": {"includeApplications": ["All"]},
                           "users": users or {"includeUsers": ["All"], "excludeGroups": [BREAK_GLASS_GROUP.upper()]}},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
