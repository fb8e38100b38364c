#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mailbox_protocols
short_description: Set which client protocols Exchange Online mailboxes may use
version_added: 0.1.0
description:
  - Makes the client access settings of the selected mailboxes match the task, the settings of
    C(Set-CASMailbox), for IMAP, POP, Exchange ActiveSync, MAPI, Outlook on the web, EWS, SMTP AUTH,
    Outlook mobile, Outlook for Mac, Windows Mail and the new Outlook for Windows.
  - Settings left unset in the task are left alone.
  - Reads every target in bulk. O(all_mailboxes=true) is one paged C(Get-CASMailbox) listing with only the
    needed properties; named mailboxes and group members are read with C(Get-CASMailbox) through the Exchange
    C($batch), 10 per request. It then sends C(Set-CASMailbox) only for mailboxes that differ, with only the
    parameters that differ, 10 per batch with several batches in flight. Throttled and transient failures
    (C(429), C(ADTransientException)) are retried.
  - In check mode nothing is written and the result lists exactly the changes a real run would make.
  - A mailbox whose change fails does not stop the others; the task fails at the end, naming every failed
    mailbox, with the full result still returned.
  - Uses the Exchange Online admin REST endpoint, the one the ExchangeOnlineManagement v3 PowerShell module
    itself uses, so no PowerShell is needed.
author:
  - m365.admin maintainers (@m365-admin)
options:
  max_changes:
    description:
      - The most mailboxes this task may change. When more would change, the task fails before writing anything.
      - Unset means no limit.
    type: int
  imap:
    description: Allow IMAP4 (C(ImapEnabled)).
    type: bool
  pop:
    description: Allow POP3 (C(PopEnabled)).
    type: bool
  activesync:
    description:
      - Allow Exchange ActiveSync (C(ActiveSyncEnabled)), used by the built-in mail and calendar apps of iOS and
        Android.
    type: bool
  mapi:
    description: Allow MAPI clients, that is Outlook for Windows (C(MAPIEnabled)).
    type: bool
  owa:
    description: Allow Outlook on the web (C(OWAEnabled)), which also gates the new Outlook for Windows.
    type: bool
  ews:
    description: Allow Exchange Web Services (C(EwsEnabled)).
    type: bool
  outlook_mobile:
    description: Allow Outlook for iOS and Android (C(OutlookMobileEnabled)).
    type: bool
  mac_outlook:
    description: Allow Outlook for Mac clients that use Microsoft sync technology (C(MacOutlookEnabled)).
    type: bool
  universal_outlook:
    description: Allow Windows Mail and Calendar (C(UniversalOutlookEnabled)).
    type: bool
  new_outlook:
    description: Allow the new Outlook for Windows (C(OneWinNativeOutlookEnabled)).
    type: bool
  smtp_auth:
    description:
      - Authenticated SMTP submission (SMTP AUTH) for the mailbox, the C(SmtpClientAuthenticationDisabled) setting.
      - V(enabled) allows it and V(disabled) blocks it, whatever the organization's setting.
      - V(inherit) clears the mailbox value, so that the organization's setting (see
        M(m365.admin.transport_config)) applies.
      - Microsoft's recommended pattern is to disable SMTP AUTH for the organization and enable it only on the
        few mailboxes that need it.
    type: str
    choices: [enabled, disabled, inherit]
notes:
  - "Exchange Online: the application permission C(Exchange.ManageAsApp) (Office 365 Exchange Online, admin
    consent granted) and an Exchange role assigned to the app's service principal, such as Exchange
    Administrator, or Exchange Recipient Administrator for mailboxes only."
  - "Microsoft Graph: C(GroupMember.Read.All) when O(groups) or O(exclude_groups) are used, C(User.Read.All)
    when O(exclude_users) is used."
  - The precedence of SMTP AUTH is the mailbox value when set, else the organization's value.
  - A protocol switched off (for example O(imap=false)) keeps its other settings; Exchange ignores them.
seealso:
  - module: m365.admin.mailbox_protocols_info
  - module: m365.admin.cas_mailbox_plan
  - module: m365.admin.transport_config
  - name: Set-CASMailbox
    description: The cmdlet whose settings this module manages.
    link: https://learn.microsoft.com/powershell/module/exchangepowershell/set-casmailbox
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.selection.mailboxes
  - m365.admin.connection.attributes
attributes:
  check_mode:
    description: In check mode nothing is written, and RV(changes) lists exactly what a real run would change.
    support: full
  diff_mode:
    description: Shows each changed mailbox's settings before and after (only the settings that change).
    support: full
"""

EXAMPLES = r"""
- name: No legacy protocols for user mailboxes; SMTP AUTH follows the organization
  m365.admin.mailbox_protocols:
    all_mailboxes: true
    imap: false
    pop: false
    activesync: false
    smtp_auth: inherit
    exclude_groups:
      - Legacy protocol exceptions
    exclude_users:
      - breakglass1@contoso.onmicrosoft.com
    max_changes: 2000

- name: The scanner may send with SMTP AUTH
  m365.admin.mailbox_protocols:
    mailboxes:
      - scanner@contoso.com
    smtp_auth: enabled

- name: Shared mailboxes too, audited in check mode
  m365.admin.mailbox_protocols:
    all_mailboxes: true
    recipient_types: [UserMailbox, SharedMailbox]
    imap: false
    pop: false
  check_mode: true
  register: protocol_audit
"""

RETURN = r"""
changed:
  description: Whether any mailbox was changed (in check mode, whether any would be).
  returned: always
  type: bool
summary:
  description: Counts for the selected mailboxes.
  returned: always
  type: dict
  contains:
    targets:
      description: Mailboxes selected.
      type: int
      sample: 1180
    compliant:
      description: Mailboxes whose settings already matched.
      type: int
      sample: 1100
    changed:
      description: Mailboxes changed (in check mode, that would be changed).
      type: int
      sample: 80
    failed:
      description: Mailboxes whose change failed.
      type: int
      sample: 0
changes:
  description: Every mailbox changed (in check mode, that would be changed), with only the settings that change.
  returned: always
  type: list
  elements: dict
  contains:
    mailbox:
      description: The mailbox's primary SMTP address.
      type: str
      sample: alice@contoso.com
    guid:
      description: The mailbox's GUID.
      type: str
    before:
      description: The changed settings before, by option name.
      type: dict
      sample: {"imap": true, "smtp_auth": "enabled"}
    after:
      description: The changed settings after, by option name.
      type: dict
      sample: {"imap": false, "smtp_auth": "inherit"}
failures:
  description: Mailboxes whose change failed, with the cmdlet's error.
  returned: always
  type: list
  elements: dict
  contains:
    mailbox:
      description: The mailbox's primary SMTP address.
      type: str
    guid:
      description: The mailbox's GUID.
      type: str
    status:
      description: HTTP status of the cmdlet's answer.
      type: int
    error:
      description: The exception type and message Exchange gave.
      type: str
      sample: "ManagementObjectNotFoundException: The operation couldn't be performed because object ... couldn't be found"
missing:
  description: Names given in the options that do not exist, by option (only with O(missing=ignore)).
  returned: always
  type: dict
without_mailbox:
  description: Object ids of group members that have no mailbox (skipped).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.m365.admin.plugins.module_utils import _cas
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module
from ansible_collections.m365.admin.plugins.module_utils._reconcile import check_max_changes, reconcile


async def run(module, connection):
    desired = _cas.desired_settings(module.params)
    parameters = [_cas.BY_NAME[name].parameter for name in desired]
    selection = await _cas.select_mailboxes(connection, module.params, parameters)
    targets = [_cas.mailbox_target(obj) for obj in selection.mailboxes.values()]
    exchange = await connection.exchange()

    async def apply(changes):
        return await _cas.write_settings(exchange, changes)

    async def read_back(changed):
        return await _cas.read_back(exchange, changed)

    return await reconcile(targets, desired, _cas.SETTINGS, apply, read_back=read_back, check_mode=module.check_mode,
                           max_changes=module.params["max_changes"], noun="mailboxes",
                           extra=dict(missing=selection.missing, without_mailbox=selection.without_mailbox))


def main():
    spec = dict(_cas.MAILBOX_SELECTION_ARGUMENT_SPEC)
    spec.update(_cas.settings_argument_spec())
    spec.update(max_changes=dict(type="int"))
    module = M365Module(argument_spec=spec, supports_check_mode=True)
    module.validate(_cas.validate_mailbox_selection, _cas.validate_settings_given, check_max_changes)
    module.run(run)


if __name__ == "__main__":
    main()
