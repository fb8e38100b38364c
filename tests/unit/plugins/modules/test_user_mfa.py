# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.modules import user_mfa
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeGraphTenant, make_users
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_graph

STATES = {0: "enforced", 1: "enabled", 2: "disabled", 3: "enforced"}


def tenant(**kwargs):
    return FakeGraphTenant(make_users(6, guests=(5,), states=STATES), **kwargs)


def test_check_mode_predicts_and_writes_nothing():
    fake = tenant()
    result, failed, made = run_with_graph(user_mfa.main, dict(state="enforced", all_users=True,
                                                              _ansible_check_mode=True), fake)
    assert not failed, result
    assert fake.patches == []
    assert result["changed"] is True
    assert result["summary"] == dict(targets=5, compliant=2, changed=3, failed=0)
    assert sorted(c["user_principal_name"] for c in result["changes"]) == [
        "user1@contoso.com", "user2@contoso.com", "user4@contoso.com"]
    assert {c["before"] for c in result["changes"]} == {"enabled", "disabled"}
    assert "TopSecret-123" not in repr(result)


def test_apply_matches_check_mode_then_is_idempotent():
    fake = tenant()
    predicted, _failed, _made = run_with_graph(user_mfa.main, dict(state="enforced", all_users=True,
                                                                   _ansible_check_mode=True), fake)
    applied, failed, made = run_with_graph(user_mfa.main, dict(state="enforced", all_users=True), fake)
    assert not failed
    assert applied["changes"] == predicted["changes"] and applied["summary"] == predicted["summary"]
    assert sorted(fake.patches) == [("user1@contoso.com", "enforced"), ("user2@contoso.com", "enforced"),
                                    ("user4@contoso.com", "enforced")]
    # Reads: one page of users, one batch of states; writes: one batch.
    assert len(made[0].graph_session.calls) == 3
    again, failed, made = run_with_graph(user_mfa.main, dict(state="enforced", all_users=True), fake)
    assert not failed and again["changed"] is False and again["changes"] == []
    assert len(made[0].graph_session.calls) == 2


def test_enabled_leaves_enforced_users_alone():
    fake = tenant()
    result, _failed, _made = run_with_graph(user_mfa.main, dict(state="enabled", all_users=True), fake)
    assert sorted(fake.patches) == [("user2@contoso.com", "enabled"), ("user4@contoso.com", "enabled")]
    assert result["summary"]["compliant"] == 3


def test_diff_lists_each_user():
    result, _failed, _made = run_with_graph(user_mfa.main, dict(state="disabled", users=["user0@contoso.com"],
                                                                _ansible_diff=True), tenant())
    assert result["diff"] == {"before": {"user0@contoso.com": "enforced"},
                              "after": {"user0@contoso.com": "disabled"}}


def test_max_changes_fails_before_writing():
    fake = tenant()
    result, failed, _made = run_with_graph(user_mfa.main, dict(state="disabled", all_users=True, max_changes=1), fake)
    assert failed and fake.patches == []
    assert "3 users would change, more than max_changes=1" in result["msg"]


def test_one_failed_write_fails_the_task_with_everything_returned():
    users = make_users(6, guests=(5,), states=STATES)
    fake = FakeGraphTenant(users, item_faults={("PATCH", users[2]["id"]): [403]})
    result, failed, _made = run_with_graph(user_mfa.main, dict(state="enforced", all_users=True), fake)
    assert failed
    assert result["changed"] is True
    assert result["summary"] == dict(targets=5, compliant=2, changed=2, failed=1)
    assert result["failures"][0]["user_principal_name"] == "user2@contoso.com"
    assert result["failures"][0]["status"] == 403
    assert "user2@contoso.com" in result["msg"]
    assert len(fake.patches) == 2


def test_throttled_write_is_retried():
    users = make_users(6, guests=(5,), states=STATES)
    fake = FakeGraphTenant(users, item_faults={("PATCH", users[2]["id"]): [429, 503]})
    result, failed, _made = run_with_graph(user_mfa.main, dict(state="enforced", all_users=True), fake)
    assert not failed and result["summary"]["changed"] == 3


def test_missing_user_fails_without_any_state_request():
    fake = tenant()
    result, failed, made = run_with_graph(user_mfa.main, dict(state="enforced", users=["ghost@contoso.com"]), fake)
    assert failed and "ghost@contoso.com" in result["msg"]
    assert all("authentication" not in str(c["body"]) for c in made[0].graph_session.calls)


def test_bad_input_fails_before_connecting():
    for args, needle in ((dict(state="enforced"), "no users selected"),
                         (dict(state="enforced", all_users=True, max_changes=-2), "max_changes"),
                         (dict(state="on", all_users=True), "state")):
        result, failed, made = run_with_graph(user_mfa.main, args, tenant())
        assert failed and needle in result["msg"]
        assert made == []
