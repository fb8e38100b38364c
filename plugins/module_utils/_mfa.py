# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Per-user MFA through Graph beta ``/users/{id}/authentication/requirements``.

The state is ``perUserMfaState``: ``disabled``, ``enabled`` or ``enforced``. Entra moves a
user from ``enabled`` to ``enforced`` by itself once the user registers a method, so
``enforced`` satisfies a desired ``enabled``: writing ``enabled`` back would only flap.
"""

from __future__ import annotations

from ansible_collections.m365.admin.plugins.module_utils._graph import BatchRequest, raise_for_status
from ansible_collections.m365.admin.plugins.module_utils._reconcile import Backend, Failure, Setting, Target, Unknown

STATES = ("disabled", "enabled", "enforced")
READ_PERMISSION = "Policy.Read.All (or Policy.ReadWrite.AuthenticationMethod)"
WRITE_PERMISSION = "Policy.ReadWrite.AuthenticationMethod"


def state_satisfied(current, desired):
    return current == desired or (desired == "enabled" and current == "enforced")


TABLE = (Setting("state", satisfied=state_satisfied, description="perUserMfaState"),)


def requirements_path(user_id):
    return "/users/%s/authentication/requirements" % user_id


def user_target(user, state=None):
    upn = user.get("userPrincipalName")
    return Target(user["id"], upn or user["id"], {"state": state},
                  identity=dict(user_principal_name=upn, id=user["id"]))


class PerUserMfa(Backend):
    """Per-user MFA over Graph: the engine's backend, and the bulk read of the selected users."""

    table = TABLE
    noun = "users"

    def __init__(self, graph):
        self.graph = graph

    async def read(self, users):
        """Read the state of each user (Graph user dicts) in batches.

        Returns (targets with current state, failures). When every read is refused for lack of
        permission, raises PermissionDeniedError instead: that is the app's configuration, not
        the users'.
        """
        users = list(users)
        requests = [BatchRequest("GET", requirements_path(user["id"])) for user in users]
        results = await self.graph.batch(requests, version="beta", operation="Read per-user MFA states")
        targets, failures = [], []
        for user, result in zip(users, results):
            if result.ok:
                targets.append(user_target(user, (result.body or {}).get("perUserMfaState")))
            else:
                failures.append(Failure(user_target(user), result.status, result.describe()))
        if failures and not targets and all(f.status in (401, 403) for f in failures):
            first = results[0]
            raise_for_status(first.status, first.body, "Read per-user MFA states", permission=READ_PERMISSION)
        return targets, failures

    async def write(self, changes):
        """PATCH the new state of each change in batches; returns the Failure and Unknown outcomes."""
        requests = [BatchRequest("PATCH", requirements_path(change.target.key),
                                 body={"perUserMfaState": change.after["state"]}) for change in changes]
        # An envelope whose answer was lost is not sent again: its users are read back (read_back).
        results = await self.graph.batch(requests, version="beta", operation="Set per-user MFA states",
                                         idempotent=False)
        failures = []
        for change, result in zip(changes, results):
            if result.outcome_unknown:
                failures.append(Unknown(change.target, result.describe()))
            elif not result.ok:
                error = result.describe()
                if result.status == 403:
                    error += " (the app needs %s)" % WRITE_PERMISSION
                failures.append(Failure(change.target, result.status, error))
        return failures

    async def read_back(self, targets):
        """{user id: {"state": ...}} of the targets whose state could be read (to verify lost writes)."""
        requests = [BatchRequest("GET", requirements_path(target.key)) for target in targets]
        results = await self.graph.batch(requests, version="beta", operation="Verify per-user MFA states")
        return dict((target.key, {"state": (result.body or {}).get("perUserMfaState")})
                    for target, result in zip(targets, results) if result.ok)
