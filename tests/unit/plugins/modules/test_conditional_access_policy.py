# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.module_utils._conditional_access import PRIVILEGED_ROLES
from ansible_collections.m365.admin.plugins.modules import conditional_access_policy
from ansible_collections.m365.admin.tests.unit.m365_helpers import losing_the_answer
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_graph
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_policy_fakes import (
    ALICE,
    BREAK_GLASS_GROUP,
    BREAK_GLASS_USER,
    FakePolicyTenant,
    legacy_policy,
)

MFA = dict(display_name="Require MFA for all users", template="require_mfa", exclude_groups=["Break Glass Accounts"])


def run(fake, **args):
    result, failed, made = run_with_graph(conditional_access_policy.main, args, fake)
    return result, failed, made


def expected_mfa_body(state="enabledForReportingButNotEnforced"):
    return {"displayName": "Require MFA for all users", "state": state,
            "conditions": {"clientAppTypes": ["all"],
                           "applications": {"includeApplications": ["All"], "excludeApplications": []},
                           "users": {"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [],
                                     "excludeGroups": [BREAK_GLASS_GROUP], "includeRoles": [], "excludeRoles": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}


def test_a_policy_equal_to_the_template_in_graphs_full_shape_is_unchanged():
    # Lists in another order, a GUID in upper case, every default array and null present.
    fake = FakePolicyTenant([legacy_policy()])
    result, failed, made = run(fake, display_name="Block legacy authentication", template="block_legacy_auth",
                               exclude_groups=["Break Glass Accounts"], _ansible_diff=True)
    assert not failed, result
    assert result["changed"] is False and fake.writes == []
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["policy"]["policy_state"] == "report_only"
    assert result["policy"]["conditions"]["clientAppTypes"] == ["exchangeActiveSync", "other"]
    assert fake.ca_calls == [("GET", "/v1.0/identity/conditionalAccess/policies")]


def test_a_name_in_another_case_renames_the_policy_instead_of_creating_one():
    fake = FakePolicyTenant([legacy_policy()])
    policy_id = fake.policies[0]["id"]
    result, failed, _made = run(fake, display_name="Block Legacy Authentication", template="block_legacy_auth",
                                exclude_groups=["Break Glass Accounts"])
    assert not failed and result["changed"] is True
    assert fake.writes[0][:2] == ("PATCH", policy_id)
    assert fake.writes[0][2]["displayName"] == "Block Legacy Authentication"
    assert [p["displayName"] for p in fake.policies] == ["Block Legacy Authentication"]


def test_check_mode_predicts_the_new_policy_and_writes_nothing():
    fake = FakePolicyTenant([legacy_policy()])
    result, failed, _made = run(fake, _ansible_check_mode=True, **MFA)
    assert not failed, result
    assert result["changed"] is True and fake.writes == []
    assert result["policy"]["id"] is None
    assert result["policy"]["policy_state"] == "report_only"
    assert result["policy"]["conditions"]["users"] == {"includeUsers": ["All"], "excludeGroups": [BREAK_GLASS_GROUP]}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["grantControls"] == {"builtInControls": ["mfa"], "operator": "OR"}


def test_create_sends_the_template_and_is_then_idempotent():
    fake = FakePolicyTenant([legacy_policy()])
    created, failed, _made = run(fake, **MFA)
    assert not failed, created
    assert fake.writes == [("POST", expected_mfa_body())]
    assert created["changed"] is True and created["policy"]["id"] == fake.policy("Require MFA for all users")["id"]
    again, failed, _made = run(fake, **MFA)
    assert not failed and again["changed"] is False
    assert len(fake.writes) == 1
    assert again["policy"] == created["policy"]


def test_enabling_patches_the_managed_fields_and_reads_the_policy_back():
    fake = FakePolicyTenant([legacy_policy()])
    run(fake, **MFA)
    policy_id = fake.policy("Require MFA for all users")["id"]
    result, failed, _made = run(fake, policy_state="enabled", _ansible_diff=True, **MFA)
    assert not failed, result
    assert fake.writes[-1] == ("PATCH", policy_id, expected_mfa_body("enabled"))
    assert fake.ca_calls[-3:] == [("GET", "/v1.0/identity/conditionalAccess/policies"),
                                  ("PATCH", "/v1.0/identity/conditionalAccess/policies/" + policy_id),
                                  ("GET", "/v1.0/identity/conditionalAccess/policies/" + policy_id)]
    assert result["policy"]["policy_state"] == "enabled"
    assert result["policy"]["modified_date_time"] == "2026-11-22T10:00:00Z"
    assert result["diff"]["before"]["state"] == "enabledForReportingButNotEnforced"
    assert result["diff"]["after"]["state"] == "enabled"


def test_fields_the_task_does_not_manage_are_neither_compared_nor_sent():
    policy = legacy_policy()
    policy["sessionControls"] = {"signInFrequency": {"value": 12, "type": "hours", "isEnabled": True}}
    policy["conditions"]["platforms"] = {"includePlatforms": ["all"], "excludePlatforms": ["linux"]}
    fake = FakePolicyTenant([policy])
    result, failed, _made = run(fake, display_name="Block legacy authentication", template="block_legacy_auth",
                                exclude_groups=["Break Glass Accounts"], policy_state="enabled")
    assert not failed, result
    body = fake.writes[0][2]
    assert "sessionControls" not in body and "platforms" not in body["conditions"]
    assert result["policy"]["session_controls"]["signInFrequency"]["value"] == 12
    assert result["policy"]["conditions"]["platforms"] == {"excludePlatforms": ["linux"], "includePlatforms": ["all"]}


def test_a_changed_exclusion_is_a_change():
    fake = FakePolicyTenant([legacy_policy()])
    result, failed, _made = run(fake, display_name="Block legacy authentication", template="block_legacy_auth",
                                exclude_users=["breakglass1@contoso.onmicrosoft.com"])
    assert not failed and result["changed"] is True
    users = fake.writes[0][2]["conditions"]["users"]
    assert users["excludeUsers"] == [BREAK_GLASS_USER] and users["excludeGroups"] == []


def test_require_mfa_admins_targets_the_privileged_roles_only():
    fake = FakePolicyTenant()
    result, failed, _made = run(fake, display_name="Admins", template="require_mfa_admins",
                                include_users=["alice@contoso.com"], exclude_users=["breakglass1@contoso.onmicrosoft.com"])
    assert not failed, result
    users = fake.writes[0][1]["conditions"]["users"]
    assert users["includeRoles"] == [role for role, _name in PRIVILEGED_ROLES] and len(users["includeRoles"]) == 14
    assert users["includeUsers"] == [ALICE]
    assert users["excludeUsers"] == [BREAK_GLASS_USER]


def test_raw_conditions_and_grant_controls_are_sent_as_given():
    conditions = {"clientAppTypes": ["browser"], "applications": {"includeApplications": ["Office365"]},
                  "users": {"includeUsers": ["All"], "excludeUsers": ["GuestsOrExternalUsers", BREAK_GLASS_USER]}}
    grant = {"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}
    fake = FakePolicyTenant()
    result, failed, _made = run(fake, display_name="Raw", conditions=conditions, grant_controls=grant)
    assert not failed, result
    assert fake.writes == [("POST", {"displayName": "Raw", "state": "enabledForReportingButNotEnforced",
                                     "conditions": conditions, "grantControls": grant})]
    again, _failed, _made = run(fake, display_name="Raw", conditions=conditions, grant_controls=grant)
    assert again["changed"] is False


def test_lockout_guard_refuses_to_create_without_exclusions():
    fake = FakePolicyTenant()
    for extra in ({}, {"exclude_users": ["GuestsOrExternalUsers"]}):
        result, failed, _made = run(fake, display_name="Require MFA for all users", template="require_mfa", **extra)
        assert failed and fake.writes == []
        assert "Refusing to create the Conditional Access policy 'Require MFA for all users'" in result["msg"]
        assert "require MFA of all users with no user, group or role excluded" in result["msg"]
        assert "allow_no_exclusions" in result["msg"]
    result, failed, _made = run(fake, display_name="Require MFA for all users", template="require_mfa",
                                allow_no_exclusions=True)
    assert not failed and result["changed"] is True and len(fake.writes) == 1


def test_lockout_guard_refuses_to_enable_an_existing_policy_without_exclusions():
    fake = FakePolicyTenant([legacy_policy(includeUsers=["All"])])
    args = dict(display_name="Block legacy authentication", template="block_legacy_auth")
    result, failed, _made = run(fake, **args)
    assert not failed and result["changed"] is False  # report-only and unchanged: nothing to refuse
    result, failed, _made = run(fake, policy_state="enabled", _ansible_check_mode=True, **args)
    assert failed and "Refusing to enable" in result["msg"] and "block sign-ins of all users" in result["msg"]
    result, failed, _made = run(fake, policy_state="enabled", **args)
    assert failed and fake.writes == []
    result, failed, _made = run(fake, policy_state="disabled", **args)
    assert not failed and fake.writes[0][2]["state"] == "disabled"


def test_duplicate_display_names_fail_for_present_and_absent():
    first, second = legacy_policy(), legacy_policy()
    second["displayName"] = "BLOCK legacy authentication"
    fake = FakePolicyTenant([first, second])
    ids = sorted(p["id"] for p in fake.policies)
    for args in (dict(template="block_legacy_auth", exclude_groups=["Break Glass Accounts"]), dict(state="absent")):
        result, failed, _made = run(fake, display_name="Block legacy authentication", **args)
        assert failed and fake.writes == []
        assert "2 Conditional Access policies are named 'Block legacy authentication'" in result["msg"]
        assert "ids %s, %s" % tuple(ids) in result["msg"]


def test_every_missing_name_is_listed_before_any_conditional_access_call():
    fake = FakePolicyTenant([legacy_policy()])
    result, failed, _made = run(fake, display_name="X", template="require_mfa",
                                include_groups=["Finance", "Nope"],
                                exclude_users=["ghost@contoso.com", "breakglass1@contoso.onmicrosoft.com"],
                                exclude_groups=["Gone"])
    assert failed
    assert "include_groups: 'Nope'" in result["msg"]
    assert "exclude_users: 'ghost@contoso.com'" in result["msg"]
    assert "exclude_groups: 'Gone'" in result["msg"]
    assert fake.ca_calls == [] and fake.writes == []


def test_an_ambiguous_group_name_fails():
    result, failed, _made = run(FakePolicyTenant(), display_name="X", template="require_mfa", exclude_groups=["Twins"])
    assert failed and "more than one group is named 'Twins'" in result["msg"]


def test_absent_check_mode_then_delete_then_idempotent():
    fake = FakePolicyTenant([legacy_policy()])
    policy_id = fake.policies[0]["id"]
    result, failed, _made = run(fake, display_name="Block legacy authentication", state="absent",
                                _ansible_check_mode=True)
    assert not failed and result["changed"] is True and fake.writes == []
    assert result["diff"]["before"]["id"] == policy_id and result["diff"]["after"] == {}
    result, failed, _made = run(fake, display_name="Block legacy authentication", state="absent")
    assert not failed and result["changed"] is True and fake.writes == [("DELETE", policy_id)]
    assert result["policy"] == {}
    result, failed, _made = run(fake, display_name="Block legacy authentication", state="absent")
    assert not failed and result["changed"] is False and len(fake.writes) == 1


def test_throttling_the_pipeline_gave_up_on_fails_clearly_and_is_not_sent_again_by_the_module():
    # The fake session stands for the HTTP pipeline after its last send (its retries are tested in
    # test__conditional_access and test_reliability): the module adds no retry loop of its own.
    fake = FakePolicyTenant(throttle=[429, 429])
    result, failed, _made = run(fake, **MFA)
    assert failed
    assert result["msg"].startswith("List Conditional Access policies failed: still throttled")
    assert result["error"]["status"] == 429
    assert fake.ca_calls == [("GET", "/v1.0/identity/conditionalAccess/policies")] and fake.writes == []


def test_enabling_while_security_defaults_are_on_is_explained():
    fake = FakePolicyTenant(security_defaults=True)
    result, failed, _made = run(fake, policy_state="enabled", _ansible_check_mode=True, **MFA)
    assert failed and "a real run would fail" in result["msg"]
    assert "while security defaults are enabled" in result["msg"]
    result, failed, _made = run(fake, policy_state="enabled", **MFA)
    assert failed and fake.writes == []
    assert result["msg"].startswith("Create the Conditional Access policy (Require MFA for all users) failed: HTTP 400")
    assert "policy_state: report_only" in result["msg"] and "m365.admin.security_defaults" in result["msg"]
    result, failed, _made = run(fake, **MFA)
    assert not failed and fake.writes[0][1]["state"] == "enabledForReportingButNotEnforced"


def test_bad_input_fails_before_connecting():
    cases = (
        (dict(display_name="X"), "any of the following are missing: template, conditions"),
        (dict(display_name="X", template="require_mfa", conditions={}), "mutually exclusive"),
        (dict(display_name="X", conditions={"clientAppTypes": ["all"]}), "grant_controls"),
        (dict(display_name="X", template="require_mfa", include_users=["All", "alice@contoso.com"]), "'All' stands alone"),
        (dict(display_name="X", template="require_mfa", exclude_users=["All"]), "exclude_users: 'All' is neither"),
        (dict(display_name="X", template="require_mfa", exclude_users=["Alice Smith"]), "'Alice Smith' is neither"),
        (dict(display_name="X", conditions={"clientAppTypes": ["all"], "applications": {}, "users": {}},
              grant_controls={}, exclude_groups=["G"]), "the users are given twice"),
        (dict(display_name="X", conditions={"client_app_types": ["all"]}, grant_controls={}), "must set clientAppTypes"),
        (dict(display_name=" ", template="require_mfa"), "display_name must not be empty"),
        (dict(display_name="X", template="require_mfa", policy_state="on"), "policy_state"),
    )
    for args, needle in cases:
        result, failed, made = run(FakePolicyTenant(), **args)
        assert failed and needle in result["msg"], (args, result["msg"])
        assert made == []


def losing_the_answer_to_create(fake, applied):
    """``fake``, losing the answer to the POST that creates a policy (after creating it when
    ``applied``)."""
    return losing_the_answer(fake, lambda method, url, body: method == "POST" and url.endswith(
        "/identity/conditionalAccess/policies"), applied, "Create the Conditional Access policy")


def test_a_create_whose_answer_is_lost_is_read_back_not_sent_again():
    fake = FakePolicyTenant([legacy_policy()])
    result, failed, _made = run_with_graph(conditional_access_policy.main, dict(MFA), losing_the_answer_to_create(fake, True))
    assert not failed, result
    assert result["changed"] is True and result["policy"]["id"] == fake.policy("Require MFA for all users")["id"]
    assert [w[0] for w in fake.writes] == ["POST"]


def test_a_create_whose_answer_is_lost_and_that_did_not_happen_fails():
    fake = FakePolicyTenant([legacy_policy()])
    result, failed, _made = run_with_graph(conditional_access_policy.main, dict(MFA), losing_the_answer_to_create(fake, False))
    assert failed and "connection was lost" in result["msg"]
    assert fake.writes == [] and not [p for p in fake.policies if p["displayName"] == "Require MFA for all users"]
