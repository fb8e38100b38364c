# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio

import pytest

from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, NotFoundError
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.plugins.module_utils._selection import select_users
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeGraphTenant, ScriptedSession, make_users

USERS = make_users(10, guests=(8, 9))
IDS = [u["id"] for u in USERS]
GROUPS = {"Finance": ("11111111-0000-4000-8000-000000000001", IDS[0:3]),
          "Break Glass": ("11111111-0000-4000-8000-000000000002", IDS[2:4] + [IDS[9]])}


def select(**params):
    base = dict(users=[], groups=[], all_users=False, include_guests=False, exclude_users=[], exclude_groups=[],
                missing="fail")
    base.update(params)
    session = ScriptedSession(FakeGraphTenant(USERS, GROUPS))
    selection = asyncio.run(select_users(GraphClient(session, "https://graph.test"), base))
    return selection, session


def upns(selection):
    return sorted(u["userPrincipalName"] for u in selection.users.values())


def test_all_users_are_members_only_unless_guests_included():
    assert len(select(all_users=True)[0].users) == 8
    assert len(select(all_users=True, include_guests=True)[0].users) == 10


def test_union_of_users_and_groups():
    selection, _session = select(users=["user5@contoso.com", IDS[6]], groups=["Finance"])
    assert upns(selection) == ["user0@contoso.com", "user1@contoso.com", "user2@contoso.com",
                               "user5@contoso.com", "user6@contoso.com"]


def test_exclusions_win_over_every_selector():
    selection, _session = select(all_users=True, include_guests=True, users=["user3@contoso.com"],
                                 exclude_users=["user0@contoso.com"], exclude_groups=["Break Glass"])
    assert upns(selection) == ["user%d@contoso.com" % i for i in (1, 4, 5, 6, 7, 8)]


def test_group_members_are_read_as_an_advanced_query():
    # Graph refuses the user cast of transitiveMembers without ConsistencyLevel and $count=true.
    selection, session = select(groups=["Finance"], exclude_groups=["Break Glass"])
    assert upns(selection) == ["user0@contoso.com", "user1@contoso.com"]
    reads = session.calls_to("/transitiveMembers/microsoft.graph.user")
    assert len(reads) == 2
    assert all(c["headers"].get("ConsistencyLevel") == "eventual" and "$count=true" in c["url"] for c in reads)


def test_group_by_id():
    selection, _session = select(groups=[GROUPS["Finance"][0]])
    assert len(selection.users) == 3


def test_explicit_guest_is_selected():
    assert upns(select(users=["user9@contoso.com"])[0]) == ["user9@contoso.com"]


def test_every_missing_name_is_listed_including_exclusions():
    with pytest.raises(NotFoundError) as info:
        select(users=["ghost@contoso.com", "user1@contoso.com"], groups=["Nobody"],
               exclude_users=["typo@contoso.com"], exclude_groups=["Also Nobody"])
    message = info.value.to_message()
    for name in ("ghost@contoso.com", "Nobody", "typo@contoso.com", "Also Nobody"):
        assert name in message
    assert "Nothing was changed" in message and "missing: ignore" in message


def test_missing_ignored_are_returned():
    selection, _session = select(users=["ghost@contoso.com", "user1@contoso.com"], missing="ignore")
    assert upns(selection) == ["user1@contoso.com"]
    assert selection.missing == {"users": ["ghost@contoso.com"]}


def test_no_selector_is_refused_before_any_request():
    session = ScriptedSession(FakeGraphTenant(USERS))
    with pytest.raises(ConfigurationError) as info:
        params = dict(users=[], groups=[], all_users=False)
        asyncio.run(select_users(GraphClient(session, "https://graph.test"), params))
    assert info.value.option == "users" and session.calls == []


def test_empty_name_is_refused():
    with pytest.raises(ConfigurationError) as info:
        select(users=["  "])
    assert "users contains an empty name" in info.value.message


def test_names_are_resolved_in_one_batch():
    _selection, session = select(users=["user%d@contoso.com" % i for i in range(5)],
                                 exclude_users=["user6@contoso.com"])
    assert len(session.calls_to(r"/\$batch$")) == 1
