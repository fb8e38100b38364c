# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.modules import conditional_access_policy_info
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_graph
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_policy_fakes import (
    BREAK_GLASS_GROUP,
    FakePolicyTenant,
    legacy_policy,
)


def tenant(**kwargs):
    admins = {"displayName": "Require MFA for administrators", "state": "enabled",
              "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
                             "users": {"includeRoles": ["62e90394-69f5-4237-9190-012177145e10"]}},
              "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}
    off = dict(legacy_policy(state="disabled"), displayName="an old policy")
    return FakePolicyTenant([legacy_policy(), admins, off], **kwargs)


def test_every_policy_in_the_normalised_shape_sorted_by_name():
    result, failed, _made = run_with_graph(conditional_access_policy_info.main, {}, tenant())
    assert not failed, result
    assert [p["display_name"] for p in result["policies"]] == [
        "an old policy", "Block legacy authentication", "Require MFA for administrators"]
    legacy = result["policies"][1]
    assert legacy["state"] == "enabledForReportingButNotEnforced" and legacy["policy_state"] == "report_only"
    # Nulls, empty lists and OData annotations are gone; lists sorted; GUIDs lower case.
    assert legacy["conditions"] == {"applications": {"includeApplications": ["All"]},
                                    "clientAppTypes": ["exchangeActiveSync", "other"],
                                    "users": {"excludeGroups": [BREAK_GLASS_GROUP], "includeUsers": ["All"]}}
    assert legacy["grant_controls"] == {"builtInControls": ["block"], "operator": "OR"}
    assert legacy["session_controls"] == {}
    assert result["counts"] == {"enabled": 1, "disabled": 1, "report_only": 1}
    assert result["security_defaults_enabled"] is False
    assert result["changed"] is False


def test_by_display_name_case_insensitively_duplicates_included():
    fake = tenant()
    fake.policies.append(dict(fake.policies[0], id="dup-id", displayName="BLOCK LEGACY AUTHENTICATION"))
    result, failed, _made = run_with_graph(conditional_access_policy_info.main,
                                           dict(display_name="Block legacy authentication"), fake)
    assert not failed
    assert sorted(p["id"] for p in result["policies"]) == sorted([fake.policies[0]["id"], "dup-id"])
    none, _failed, _made = run_with_graph(conditional_access_policy_info.main, dict(display_name="nothing"), fake)
    assert none["policies"] == [] and none["counts"] == {"enabled": 0, "disabled": 0, "report_only": 0}


def test_every_page_is_read():
    fake = tenant(page_size=1)
    result, failed, _made = run_with_graph(conditional_access_policy_info.main, {}, fake)
    assert not failed and len(result["policies"]) == 3
    assert [call[0] for call in fake.ca_calls] == ["GET"] * 3


def test_a_list_still_throttled_after_the_pipelines_retries_fails_and_is_not_read_again():
    # The fake session stands for the HTTP pipeline after its last send; the module does not
    # send the list again on its own (one owner per kind of retry: docs/reliability.md).
    fake = tenant(throttle=[429])
    result, failed, _made = run_with_graph(conditional_access_policy_info.main, {}, fake)
    assert failed and result["error"]["status"] == 429 and "still throttled" in result["msg"]
    assert len(fake.ca_calls) == 1
