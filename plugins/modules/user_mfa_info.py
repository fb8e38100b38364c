#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_mfa_info
short_description: Read the per-user MFA state of many users
version_added: 0.1.0
description:
  - Returns the per-user MFA state (C(disabled), C(enabled) or C(enforced)) of the selected users, read through
    Microsoft Graph (beta C(/users/{id}/authentication/requirements)) in batches of 20 requests, and the number
    of users in each state.
  - Selects users like M(m365.admin.user_mfa) does.
  - Reads only; never changes the tenant.
author:
  - m365.admin maintainers (@m365-admin)
notes:
  - "Microsoft Graph application permissions: C(Policy.Read.All) to read states, C(User.Read.All) to select users,
    C(GroupMember.Read.All) to select groups."
seealso:
  - module: m365.admin.user_mfa
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.selection.users
  - m365.admin.connection.attributes
  - m365.admin.connection.check_mode_read_only
"""

EXAMPLES = r"""
- name: Per-user MFA state of every member user
  m365.admin.user_mfa_info:
    all_users: true
  register: mfa

- name: Show how many users are in each state
  ansible.builtin.debug:
    var: mfa.counts

- name: Users of a group who are not enforced yet
  m365.admin.user_mfa_info:
    groups: [Finance]
  register: finance

- name: List them
  ansible.builtin.debug:
    msg: "{{ finance.users | rejectattr('state', 'equalto', 'enforced') | map(attribute='user_principal_name') }}"
"""

RETURN = r"""
users:
  description: The selected users whose state could be read, sorted by user principal name.
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
    user_type:
      description: C(Member) or C(Guest).
      type: str
    account_enabled:
      description: Whether the account can sign in.
      type: bool
    state:
      description: The per-user MFA state.
      type: str
      sample: enforced
counts:
  description: Number of users in each state.
  returned: always
  type: dict
  sample: {"disabled": 1100, "enabled": 20, "enforced": 130}
failures:
  description: Users whose state could not be read, with Graph's answer.
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
      description: HTTP status.
      type: int
    error:
      description: Graph's error code and message.
      type: str
missing:
  description: Names given in the options that do not exist, by option (only with O(missing=ignore)).
  returned: always
  type: dict
"""

from ansible_collections.m365.admin.plugins.module_utils import _mfa
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module
from ansible_collections.m365.admin.plugins.module_utils._selection import (
    USER_SELECTION_ARGUMENT_SPEC,
    select_users,
    validate_user_selection,
)


async def run(module, connection):
    graph = connection.graph()
    selection = await select_users(graph, module.params)
    targets, failures = await _mfa.PerUserMfa(graph).read(selection.users.values())
    users = []
    counts = dict((state, 0) for state in _mfa.STATES)
    for target in targets:
        user = selection.users[target.key]
        state = target.current["state"]
        counts[state] = counts.get(state, 0) + 1
        users.append(dict(user_principal_name=user.get("userPrincipalName"), id=user["id"],
                          user_type=user.get("userType"), account_enabled=user.get("accountEnabled"), state=state))
    users.sort(key=lambda u: (u["user_principal_name"] or "").lower())
    return dict(changed=False, users=users, counts=counts, failures=[f.as_dict() for f in failures],
                missing=selection.missing)


def main():
    module = M365Module(argument_spec=dict(USER_SELECTION_ARGUMENT_SPEC), supports_check_mode=True)
    module.validate(validate_user_selection)
    module.run(run)


if __name__ == "__main__":
    main()
