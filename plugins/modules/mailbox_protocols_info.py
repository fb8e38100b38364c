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
    effective SMTP AUTH state of each (the mailbox value, or the organization's when the mailbox inherits), the
    effective EWS state of each (see the notes), and for each protocol the number of mailboxes that allow it.
  - Reads the organization's SMTP AUTH setting with C(Get-TransportConfig) and its EWS setting with
    C(Get-OrganizationConfig), one request each. When the app's role does not allow C(Get-OrganizationConfig), the
    task warns and RV(organization.ews) is V(unknown).
  - A property that Exchange's answer leaves out is not taken for null or false. The mailbox is read again with
    every property; what is still missing is returned as null, listed in RV(mailboxes[].not_returned) and counted
    as V(unknown).
  - Selects mailboxes like M(m365.admin.mailbox_protocols) does, and reads them in bulk the same way.
  - Reads only; never changes the tenant.
author:
  - m365.admin maintainers (@m365-admin)
notes:
  - "Exchange Online: C(Exchange.ManageAsApp) and an Exchange role on the app that allows the C(Get-) cmdlets, such
    as Global Reader (or the Exchange role group View-Only Organization Management). Without the role, Exchange
    answers HTTP 401 C(User is not allowed to call ...); the task fails once, naming the cmdlet and the role to
    assign, without retrying."
  - "EWS works for a mailbox only where both the organization's C(EwsEnabled) (C(Get-OrganizationConfig)) and the
    mailbox's C(EwsEnabled) allow it: V(false) at either level blocks it, and a mailbox's V(true) does not
    override the organization's V(false). Null (most mailboxes) means the level does not enforce anything. Since
    1 October 2026 Exchange Online treats an organization whose C(EwsEnabled) is null as V(false), so EWS is
    blocked unless the organization set it to V(true); from 1 April 2027 EWS is switched off in Exchange Online
    and RV(mailboxes[].ews_effective) is V(disabled) for every mailbox."
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
      description:
        - The mailbox's own C(EwsEnabled). Null when the mailbox does not enforce anything (the default), which
          leaves EWS to the organization's setting; see RV(mailboxes[].ews_effective).
      type: bool
    ews_effective:
      description:
        - Whether EWS works for the mailbox after the organization's setting, V(enabled) or V(disabled);
          V(unknown) when Exchange did not return a value it depends on.
      type: str
      sample: disabled
    not_returned:
      description:
        - The C(Set-CASMailbox) properties Exchange did not return for this mailbox, even when read again. Their
          settings are returned as null and counted as V(unknown); they are not known to be null.
      type: list
      elements: str
      sample: []
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
      description:
        - What applies to the mailbox, V(enabled) or V(disabled), after the organization's setting; V(unknown)
          when Exchange did not return the mailbox's value.
      type: str
counts:
  description:
    - For each protocol, the number of selected mailboxes that allow it, that block it, and whose setting Exchange
      did not return (V(unknown)). SMTP AUTH and EWS are counted by their effective state. A switch that is null
      counts as allowed.
    - Read POP's counts with brackets, C(counts['pop']), because C(counts.pop) is the dictionary's own method.
  returned: always
  type: dict
  sample: {"imap": {"allowed": 12, "blocked": 1168, "unknown": 0}, "smtp_auth": {"allowed": 3, "blocked": 1177,
           "unknown": 0}}
organization:
  description: Organization-wide settings that the mailbox values depend on.
  returned: always
  type: dict
  contains:
    smtp_auth:
      description: The organization's SMTP AUTH setting (C(Get-TransportConfig)), V(enabled) or V(disabled).
      type: str
      sample: disabled
    ews:
      description:
        - The organization's EWS setting (C(Get-OrganizationConfig) C(EwsEnabled)), V(enabled), V(disabled), or
          V(not_set) when it is null (which Exchange Online treats as V(disabled) since 1 October 2026).
        - V(unknown) when Exchange did not return it, or the app's role does not allow C(Get-OrganizationConfig).
      type: str
      sample: not_set
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

import datetime

from ansible_collections.m365.admin.plugins.module_utils import _cas
from ansible_collections.m365.admin.plugins.module_utils._errors import PermissionDeniedError
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module

# Get-OrganizationConfig EwsEnabled, as reported.
ORG_EWS = {True: "enabled", False: "disabled", None: "not_set"}


def today_utc():
    """The day the effective EWS state is computed for (Microsoft's EWS dates are in UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).date()


async def run(module, connection):
    parameters = [setting.parameter for setting in _cas.SETTINGS]
    selection = await _cas.select_mailboxes(connection, module.params, parameters)
    exchange = await connection.exchange()
    transport = await exchange.invoke("Get-TransportConfig", select=["SmtpClientAuthenticationDisabled"],
                                      target="organization")
    org_disabled = bool((transport.values or [{}])[0].get("SmtpClientAuthenticationDisabled"))
    org_smtp = "disabled" if org_disabled else "enabled"
    try:
        organization = await exchange.invoke("Get-OrganizationConfig", select=["EwsEnabled"], target="organization")
        org_config = (organization.values or [{}])[0]
    except PermissionDeniedError as exc:
        # Microsoft does not say which read-only roles include Get-OrganizationConfig: without it
        # the mailboxes are still reported, and EWS is unknown where the mailbox does not block it.
        module.ansible.warn("the organization's EWS setting could not be read, so ews_effective is unknown unless "
                            "the mailbox blocks EWS: %s" % exc.to_message())
        org_config = {}
    org_ews = org_config["EwsEnabled"] if "EwsEnabled" in org_config else _cas.NOT_RETURNED
    today = today_utc()

    mailboxes = []
    counts = dict((setting.name, dict(allowed=0, blocked=0, unknown=0)) for setting in _cas.SETTINGS)
    for obj in selection.mailboxes.values():
        entry = dict(mailbox=obj.get("PrimarySmtpAddress"), guid=obj.get("Guid"), display_name=obj.get("DisplayName"))
        current = _cas.current_settings(obj)
        entry["not_returned"] = sorted(_cas.BY_NAME[name].parameter for name, value in current.items()
                                       if value is _cas.NOT_RETURNED)
        entry.update((name, None if value is _cas.NOT_RETURNED else value) for name, value in current.items())
        if current["smtp_auth"] is _cas.NOT_RETURNED:
            entry["smtp_auth_effective"] = "unknown"
        else:
            entry["smtp_auth_effective"] = org_smtp if entry["smtp_auth"] == "inherit" else entry["smtp_auth"]
        entry["ews_effective"] = _cas.effective_ews(org_ews, current["ews"], today)
        entry["pop3"] = entry["pop"]  # Jinja's dot notation reaches the key pop3, not pop (a dict method).
        for setting in _cas.SETTINGS:
            if setting.kind == "smtp":
                state = entry["smtp_auth_effective"]
            elif setting.name == "ews":
                state = entry["ews_effective"]
            elif current[setting.name] is _cas.NOT_RETURNED:
                state = "unknown"
            else:
                # A bool switch that is null is not enforced, and its protocol is allowed.
                state = "disabled" if current[setting.name] is False else "enabled"
            counts[setting.name][{"enabled": "allowed", "disabled": "blocked"}.get(state, "unknown")] += 1
        mailboxes.append(entry)
    mailboxes.sort(key=lambda m: (m["mailbox"] or "").lower())
    return dict(changed=False, mailboxes=mailboxes, counts=counts,
                organization=dict(smtp_auth=org_smtp, ews=ORG_EWS.get(org_ews, "unknown")),
                missing=selection.missing, without_mailbox=selection.without_mailbox)


def main():
    module = M365Module(argument_spec=dict(_cas.MAILBOX_SELECTION_ARGUMENT_SPEC), supports_check_mode=True)
    module.validate(_cas.validate_mailbox_selection)
    module.run(run)


if __name__ == "__main__":
    main()
