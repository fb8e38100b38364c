# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _security_defaults
from ansible_collections.m365.admin.plugins.module_utils._errors import PermissionDeniedError
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.tests.unit.m365_helpers import ScriptedSession, graph_error

URL = "https://graph.test/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
POLICIES = "https://graph.test/v1.0/identity/conditionalAccess/policies"


pytestmark = pytest.mark.usefixtures("no_sleep")


def graph(handler):
    session = ScriptedSession(handler)
    return GraphClient(session, "https://graph.test"), session


def test_read_returns_enabled_as_a_bool():
    client, session = graph(lambda m, u, b, h: (200, {"id": "00000000-0000-0000-0000-000000000005",
                                                      "displayName": "Security Defaults", "isEnabled": True}))
    assert asyncio.run(_security_defaults.read(client)) == {"id": "00000000-0000-0000-0000-000000000005",
                                                            "display_name": "Security Defaults", "enabled": True}
    assert session.calls[0]["url"] == URL and session.calls[0]["method"] == "GET"


def test_write_patches_only_is_enabled_and_may_be_resent():
    client, session = graph(lambda m, u, b, h: (204, None))
    asyncio.run(_security_defaults.write(client, False))
    assert session.calls == [dict(method="PATCH", url=URL, body={"isEnabled": False}, headers={}, safe=True,
                                  retry=True)]


def test_read_without_permission_names_policy_read_all():
    client, _session = graph(lambda m, u, b, h: (403, graph_error("Authorization_RequestDenied", "Insufficient")))
    with pytest.raises(PermissionDeniedError) as info:
        asyncio.run(_security_defaults.read(client))
    assert "Policy.Read.All" in info.value.to_message()


def test_enabled_policy_names_lists_only_enforced_policies_sorted():
    policies = {"value": [{"id": "1", "displayName": "Zeta", "state": "enabled"},
                          {"id": "2", "displayName": "Alpha", "state": "enabled"},
                          {"id": "3", "displayName": "Report", "state": "enabledForReportingButNotEnforced"},
                          {"id": "4", "displayName": "Off", "state": "disabled"}]}
    client, session = graph(lambda m, u, b, h: (200, policies))
    assert asyncio.run(_security_defaults.enabled_policy_names(client)) == ["Alpha", "Zeta"]
    assert session.calls[0]["url"] == POLICIES


def test_quietly_swallows_only_the_collections_errors():
    client, _session = graph(lambda m, u, b, h: (403, graph_error("Authorization_RequestDenied", "no")))
    assert asyncio.run(_security_defaults.quietly(_security_defaults.read(client), {"x": 1})) == {"x": 1}

    async def broken():
        raise ValueError("a bug")
    with pytest.raises(ValueError):
        asyncio.run(_security_defaults.quietly(broken()))


def test_messages_say_what_to_do():
    one = _security_defaults.security_defaults_blocked(["Require MFA for administrators"])
    assert "1 policy is enabled ('Require MFA for administrators')" in one and "Set it to disabled" in one
    two = _security_defaults.security_defaults_blocked(["A", "B"])
    assert "2 policies are enabled ('A', 'B')" in two and "Set them to disabled or report_only" in two
    assert "policy_state: report_only" in _security_defaults.conditional_access_blocked()
