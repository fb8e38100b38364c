#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: transport_config
short_description: Set the organization-wide SMTP AUTH setting of Exchange Online
version_added: 0.1.0
description:
  - Sets C(SmtpClientAuthenticationDisabled) of the organization's transport configuration
    (C(Set-TransportConfig)), which decides whether mailboxes may send with authenticated SMTP (SMTP AUTH)
    when their own setting is unset.
  - A mailbox's own value, set with M(m365.admin.mailbox_protocols), wins over the organization's in both
    directions. Microsoft recommends disabling SMTP AUTH for the organization and enabling it only on the
    mailboxes that need it.
  - Organizations created after January 2020 have SMTP AUTH disabled by default.
author:
  - m365.admin maintainers (@m365-admin)
options:
  smtp_auth:
    description:
      - V(disabled) turns SMTP AUTH off for every mailbox whose own setting is unset
        (C(SmtpClientAuthenticationDisabled=$true)); V(enabled) turns it on for them.
    type: str
    required: true
    choices: [enabled, disabled]
notes:
  - "Exchange Online: C(Exchange.ManageAsApp) and the Exchange Administrator role on the app."
seealso:
  - module: m365.admin.mailbox_protocols
  - name: Enable or disable SMTP AUTH in Exchange Online
    description: Microsoft's guidance on SMTP AUTH and its precedence.
    link: https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
attributes:
  check_mode:
    description: In check mode nothing is written; the result says whether a real run would change the setting.
    support: full
  diff_mode:
    description: Shows the setting before and after.
    support: full
"""

EXAMPLES = r"""
- name: No SMTP AUTH unless a mailbox is allowed it
  m365.admin.transport_config:
    smtp_auth: disabled
"""

RETURN = r"""
smtp_auth:
  description: The organization's SMTP AUTH setting after the task (as it would be, in check mode).
  returned: always
  type: str
  sample: disabled
before:
  description: The setting before the task.
  returned: always
  type: str
  sample: enabled
"""

from ansible_collections.m365.admin.plugins.module_utils._errors import OutcomeUnknownError, ServiceError
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module

PARAMETER = "SmtpClientAuthenticationDisabled"


async def read(exchange):
    output = await exchange.invoke("Get-TransportConfig", select=[PARAMETER], target="organization")
    if not output.values:
        raise ServiceError("Get-TransportConfig returned no object", operation="Get-TransportConfig")
    return "disabled" if output.values[0].get(PARAMETER) else "enabled"


async def run(module, connection):
    exchange = await connection.exchange()
    desired = module.params["smtp_auth"]
    before = await read(exchange)
    result = dict(changed=before != desired, before=before, smtp_auth=desired,
                  diff=dict(before=dict(smtp_auth=before), after=dict(smtp_auth=desired)))
    if not result["changed"] or module.check_mode:
        return result
    try:
        await exchange.invoke("Set-TransportConfig", {PARAMETER: desired == "disabled"}, target="organization")
    except OutcomeUnknownError as exc:
        # The answer was lost: not sent again blindly, but verified by reading the setting back.
        result["smtp_auth"] = await read(exchange)
        if result["smtp_auth"] != desired:
            raise exc
        module.ansible.warn("The answer to Set-TransportConfig was lost; reading the setting back showed it applied.")
    else:
        result["smtp_auth"] = await read(exchange)
    if result["smtp_auth"] != desired:
        raise ServiceError("Set-TransportConfig succeeded but the setting reads back as %s" % result["smtp_auth"],
                           operation="Set-TransportConfig")
    return result


def main():
    module = M365Module(argument_spec=dict(smtp_auth=dict(type="str", required=True, choices=["enabled", "disabled"])),
                        supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
