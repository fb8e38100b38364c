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
  usage_guard_days:
    description:
      - Do not cut anyone off by surprise. With a number of days from 1 to 30, before planning, the sign-in logs
        of that many days are read (as M(m365.admin.protocol_usage_info) does) for each protocol the task turns
        off, and a mailbox whose user signed in successfully with that protocol in that time keeps it. Its
        other settings are still made to match.
      - Each protocol kept on is reported in RV(skipped_changes) with the reason, and the mailbox counted in
        RV(summary.skipped). In check mode the guard applies the same way, so the prediction is exact.
      - Only the protocols that some selected mailbox would lose are read, so a run that changes nothing reads
        no sign-in logs.
      - The protocols read are IMAP4 for O(imap), POP3 for O(pop), Exchange ActiveSync for O(activesync), MAPI
        over HTTP and Outlook Anywhere for O(mapi), Exchange Web Services for O(ews), and Authenticated SMTP for
        O(smtp_auth=disabled), and for O(smtp_auth=inherit) when the mailbox had SMTP AUTH enabled.
      - V(0), the default, turns the guard off.
      - Needs the Microsoft Graph application permissions C(AuditLog.Read.All) and C(Directory.Read.All) (the
        sign-in logs API requires both) and an Entra ID P1 or P2 licence; without them the task fails before
        changing anything.
      - The sign-in logs API exists in the worldwide cloud only. With O(cloud=usgov), O(cloud=usgov_dod) or
        O(cloud=china), a non-zero value fails the task before any request, naming the cloud; set V(0) there.
        With O(cloud=custom) the logs are read, and an answer that the API is missing says it may be a national
        cloud.
      - The logs list interactive sign-ins only; a client that only signs in non-interactively (with a refresh
        token) is not seen, so the guard can miss it.
    type: int
    default: 0
  usage_acknowledged:
    description:
      - Mailboxes whose protocols may be turned off although they were used recently, by primary SMTP address,
        mailbox GUID, user principal name or user object id. Only used with O(usage_guard_days).
    type: list
    elements: str
    default: []
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
    description:
      - Allow Exchange Web Services for the mailbox (the mailbox's C(EwsEnabled)).
      - V(true) does not re-enable EWS that the organization turned off. EWS works for a mailbox only where both
        the organization's C(EwsEnabled) (C(Set-OrganizationConfig)) and the mailbox's allow it, and Exchange
        Online treats an organization whose C(EwsEnabled) is null as V(false) since 1 October 2026. The effective
        state is C(ews_effective) in M(m365.admin.mailbox_protocols_info).
      - Microsoft switches EWS off in Exchange Online on 1 April 2027; V(false) is what lasts.
      - Most mailboxes read null (not enforced at the mailbox level); V(false) or V(true) is then a change.
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
    Administrator, or Exchange Recipient Administrator for mailboxes only. Without a role that allows a cmdlet,
    Exchange answers HTTP 401 C(User is not allowed to call ...) although the token is valid; the task fails once,
    naming the cmdlet and the role to assign, without asking for a new token or retrying."
  - A mailbox for which Exchange does not return a setting the task sets (even when read again with every
    property) is not changed; it is reported in RV(failures) with the property that was missing.
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

- name: Turn ActiveSync off, except for whoever synced through it in the last 14 days
  m365.admin.mailbox_protocols:
    all_mailboxes: true
    activesync: false
    usage_guard_days: 14
    usage_acknowledged:
      - leaver@contoso.com
  register: eas

- name: Who kept ActiveSync, and why
  ansible.builtin.debug:
    msg: "{{ eas.skipped_changes | map(attribute='reason') }}"

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
    skipped:
      description:
        - Mailboxes with a protocol kept on by O(usage_guard_days) (returned only when the guard read usage).
      type: int
      sample: 14
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
    user_id:
      description: The object id of the mailbox's user (C(ExternalDirectoryObjectId)).
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
    user_id:
      description: The object id of the mailbox's user.
      type: str
    status:
      description: HTTP status of the cmdlet's answer.
      type: int
    error:
      description: The exception type and message Exchange gave.
      type: str
      sample: "ManagementObjectNotFoundException: The operation couldn't be performed because object ... couldn't be found"
skipped_changes:
  description:
    - Each protocol that O(usage_guard_days) kept on for a mailbox, with the reason. Returned only when the guard
      read usage, that is when O(usage_guard_days) is set and some mailbox would lose a protocol.
  returned: when the usage guard ran
  type: list
  elements: dict
  contains:
    mailbox:
      description: The mailbox's primary SMTP address.
      type: str
    guid:
      description: The mailbox's GUID.
      type: str
    user_id:
      description: The object id of the mailbox's user.
      type: str
    setting:
      description: The option left alone.
      type: str
      sample: activesync
    before:
      description: The current value, kept.
      type: raw
      sample: true
    after:
      description: The value the task asked for.
      type: raw
      sample: false
    reason:
      description: Why the setting was kept.
      type: str
      sample: "adele.vance@contoso.com signed in with Exchange ActiveSync 9 time(s) in the last 14 days, last at
        2026-05-01T10:20:30Z; list the mailbox in usage_acknowledged to turn activesync off anyway"
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

from ansible_collections.m365.admin.plugins.module_utils import _cas, _signins
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module
from ansible_collections.m365.admin.plugins.module_utils._reconcile import check_max_changes, reconcile


async def run(module, connection):
    params = module.params
    desired = _cas.desired_settings(params)
    selection = await _cas.select_mailboxes(connection, params, [_cas.BY_NAME[name].parameter for name in desired])
    targets, unreadable = _cas.unreadable_targets([_cas.mailbox_target(obj) for obj in selection.mailboxes.values()],
                                                  desired)
    guard = _signins.usage_guard(connection.graph(), params["usage_guard_days"], params["usage_acknowledged"],
                                 cloud=connection.settings.cloud) if params["usage_guard_days"] else None
    cas = _cas.CasSettings(await connection.exchange(), guard=guard)
    return await reconcile(cas, targets, desired, module.check_mode, max_changes=params["max_changes"],
                           read_failures=unreadable,
                           extra=dict(missing=selection.missing, without_mailbox=selection.without_mailbox))


def main():
    spec = dict(_cas.MAILBOX_SELECTION_ARGUMENT_SPEC)
    spec.update(_cas.settings_argument_spec())
    spec.update(max_changes=dict(type="int"))
    spec.update(_signins.GUARD_ARGUMENT_SPEC)
    module = M365Module(argument_spec=spec, supports_check_mode=True)
    module.validate(_cas.validate_mailbox_selection, _cas.validate_settings_given, check_max_changes,
                    _signins.validate_guard_params)
    module.run(run)


if __name__ == "__main__":
    main()
