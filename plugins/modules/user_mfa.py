#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_mfa
short_description: Set the per-user MFA state of many users at once
version_added: 0.1.0
description:
  - Sets the legacy per-user MFA state (C(perUserMfaState)) of the selected users through Microsoft Graph
    (beta C(/users/{id}/authentication/requirements)), to V(disabled), V(enabled) or V(enforced).
  - Selects users by name, by group (transitive members), or all member users, minus exclusions.
  - Reads every user's state in batches of 20 requests (several batches in flight), then writes only the users
    whose state differs, also in batches. Throttled requests are retried after the delay Graph asks for.
  - In check mode nothing is written and the result lists exactly the changes a real run would make.
  - A user whose change fails does not stop the others; the task fails at the end, naming every failed user,
    with the full result still returned.
  - Microsoft recommends Conditional Access policies that require MFA instead of per-user MFA, and advises
    against combining the two. O(state=disabled) is how to retire per-user MFA once Conditional Access (see
    M(m365.admin.conditional_access_policy)) or security defaults require MFA.
author:
  - m365.admin maintainers (@m365-admin)
options:
  state:
    description:
      - The per-user MFA state the selected users must have.
      - V(disabled) means not enrolled in per-user MFA.
      - V(enabled) enrols the user. The user registers methods at the next modern sign-in; legacy
        (basic-auth) protocols keep working until then.
      - V(enforced) requires MFA at every sign-in; legacy protocols stop working (app passwords aside).
      - Entra moves a user from V(enabled) to V(enforced) by itself once the user has registered a method.
        A user who is V(enforced) therefore satisfies O(state=enabled) and is left alone, so the state does
        not flap between runs.
    type: str
    required: true
    choices: [disabled, enabled, enforced]
  max_changes:
    description:
      - The most users this task may change. When more would change, the task fails before writing anything,
        naming the count, which guards against a wrong selector.
      - Unset means no limit.
    type: int
notes:
  - "Microsoft Graph application permissions: C(Policy.ReadWrite.AuthenticationMethod) to change states
    (C(Policy.Read.All) is enough to read them), C(User.Read.All) to select users, and C(GroupMember.Read.All)
    to select groups."
  - Per-user MFA is only available through the Graph beta endpoint.
seealso:
  - module: m365.admin.user_mfa_info
  - name: Enable per-user Microsoft Entra multifactor authentication
    description: Microsoft's description of the per-user MFA states.
    link: https://learn.microsoft.com/entra/identity/authentication/howto-mfa-userstates
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.selection.users
  - m365.admin.connection.attributes
attributes:
  check_mode:
    description: In check mode nothing is written, and RV(changes) lists exactly what a real run would change.
    support: full
  diff_mode:
    description: Shows each changed user's state before and after.
    support: full
"""

EXAMPLES = r"""
- name: Require per-user MFA for everyone but the break-glass accounts, at most 500 changes
  m365.admin.user_mfa:
    state: enforced
    all_users: true
    exclude_users:
      - breakglass1@contoso.onmicrosoft.com
      - breakglass2@contoso.onmicrosoft.com
    max_changes: 500

- name: Enrol one department (nested groups included)
  m365.admin.user_mfa:
    state: enabled
    groups:
      - Finance
    exclude_groups:
      - Emergency access accounts

- name: Audit in check mode what enforcing would change
  m365.admin.user_mfa:
    state: enforced
    all_users: true
  check_mode: true
  register: mfa_audit

- name: Retire per-user MFA once a Conditional Access policy requires MFA
  m365.admin.user_mfa:
    state: disabled
    all_users: true
    include_guests: true
"""

RETURN = r"""
changed:
  description: Whether any user was changed (in check mode, whether any would be).
  returned: always
  type: bool
summary:
  description: Counts for the selected users.
  returned: always
  type: dict
  contains:
    targets:
      description: Users selected.
      type: int
      sample: 1250
    compliant:
      description: Users already in the desired state.
      type: int
      sample: 1200
    changed:
      description: Users changed (in check mode, that would be changed).
      type: int
      sample: 50
    failed:
      description: Users whose state could not be read or changed.
      type: int
      sample: 0
changes:
  description: Every user changed (in check mode, that would be changed).
  returned: always
  type: list
  elements: dict
  contains:
    user_principal_name:
      description: The user's UPN.
      type: str
      sample: alice@contoso.com
    id:
      description: The user's object id.
      type: str
      sample: 0b1d0c37-0000-4000-8000-000000000001
    before:
      description: The state before.
      type: str
      sample: disabled
    after:
      description: The state after.
      type: str
      sample: enforced
failures:
  description: Users whose state could not be read or changed, with Graph's answer.
  returned: always
  type: list
  elements: dict
  contains:
    user_principal_name:
      description: The user's UPN.
      type: str
    id:
      description: The user's object id.
      type: str
    status:
      description: The HTTP status Graph answered for this user.
      type: int
      sample: 403
    error:
      description: Graph's error code and message.
      type: str
missing:
  description: Names given in the options that do not exist, by option (only with O(missing=ignore)).
  returned: always
  type: dict
  sample: {"users": ["old.employee@contoso.com"]}
"""

from ansible_collections.m365.admin.plugins.module_utils import _mfa
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module
from ansible_collections.m365.admin.plugins.module_utils._reconcile import check_max_changes, reconcile
from ansible_collections.m365.admin.plugins.module_utils._selection import (
    USER_SELECTION_ARGUMENT_SPEC,
    select_users,
    validate_user_selection,
)


async def run(module, connection):
    graph = connection.graph()
    selection = await select_users(graph, module.params)
    mfa = _mfa.PerUserMfa(graph)
    targets, read_failures = await mfa.read(selection.users.values())
    return await reconcile(mfa, targets, {"state": module.params["state"]}, module.check_mode,
                           max_changes=module.params["max_changes"], read_failures=read_failures,
                           extra=dict(missing=selection.missing))


def main():
    spec = dict(USER_SELECTION_ARGUMENT_SPEC)
    spec.update(
        state=dict(type="str", required=True, choices=list(_mfa.STATES)),
        max_changes=dict(type="int"),
    )
    module = M365Module(argument_spec=spec, supports_check_mode=True)
    module.validate(validate_user_selection, check_max_changes)
    module.run(run)


if __name__ == "__main__":
    main()
