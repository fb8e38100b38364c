# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Which users a task is about: the union of its selectors minus its exclusions.

Selectors: ``users`` (UPNs or object ids), ``groups`` (display names or ids, transitive user
members), ``all_users`` (members; guests only with ``include_guests``). Exclusions:
``exclude_users``, ``exclude_groups``. Every name given, exclusions included, must exist
unless ``missing: ignore``: a mistyped exclusion would otherwise silently put the account it
was meant to protect (a break-glass account) back in scope.
"""

from __future__ import annotations

import asyncio

from ansible_collections.m365.admin.plugins.module_utils._connection import is_guid
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, NotFoundError
from ansible_collections.m365.admin.plugins.module_utils._graph import UPN_RE

USER_SELECT = ("id", "userPrincipalName", "userType", "accountEnabled")

USER_SELECTION_ARGUMENT_SPEC = dict(
    users=dict(type="list", elements="str", default=[]),
    groups=dict(type="list", elements="str", default=[]),
    all_users=dict(type="bool", default=False),
    include_guests=dict(type="bool", default=False),
    exclude_users=dict(type="list", elements="str", default=[]),
    exclude_groups=dict(type="list", elements="str", default=[]),
    missing=dict(type="str", default="fail", choices=["fail", "ignore"]),
)


def record_missing(missing, names, options, is_missing):
    """Add to ``missing`` (option -> names) the names of ``options`` for which ``is_missing``."""
    for option in options:
        absent = [name for name in names.get(option) or [] if is_missing(name)]
        if absent:
            missing[option] = absent


def check_missing(missing, params, operation):
    """Raise NotFoundError listing every missing name, unless the task said missing: ignore."""
    if missing and params.get("missing", "fail") != "ignore":
        raise NotFoundError(
            "not found in the tenant: %s. Nothing was changed; correct the names, or set missing: ignore"
            % "; ".join("%s: %s" % (option, ", ".join("'%s'" % v for v in values)) for option, values in missing.items()),
            operation=operation)


class Selection(object):
    """The selected users (id -> user) and the names that were not found."""

    def __init__(self, users, missing):
        self.users = users
        self.missing = missing


def validate_user_selection(params):
    """Checks that need no request. Raises ConfigurationError naming the option."""
    if not (params.get("users") or params.get("groups") or params.get("all_users")):
        raise ConfigurationError("no users selected: give users, groups, or all_users: true", option="users")
    for option in ("users", "groups", "exclude_users", "exclude_groups"):
        for value in params.get(option) or []:
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError("%s contains an empty name" % option, option=option)
    check_user_names(params, ("users", "exclude_users"))


def check_user_names(params, options):
    """Users are named by UPN or object id: anything else is refused, naming the option, before
    any request (a display name would otherwise only fail after sign-in)."""
    for option in options:
        for value in params.get(option) or []:
            name = value.strip() if isinstance(value, str) else value
            if name and not (is_guid(name) or UPN_RE.match(name)):
                raise ConfigurationError("%s: %r is neither a user principal name (name@domain) nor an object id "
                                         "(GUID)" % (option, name), option=option)


async def select_users(graph, params, select=USER_SELECT):
    """Resolve the selectors of ``params`` to users. Raises NotFoundError listing every missing name."""
    validate_user_selection(params)
    select = list(dict.fromkeys(list(USER_SELECT) + list(select)))
    names = dict((option, [v.strip() for v in params.get(option) or []])
                 for option in ("users", "groups", "exclude_users", "exclude_groups"))
    wanted_users = names["users"] + names["exclude_users"]
    wanted_groups = names["groups"] + names["exclude_groups"]

    async def nothing():
        return {}, []

    (found_users, missing_users), (found_groups, missing_groups) = await asyncio.gather(
        graph.resolve_users(wanted_users, select) if wanted_users else nothing(),
        graph.resolve_groups(wanted_groups) if wanted_groups else nothing())

    missing = {}
    record_missing(missing, names, ("users", "exclude_users"), lambda name: name in missing_users)
    record_missing(missing, names, ("groups", "exclude_groups"), lambda name: name in missing_groups)
    check_missing(missing, params, "Select users")

    group_ids = list(dict.fromkeys(group["id"] for group in found_groups.values()))
    member_lists = await asyncio.gather(*(graph.transitive_user_members(gid, select) for gid in group_ids))
    members_of = dict(zip(group_ids, member_lists))

    selected = {}
    if params.get("all_users"):
        # Guests are dropped here rather than with $filter=userType eq 'Member': userType is
        # null on some older accounts, which such a filter would silently leave out.
        query = {"$select": ",".join(select)}
        for user in await graph.get_all("/users", params=query, operation="List users", permission="User.Read.All"):
            if params.get("include_guests") or user.get("userType") != "Guest":
                selected[user["id"]] = user
    for name in names["users"]:
        if name in found_users:
            selected[found_users[name]["id"]] = found_users[name]
    for name in names["groups"]:
        if name in found_groups:
            for user in members_of[found_groups[name]["id"]]:
                selected[user["id"]] = user
    for name in names["exclude_users"]:
        if name in found_users:
            selected.pop(found_users[name]["id"], None)
    for name in names["exclude_groups"]:
        if name in found_groups:
            for user in members_of[found_groups[name]["id"]]:
                selected.pop(user["id"], None)
    return Selection(selected, missing)
