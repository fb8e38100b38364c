# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The options that select users or mailboxes, shared by a module and its _info twin."""

    DOCUMENTATION = r"""
options: {}
"""

    USERS = r"""
options:
  users:
    description:
      - Users to select, by user principal name or object id.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Groups whose user members (transitively, through nested groups) are selected, by display name or object id.
      - A display name that matches more than one group is an error; use the id.
    type: list
    elements: str
    default: []
  all_users:
    description:
      - Select every member user of the tenant.
    type: bool
    default: false
  include_guests:
    description:
      - With O(all_users=true), also select guest users.
    type: bool
    default: false
  exclude_users:
    description:
      - Users left out, by user principal name or object id, whatever else selects them.
      - Put break-glass (emergency access) accounts here.
    type: list
    elements: str
    default: []
  exclude_groups:
    description:
      - Groups whose user members (transitively) are left out.
    type: list
    elements: str
    default: []
  missing:
    description:
      - What to do when a user or group named in O(users), O(groups), O(exclude_users) or O(exclude_groups)
        does not exist.
      - V(fail) stops before anything is changed and lists every missing name. An exclusion that does not
        resolve fails too, because a mistyped exclusion would put the account it protects back in scope.
      - V(ignore) goes on without them and returns them in RV(missing).
    type: str
    default: fail
    choices: [fail, ignore]
"""

    MAILBOXES = r"""
options:
  mailboxes:
    description:
      - Mailboxes to select, by any identity Exchange accepts, such as user principal name, primary SMTP
        address, alias or GUID.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Microsoft Entra groups whose user members (transitively) are selected, by display name or object id.
        Members are resolved through Microsoft Graph; members without a mailbox are skipped and listed in
        RV(without_mailbox).
    type: list
    elements: str
    default: []
  all_mailboxes:
    description:
      - Select every mailbox whose recipient type is in O(recipient_types).
    type: bool
    default: false
  recipient_types:
    description:
      - With O(all_mailboxes=true), the recipient types selected. Shared, room and equipment mailboxes are left
        out unless listed here.
    type: list
    elements: str
    default: [UserMailbox]
    choices: [UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox, SchedulingMailbox, LinkedMailbox, TeamMailbox]
  exclude_mailboxes:
    description:
      - Mailboxes left out, whatever else selects them.
    type: list
    elements: str
    default: []
  exclude_users:
    description:
      - Users whose mailboxes are left out, by user principal name or object id, resolved through Microsoft
        Graph. A user without a mailbox is accepted, so break-glass accounts can be listed here whether or not
        they have one.
    type: list
    elements: str
    default: []
  exclude_groups:
    description:
      - Groups whose members' mailboxes are left out, by display name or object id.
    type: list
    elements: str
    default: []
  missing:
    description:
      - What to do when a mailbox, user or group named in the options does not exist.
      - V(fail) stops before anything is changed and lists every missing name, exclusions included.
      - V(ignore) goes on without them and returns them in RV(missing).
    type: str
    default: fail
    choices: [fail, ignore]
"""
