# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.modules import user_mfa_info
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeGraphTenant, make_users
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_graph


def test_states_and_counts():
    users = make_users(5, guests=(4,), states={0: "enforced", 1: "enabled"})
    result, failed, _made = run_with_graph(user_mfa_info.main, dict(all_users=True, include_guests=True),
                                           FakeGraphTenant(users))
    assert not failed and result["changed"] is False
    assert result["counts"] == {"disabled": 3, "enabled": 1, "enforced": 1}
    assert [u["user_principal_name"] for u in result["users"]][:2] == ["user0@contoso.com", "user1@contoso.com"]
    assert result["users"][4]["user_type"] == "Guest"
    assert result["failures"] == []


def test_unreadable_user_is_a_failure_entry_not_a_crash():
    users = make_users(3)
    fake = FakeGraphTenant(users, item_faults={("GET", users[1]["id"]): [404]})
    result, failed, _made = run_with_graph(user_mfa_info.main, dict(all_users=True), fake)
    assert not failed
    assert len(result["users"]) == 2 and result["failures"][0]["status"] == 404


def test_never_writes_even_outside_check_mode():
    fake = FakeGraphTenant(make_users(3))
    run_with_graph(user_mfa_info.main, dict(all_users=True), fake)
    assert fake.patches == []
