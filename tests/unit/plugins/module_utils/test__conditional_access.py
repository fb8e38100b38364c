# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
import copy
import json
import ssl
from unittest import mock

import httpx
import pytest

from ansible_collections.m365.admin.plugins.module_utils import _conditional_access as ca
from ansible_collections.m365.admin.plugins.module_utils import _http
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    NotFoundError,
    ThrottledError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.tests.unit.m365_helpers import ScriptedSession, graph_error

GROUP = "e1dc1206-7265-4231-b1dc-14b20a1ff60a"
USER = "2d01547c-73f6-4db6-8b29-0f5d19680ae6"
POLICIES = "https://graph.test/v1.0/identity/conditionalAccess/policies"


class FakeTime(object):
    """A clock and a sleep that advances it, recording every sleep."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def client(handler, fake_time=None):
    fake_time = fake_time or FakeTime()
    session = ScriptedSession(handler)
    policies = ca.ConditionalAccessPolicies(GraphClient(session, "https://graph.test"),
                                            ca.Pacer(clock=fake_time.clock, sleep=fake_time.sleep))
    return policies, session, fake_time


# --- templates and the policy body ---------------------------------------------------------------

def test_block_legacy_auth_template_blocks_exchange_activesync_and_other_clients():
    body = ca.build_policy("Block legacy authentication", "report_only", template="block_legacy_auth",
                           scope=dict(exclude_groups=[GROUP]))
    assert body == {
        "displayName": "Block legacy authentication",
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "clientAppTypes": ["exchangeActiveSync", "other"],
            "applications": {"includeApplications": ["All"], "excludeApplications": []},
            "users": {"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [], "excludeGroups": [GROUP],
                      "includeRoles": [], "excludeRoles": []},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["block"]},
    }


def test_require_mfa_template_covers_all_client_apps():
    body = ca.build_policy("MFA", "enabled", template="require_mfa", scope={})
    assert body["state"] == "enabled"
    assert body["conditions"]["clientAppTypes"] == ["all"]
    assert body["grantControls"] == {"operator": "OR", "builtInControls": ["mfa"]}
    assert body["conditions"]["users"]["includeUsers"] == ["All"]


def test_require_mfa_admins_includes_the_fourteen_privileged_roles_and_no_users_by_default():
    body = ca.build_policy("Admins", "disabled", template="require_mfa_admins", scope=dict(exclude_users=[USER]))
    users = body["conditions"]["users"]
    assert len(users["includeRoles"]) == 14 and "62e90394-69f5-4237-9190-012177145e10" in users["includeRoles"]
    assert users["includeUsers"] == [] and users["excludeUsers"] == [USER]
    assert body["state"] == "disabled"


def test_templates_are_copied_not_shared():
    body = ca.build_policy("A", "enabled", template="block_legacy_auth", scope={})
    body["conditions"]["clientAppTypes"].append("browser")
    body["conditions"]["applications"]["includeApplications"].append("x")
    assert ca.expand_template("block_legacy_auth")[0]["clientAppTypes"] == ["exchangeActiveSync", "other"]
    assert ca.expand_template("require_mfa")[0]["applications"]["includeApplications"] == ["All"]


def test_include_groups_replaces_the_all_users_default():
    users = ca.user_conditions(dict(include_groups=[GROUP]))
    assert users["includeUsers"] == [] and users["includeGroups"] == [GROUP]


def test_raw_conditions_keep_their_own_users():
    conditions = {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                  "users": {"includeUsers": [USER]}}
    body = ca.build_policy("Raw", "enabled", conditions=conditions, grant_controls={"operator": "OR"}, scope=None)
    assert body["conditions"] == conditions and body["conditions"] is not conditions


# --- normalising comparison ----------------------------------------------------------------------

def test_normalize_treats_null_missing_and_empty_alike_and_lists_as_sets():
    assert ca.normalize({"a": None, "b": [], "c": {}, "d": {"e": None}}) is None
    assert ca.normalize({"x": ["b", "a", "b"], "y": False, "z": 0}) == {"x": ["a", "b"], "y": False, "z": 0}
    assert ca.normalize([GROUP.upper(), GROUP]) == [GROUP]
    assert ca.normalize({"authenticationStrength@odata.context": "x", "@odata.type": "y", "k": 1}) == {"k": 1}


def test_graphs_full_shape_equals_the_template_it_came_from():
    desired = ca.build_policy("Block legacy authentication", "report_only", template="block_legacy_auth",
                              scope=dict(exclude_groups=[GROUP]))
    from_graph = {
        "id": "45ab721c-791f-4234-ad6a-392e541f4d2e", "templateId": None, "displayName": "Block legacy authentication",
        "createdDateTime": "2022-10-06T01:42:05Z", "modifiedDateTime": None,
        "state": "enabledForReportingButNotEnforced", "description": None, "deletedDateTime": None,
        "sessionControls": None,
        "conditions": {
            "applications": {"applicationFilter": None, "excludeApplications": [], "includeApplications": ["All"],
                             "includeAuthenticationContextClassReferences": [], "includeUserActions": []},
            "authenticationFlows": None, "clientAppTypes": ["other", "exchangeActiveSync"],
            "clientApplications": None, "devices": None, "insiderRiskLevels": None, "locations": None,
            "platforms": {"includePlatforms": ["all"], "excludePlatforms": []},
            "servicePrincipalRiskLevels": [], "signInRiskLevels": [], "userRiskLevels": [],
            "users": {"excludeGroups": [GROUP.upper()], "excludeGuestsOrExternalUsers": None, "excludeRoles": [],
                      "excludeUsers": [], "includeGroups": [], "includeGuestsOrExternalUsers": None,
                      "includeRoles": [], "includeUsers": ["All"]},
        },
        "grantControls": {"builtInControls": ["block"], "customAuthenticationFactors": [], "operator": "OR",
                          "termsOfUse": [], "authenticationStrength@odata.context": "https://graph.test/$metadata#x",
                          "authenticationStrength": None},
    }
    assert not ca.managed_differs(from_graph, desired)
    # What the task does not speak about is not looked at.
    assert "platforms" not in ca.project(from_graph, desired)["conditions"]
    for path, value in ((("conditions", "users", "excludeGroups"), []),
                        (("conditions", "clientAppTypes"), ["other"]),
                        (("grantControls", "builtInControls"), ["mfa"]),
                        (("state",), "enabled")):
        changed = ca.merge(from_graph, {})
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert ca.managed_differs(changed, desired), path


def test_a_null_in_the_task_clears_a_condition():
    current = {"conditions": {"locations": {"includeLocations": ["All"]}}}
    assert ca.managed_differs(current, {"conditions": {"locations": None}})
    assert not ca.managed_differs({"conditions": {"locations": None}}, {"conditions": {"locations": None}})


def test_merge_is_what_a_patch_makes_of_the_policy():
    current = {"state": "disabled", "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": [GROUP]},
                                                   "platforms": {"includePlatforms": ["all"]}}}
    merged = ca.merge(current, {"state": "enabled", "conditions": {"users": {"excludeGroups": []}}})
    assert merged == {"state": "enabled", "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": []},
                                                         "platforms": {"includePlatforms": ["all"]}}}
    assert current["state"] == "disabled" and current["conditions"]["users"]["excludeGroups"] == [GROUP]


def test_describe_returns_the_normalised_shape_with_policy_state():
    described = ca.describe({"id": "i", "displayName": "P", "state": "enabledForReportingButNotEnforced",
                             "conditions": {"clientAppTypes": ["all"], "locations": None},
                             "grantControls": None, "sessionControls": None})
    assert described == dict(id="i", display_name="P", state="enabledForReportingButNotEnforced",
                             policy_state="report_only", created_date_time=None, modified_date_time=None,
                             conditions={"clientAppTypes": ["all"]}, grant_controls={}, session_controls={})
    assert ca.describe(None) == {}


# --- lockout guard -------------------------------------------------------------------------------

@pytest.mark.parametrize("users, grant, risky", [
    ({"includeUsers": ["All"]}, {"builtInControls": ["block"]}, "block sign-ins of all users"),
    ({"includeUsers": ["All"]}, {"builtInControls": ["mfa"]}, "require MFA of all users"),
    ({"includeUsers": ["All"]}, {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002"}},
     "require MFA of all users"),
    ({"includeUsers": ["All"], "excludeUsers": ["GuestsOrExternalUsers"]}, {"builtInControls": ["mfa"]},
     "require MFA of all users"),
    ({"includeUsers": ["All"], "excludeUsers": [USER]}, {"builtInControls": ["mfa"]}, None),
    ({"includeUsers": ["All"], "excludeGroups": [GROUP]}, {"builtInControls": ["block"]}, None),
    ({"includeUsers": ["All"], "excludeRoles": ["62e90394-69f5-4237-9190-012177145e10"]}, {"builtInControls": ["mfa"]},
     None),
    ({"includeGroups": [GROUP]}, {"builtInControls": ["block"]}, None),
    ({"includeUsers": ["All"]}, {"builtInControls": ["compliantDevice"]}, None),
])
def test_lockout_risk(users, grant, risky):
    risk = ca.lockout_risk({"conditions": {"users": users}, "grantControls": grant})
    if risky:
        assert risky in risk and "no user, group or role excluded" in risk
    else:
        assert risk is None


# --- input checks --------------------------------------------------------------------------------

def test_validation_accepts_keywords_upns_and_ids():
    params = dict(display_name="P", include_users=["GuestsOrExternalUsers", "a@contoso.com", USER],
                  exclude_users=["GuestsOrExternalUsers"], include_groups=["Finance"])
    given = copy.deepcopy(params)
    # Accepted: no ConfigurationError, and the options are left as they were given.
    assert ca.validate_policy_options(params) is None and params == given
    # Removing a policy needs only its name: a scope that would be refused for state=present is not checked.
    with pytest.raises(ConfigurationError):
        ca.validate_policy_options(dict(display_name="P", include_users=["not a name"]))
    assert ca.validate_policy_options(dict(display_name="P", state="absent", include_users=["not a name"])) is None


@pytest.mark.parametrize("params, option, needle", [
    (dict(include_users=["None", USER]), "include_users", "'None' stands alone"),
    (dict(exclude_users=["None"]), "exclude_users", "'None' is neither"),
    (dict(include_groups=[""]), "include_groups", "empty name"),
    (dict(conditions={"clientAppTypes": [], "applications": {}, "users": {}}, include_users=["All"]),
     "conditions", "given twice"),
    (dict(conditions={"applications": {}}), "conditions", "must set clientAppTypes"),
])
def test_validation_errors_name_the_option(params, option, needle):
    with pytest.raises(ConfigurationError) as info:
        ca.validate_policy_options(dict(display_name="P", **params))
    assert info.value.option == option and needle in info.value.message


def test_find_by_name_is_case_insensitive_and_refuses_duplicates():
    policies = [{"id": "1", "displayName": "Block legacy"}, {"id": "2", "displayName": "Other"}]
    assert ca.find_by_name(policies, "BLOCK LEGACY ")["id"] == "1"
    assert ca.find_by_name(policies, "missing") is None
    with pytest.raises(ConfigurationError) as info:
        ca.find_by_name(policies + [{"id": "3", "displayName": "block legacy"}], "Block legacy")
    assert "2 Conditional Access policies are named 'Block legacy' (ids 1, 3)" in info.value.message
    assert "nothing was changed" in info.value.message


# --- pacing and calls ----------------------------------------------------------------------------

def test_pacer_spaces_calls_from_the_end_of_the_previous_one():
    fake_time = FakeTime()
    pacer = ca.Pacer(interval=1.1, clock=fake_time.clock, sleep=fake_time.sleep)

    async def calls():
        async with pacer:
            fake_time.now += 0.3  # the request itself takes 0.3 s
        async with pacer:
            pass
        fake_time.now += 5
        async with pacer:
            pass
    asyncio.run(calls())
    assert fake_time.sleeps == [1.1]
    assert pacer.waited == pytest.approx(1.1)


def test_list_follows_next_links_paced_and_refuses_other_hosts():
    pages = {POLICIES: {"value": [{"id": "1"}], "@odata.nextLink": POLICIES + "?$skiptoken=2"},
             POLICIES + "?$skiptoken=2": {"value": [{"id": "2"}]}}
    policies, session, fake_time = client(lambda method, url, body, headers: (200, pages[url]))
    assert [p["id"] for p in asyncio.run(policies.list())] == ["1", "2"]
    assert [c["url"] for c in session.calls] == [POLICIES, POLICIES + "?$skiptoken=2"]
    assert fake_time.sleeps == [ca.MIN_INTERVAL]

    evil = {"value": [], "@odata.nextLink": "https://evil.test/v1.0/identity/conditionalAccess/policies?x=1"}
    policies, session, _time = client(lambda method, url, body, headers: (200, evil))
    with pytest.raises(TransportError) as info:
        asyncio.run(policies.list())
    assert "evil.test" in str(info.value) and len(session.calls) == 1


class Tokens(object):
    async def get(self, scope, reject=None):
        return "token"


def through_the_pipeline(statuses, fake_time):
    """Conditional Access calls over the real HTTP pipeline (ServiceSession), to a transport
    that answers ``statuses`` in turn (429 without Retry-After, as Conditional Access does),
    then 201 with the policy. Returns the client, the requests sent and the pipeline's waits."""
    sent, waits = [], []

    def handler(request):
        sent.append(request)
        status = statuses.pop(0) if statuses else 201
        if status == 429:
            return httpx.Response(429, json=graph_error("TooManyRequests", "Please retry again later."))
        return httpx.Response(201, json=dict(json.loads(request.content), id="new"))

    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True,
                                   transport=httpx.MockTransport(handler))
    policies = ca.ConditionalAccessPolicies(GraphClient(session, "https://graph.test"),
                                            ca.Pacer(clock=fake_time.clock, sleep=fake_time.sleep))

    async def record(seconds):
        waits.append(seconds)
    return policies, sent, waits, mock.patch.object(_http.asyncio, "sleep", record)


def test_a_429_without_retry_after_is_sent_again_by_the_pipeline_after_a_growing_back_off():
    fake_time = FakeTime()
    policies, sent, waits, no_wait = through_the_pipeline([429, 429, 429], fake_time)
    with no_wait:
        created = asyncio.run(policies.create({"displayName": "P", "state": "disabled"}))
    assert created["id"] == "new"
    assert [r.method for r in sent] == ["POST"] * 4
    assert all(json.loads(r.content) == {"displayName": "P", "state": "disabled"} for r in sent)
    # One call for the pacer, however often the pipeline sent it; its waits are the back-off.
    assert policies.requests_sent == 1 and fake_time.sleeps == []
    assert len(waits) == 3
    assert 1.0 <= waits[0] <= 1.5 and 2.0 <= waits[1] <= 2.5 and 4.0 <= waits[2] <= 4.5


def test_throttling_gives_up_after_the_pipelines_sends():
    fake_time = FakeTime()
    policies, sent, waits, no_wait = through_the_pipeline([429] * 100, fake_time)
    with no_wait, pytest.raises(ThrottledError) as info:
        asyncio.run(policies.get("p1", "My policy"))
    assert len(sent) == _http.MAX_SENDS and policies.requests_sent == 1
    assert info.value.operation == "Read the Conditional Access policy" and info.value.target == "My policy"
    assert info.value.status == 429
    assert sum(waits) > 30


def test_writes_name_both_permissions_and_delete_tolerates_a_policy_already_gone():
    def handler(method, url, body, headers):
        if method == "PATCH":
            return 403, graph_error("Authorization_RequestDenied", "Insufficient privileges")
        return 404, graph_error("Request_ResourceNotFound", "gone")
    policies, session, _time = client(handler)
    asyncio.run(policies.delete("p1"))
    assert session.calls[0]["method"] == "DELETE" and session.calls[0]["safe"] is True
    with pytest.raises(Exception) as info:
        asyncio.run(policies.update("p1", {"displayName": "P", "state": "enabled"}))
    assert "Policy.Read.All and Policy.ReadWrite.ConditionalAccess" in info.value.to_message()
    assert session.calls[1]["safe"] is True


# --- name resolution -----------------------------------------------------------------------------

class Resolver(object):
    def __init__(self, users, groups):
        self.users, self.groups = users, groups
        self.asked = []

    async def resolve_users(self, identifiers, select, operation=None):
        self.asked.append(("users", list(identifiers)))
        return (dict((i, {"id": self.users[i]}) for i in identifiers if i in self.users),
                [i for i in identifiers if i not in self.users])

    async def resolve_groups(self, identifiers, operation=None):
        self.asked.append(("groups", list(identifiers)))
        return (dict((i, {"id": self.groups[i]}) for i in identifiers if i in self.groups),
                [i for i in identifiers if i not in self.groups])


def test_resolve_scope_keeps_keywords_and_maps_names_to_ids():
    graph = Resolver({"bg@contoso.com": USER}, {"Break Glass Accounts": GROUP})
    scope = asyncio.run(ca.resolve_scope(graph, dict(include_users=["All"], exclude_users=["GuestsOrExternalUsers",
                                                                                           "bg@contoso.com"],
                                                     exclude_groups=["Break Glass Accounts"])))
    assert scope == dict(include_users=["All"], include_groups=[], exclude_users=["GuestsOrExternalUsers", USER],
                         exclude_groups=[GROUP])
    assert ("users", ["bg@contoso.com"]) in graph.asked


def test_resolve_scope_lists_every_missing_name():
    graph = Resolver({}, {"Finance": GROUP})
    with pytest.raises(NotFoundError) as info:
        asyncio.run(ca.resolve_scope(graph, dict(include_users=["a@contoso.com"], include_groups=["Finance", "Nope"],
                                                 exclude_users=["b@contoso.com"], exclude_groups=["Gone"])))
    message = info.value.message
    assert "include_users: 'a@contoso.com'" in message and "include_groups: 'Nope'" in message
    assert "exclude_users: 'b@contoso.com'" in message and "exclude_groups: 'Gone'" in message
    assert "Finance" not in message and "Nothing was changed" in message


def test_resolve_scope_asks_nothing_for_keywords_only():
    graph = Resolver({}, {})
    scope = asyncio.run(ca.resolve_scope(graph, dict(include_users=["All"])))
    assert graph.asked == [] and scope["include_users"] == ["All"]
