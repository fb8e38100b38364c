# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _mfa
from ansible_collections.m365.admin.plugins.module_utils._errors import PermissionDeniedError
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.plugins.module_utils._reconcile import Change
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeGraphTenant, ScriptedSession, make_users


pytestmark = pytest.mark.usefixtures("no_sleep")


def test_enforced_satisfies_enabled_but_not_the_reverse():
    assert _mfa.state_satisfied("enforced", "enabled")
    assert not _mfa.state_satisfied("enabled", "enforced")
    assert not _mfa.state_satisfied("enforced", "disabled")
    assert _mfa.state_satisfied("disabled", "disabled")


def test_read_uses_beta_batches_and_separates_failures():
    users = make_users(45, states={1: "enforced", 2: "enabled"})
    faults = {("GET", users[3]["id"]): [429, 429], ("GET", users[4]["id"]): [404], ("GET", users[5]["id"]): [403]}
    session = ScriptedSession(FakeGraphTenant(users, item_faults=faults))
    targets, failures = asyncio.run(_mfa.PerUserMfa(GraphClient(session, "https://graph.test")).read(users))
    assert len(targets) == 43
    assert {t.key: t.current["state"] for t in targets}[users[1]["id"]] == "enforced"
    assert users[3]["id"] in [t.key for t in targets]  # throttled twice, then read
    expected = sorted([(users[4]["id"], 404), (users[5]["id"], 403)])
    assert sorted((f.target.key, f.status) for f in failures) == expected
    assert all(c["url"] == "https://graph.test/beta/$batch" for c in session.calls)
    # 45 items: 3 envelopes, then one retry envelope with the throttled item, then another.
    assert len(session.calls) == 5


def test_read_refused_for_everyone_is_a_permission_error():
    users = make_users(3)
    faults = dict((("GET", u["id"]), [403]) for u in users)
    session = ScriptedSession(FakeGraphTenant(users, item_faults=faults))
    with pytest.raises(PermissionDeniedError) as info:
        asyncio.run(_mfa.PerUserMfa(GraphClient(session, "https://graph.test")).read(users))
    assert "Policy.Read.All" in info.value.to_message()


def test_write_patches_and_reports_per_user_failures():
    users = make_users(3)
    tenant = FakeGraphTenant(users, item_faults={("PATCH", users[1]["id"]): [403]})
    session = ScriptedSession(tenant)
    changes = [Change(_mfa.user_target(u, "disabled"), {"state": "disabled"}, {"state": "enforced"}) for u in users]
    failures = asyncio.run(_mfa.PerUserMfa(GraphClient(session, "https://graph.test")).write(changes))
    assert [f.target.key for f in failures] == [users[1]["id"]]
    assert "Policy.ReadWrite.AuthenticationMethod" in failures[0].error
    assert sorted(tenant.patches) == [("user0@contoso.com", "enforced"), ("user2@contoso.com", "enforced")]
    item = session.calls[0]["body"]["requests"][0]
    assert item["method"] == "PATCH" and item["body"] == {"perUserMfaState": "enforced"}
    # Not sent again when the answer is lost: the users are read back instead.
    assert session.calls[0]["safe"] is False
