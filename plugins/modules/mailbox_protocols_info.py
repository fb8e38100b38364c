#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mailbox_protocols_info
short_description: Read which client protocols Exchange Online mailboxes may use
version_added: 0.1.0
description:
  - Returns the client access settings of the selected mailboxes (IMAP, POP, Exchange ActiveSync, MAPI, Outlook on
    the web, EWS, Outlook mobile, Outlook for Mac, Windows Mail, the new Outlook for Windows and SMTP AUTH), the
    effective SMTP AUTH state of each (the mailbox value, or the organization's when the mailbox inherits), and
    for each protocol the number of mailboxes that allow it.
  - Selects mailboxes like M(m365.admin.mailbox_protocols) does, and reads them in bulk the same way.
  - Reads only; never changes the tenant.
author:
  - m365.admin maintainers (@m365-admin)
notes:
  - "Exchange Online: C(Exchange.ManageAsApp) and an Exchange role on the app, such as Global Reader."
  - "Microsoft Graph: C(GroupMember.Read.All) when O(groups) or O(exclude_groups) are used, C(User.Read.All)
    when O(exclude_users) is used."
seealso:
  - module: m365.admin.mailbox_protocols
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.selection.mailboxes
  - m365.admin.connection.attributes
  - m365.admin.connection.check_mode_read_only
"""

EXAMPLES = r"""
- name: Protocol settings of every user mailbox
  m365.admin.mailbox_protocols_info:
    all_mailboxes: true
  register: protocols

- name: How many mailboxes still allow IMAP and POP
  ansible.builtin.debug:
    msg: "IMAP {{ protocols.counts.imap.allowed }}, POP {{ protocols.counts['pop'].allowed }}"

- name: Mailboxes that can send with SMTP AUTH
  ansible.builtin.debug:
    msg: "{{ protocols.mailboxes | selectattr('smtp_auth_effective', 'equalto', 'enabled')
             | map(attribute='mailbox') }}"
"""

RETURN = r"""
mailboxes:
  description:
    - The selected mailboxes and their settings, sorted by address.
    - Each also has C(pop), the same value as RV(mailboxes[].pop3). In Jinja, C(pop) is only read with
      brackets (C(mailbox['pop'])), because C(mailbox.pop) is the dictionary's own method.
  returned: always
  type: list
  elements: dict
  contains:
    mailbox:
      description: Primary SMTP address.
      type: str
      sample: alice@contoso.com
    guid:
      description: Mailbox GUID.
      type: str
    display_name:
      description: Display name.
      type: str
    imap:
      description: IMAP4 allowed.
      type: bool
    pop3:
      description: POP3 allowed.
      type: bool
    activesync:
      description: Exchange ActiveSync allowed.
      type: bool
    mapi:
      description: MAPI (Outlook for Windows) allowed.
      type: bool
    owa:
      description: Outlook on the web allowed.
      type: bool
    ews:
      description: EWS allowed.
      type: bool
    outlook_mobile:
      description: Outlook for iOS and Android allowed.
      type: bool
    mac_outlook:
      description: Outlook for Mac allowed.
      type: bool
    universal_outlook:
      description: Windows Mail and Calendar allowed.
      type: bool
    new_outlook:
      description: The new Outlook for Windows allowed.
      type: bool
    smtp_auth:
      description: The mailbox's own SMTP AUTH value, V(enabled), V(disabled) or V(inherit).
      type: str
    smtp_auth_effective:
      description: What applies to the mailbox, V(enabled) or V(disabled), after the organization's setting.
      type: str
counts:
  description:
    - For each protocol, the number of selected mailboxes that allow and that block it.
    - Read POP's counts with brackets, C(counts['pop']), because C(counts.pop) is the dictionary's own method.
  returned: always
  type: dict
  sample: {"imap": {"allowed": 12, "blocked": 1168}, "smtp_auth": {"allowed": 3, "blocked": 1177}}
organization:
  description: Organization-wide settings that the mailbox values depend on.
  returned: always
  type: dict
  contains:
    smtp_auth:
      description: The organization's SMTP AUTH setting (C(Get-TransportConfig)), V(enabled) or V(disabled).
      type: str
      sample: disabled
missing:
  description: Names given in the options that do not exist, by option (only with O(missing=ignore)).
  returned: always
  type: dict
without_mailbox:
  description: Object ids of group members that have no mailbox.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.m365.admin.plugins.module_utils import _cas
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module


async def run(module, connection):
    parameters = [setting.parameter for setting in _cas.SETTINGS]
    selection = await _cas.select_mailboxes(connection, module.params, parameters)
    exchange = await connection.exchange()
    transport = await exchange.invoke("Get-TransportConfig", select=["SmtpClientAuthenticationDisabled"],
                                      target="organization")
    org_disabled = bool((transport.values or [{}])[0].get("SmtpClientAuthenticationDisabled"))
    org_smtp = "disabled" if org_disabled else "enabled"

    mailboxes = []
    counts = dict((setting.name, dict(allowed=0, blocked=0)) for setting in _cas.SETTINGS)
    for obj in selection.mailboxes.values():
        entry = dict(mailbox=obj.get("PrimarySmtpAddress"), guid=obj.get("Guid"), display_name=obj.get("DisplayName"))
        entry.update(_cas.current_settings(obj))
        entry["pop3"] = entry["pop"]  # Jinja's dot notation reaches the key pop3, not pop (a dict method).
        entry["smtp_auth_effective"] = org_smtp if entry["smtp_auth"] == "inherit" else entry["smtp_auth"]
        for setting in _cas.SETTINGS:
            allowed = entry["smtp_auth_effective"] == "enabled" if setting.kind == "smtp" else entry[setting.name]
            counts[setting.name]["allowed" if allowed else "blocked"] += 1
        mailboxes.append(entry)
    mailboxes.sort(key=lambda m: (m["mailbox"] or "").lower())
    return dict(changed=False, mailboxes=mailboxes, counts=counts, organization=dict(smtp_auth=org_smtp),
                missing=selection.missing, without_mailbox=selection.without_mailbox)


def main():
    module = M365Module(argument_spec=dict(_cas.MAILBOX_SELECTION_ARGUMENT_SPEC), supports_check_mode=True)
    module.validate(_cas.validate_mailbox_selection)
    module.run(run)


if __name__ == "__main__":
    main()
