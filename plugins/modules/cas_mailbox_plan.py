#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cas_mailbox_plan
short_description: Set the client protocols of Exchange Online CAS mailbox plans
version_added: 0.1.0
description:
  - Makes the protocol settings of CAS mailbox plans match the task (C(Set-CASMailboxPlan)). A CAS mailbox plan
    is applied to a mailbox when its user is given the licence the plan belongs to, so compliant plans make new
    mailboxes start compliant. Existing mailboxes keep their own settings; use M(m365.admin.mailbox_protocols)
    for them.
  - Plans carry IMAP, POP, Exchange ActiveSync, MAPI, Outlook on the web and EWS. SMTP AUTH, Outlook mobile,
    Outlook for Mac, Windows Mail and the new Outlook are not plan settings, and giving them fails with a message
    saying where to set them.
  - Reads every plan with one C(Get-CASMailboxPlan), then sends C(Set-CASMailboxPlan) only for plans that differ,
    with only the parameters that differ.
author:
  - m365.admin maintainers (@m365-admin)
options:
  plans:
    description:
      - Plans to change, by name (C(ExchangeOnlineEnterprise-<GUID>)), display name (C(ExchangeOnlineEnterprise)),
        or GUID. A display name matching more than one plan selects them all.
    type: list
    elements: str
    default: []
  all_plans:
    description: Change every CAS mailbox plan of the tenant.
    type: bool
    default: false
  max_changes:
    description: The most plans this task may change; more fails before anything is written.
    type: int
  imap:
    description: Allow IMAP4 for new mailboxes of the plan (C(ImapEnabled)).
    type: bool
  pop:
    description: Allow POP3 (C(PopEnabled)).
    type: bool
  activesync:
    description: Allow Exchange ActiveSync (C(ActiveSyncEnabled)).
    type: bool
  mapi:
    description: Allow MAPI, that is Outlook for Windows (C(MAPIEnabled)).
    type: bool
  owa:
    description: Allow Outlook on the web (C(OWAEnabled)).
    type: bool
  ews:
    description: Allow Exchange Web Services (C(EwsEnabled)).
    type: bool
  smtp_auth:
    description:
      - Not a setting of CAS mailbox plans (C(Set-CASMailboxPlan) has no C(SmtpClientAuthenticationDisabled)).
        Giving it fails, pointing to M(m365.admin.transport_config) and M(m365.admin.mailbox_protocols).
    type: str
  outlook_mobile:
    description: Not a setting of CAS mailbox plans; giving it fails, pointing to M(m365.admin.mailbox_protocols).
    type: raw
  mac_outlook:
    description: Not a setting of CAS mailbox plans; giving it fails, pointing to M(m365.admin.mailbox_protocols).
    type: raw
  universal_outlook:
    description: Not a setting of CAS mailbox plans; giving it fails, pointing to M(m365.admin.mailbox_protocols).
    type: raw
  new_outlook:
    description: Not a setting of CAS mailbox plans; giving it fails, pointing to M(m365.admin.mailbox_protocols).
    type: raw
notes:
  - "Exchange Online: C(Exchange.ManageAsApp) and the Exchange Administrator role on the app."
seealso:
  - module: m365.admin.mailbox_protocols
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
attributes:
  check_mode:
    description: In check mode nothing is written, and RV(changes) lists exactly what a real run would change.
    support: full
  diff_mode:
    description: Shows each changed plan's settings before and after.
    support: full
"""

EXAMPLES = r"""
- name: New mailboxes start without IMAP and POP
  m365.admin.cas_mailbox_plan:
    all_plans: true
    imap: false
    pop: false

- name: Only the E3 plan
  m365.admin.cas_mailbox_plan:
    plans: [ExchangeOnlineEnterprise]
    activesync: false
"""

RETURN = r"""
changed:
  description: Whether any plan was changed (in check mode, whether any would be).
  returned: always
  type: bool
summary:
  description: Counts of plans selected, compliant, changed and failed.
  returned: always
  type: dict
  sample: {"targets": 4, "compliant": 1, "changed": 3, "failed": 0}
changes:
  description: Every plan changed, with only the settings that change.
  returned: always
  type: list
  elements: dict
  contains:
    plan:
      description: The plan's name.
      type: str
      sample: ExchangeOnlineEnterprise-0b3a8f52-2d4c-4e0f-9b1e-6f7a8c9d0e1f
    display_name:
      description: The plan's display name.
      type: str
      sample: ExchangeOnlineEnterprise
    before:
      description: The changed settings before.
      type: dict
    after:
      description: The changed settings after.
      type: dict
failures:
  description: Plans whose change failed, with the cmdlet's error.
  returned: always
  type: list
  elements: dict
plans:
  description: Every selected plan with its protocol settings after the task (as they would be, in check mode).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.m365.admin.plugins.module_utils import _cas
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, NotFoundError
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module
from ansible_collections.m365.admin.plugins.module_utils._reconcile import Target, check_max_changes, reconcile

NOT_ON_PLANS = [setting for setting in _cas.SETTINGS if not setting.on_plan]


def refuse_mailbox_only_settings(params):
    given = [setting.name for setting in NOT_ON_PLANS if params.get(setting.name) is not None]
    if given:
        where = ("set SMTP AUTH for the organization with m365.admin.transport_config, or per mailbox with "
                 "m365.admin.mailbox_protocols" if "smtp_auth" in given else
                 "set them per mailbox with m365.admin.mailbox_protocols")
        raise ConfigurationError(
            "%s cannot be set on a CAS mailbox plan: Set-CASMailboxPlan has no %s parameter; %s"
            % (", ".join(given), ", ".join(_cas.BY_NAME[name].parameter for name in given), where),
            option=given[0])


def validate(params):
    if not (params.get("plans") or params.get("all_plans")):
        raise ConfigurationError("no plans selected: give plans, or all_plans: true", option="plans")
    if not _cas.desired_settings(params, _cas.PLAN_SETTINGS):
        raise ConfigurationError("no setting given: set at least one of %s"
                                 % ", ".join(s.name for s in _cas.PLAN_SETTINGS), option="imap")


def plan_matches(plan, name):
    name = name.lower()
    return any((plan.get(key) or "").lower() == name for key in ("Name", "DisplayName", "Guid", "Identity"))


async def run(module, connection):
    exchange = await connection.exchange()
    output = await exchange.invoke("Get-CASMailboxPlan", {"ResultSize": "Unlimited"}, target="CAS mailbox plans")
    plans = output.values
    if module.params["all_plans"]:
        selected = plans
    else:
        missing = [name for name in module.params["plans"] if not any(plan_matches(p, name) for p in plans)]
        if missing:
            raise NotFoundError("no CAS mailbox plan named %s (the tenant has: %s); nothing was changed"
                                % (", ".join("'%s'" % m for m in missing),
                                   ", ".join(sorted(p.get("DisplayName") or p.get("Name") for p in plans))),
                                operation="Select CAS mailbox plans")
        selected = [p for p in plans if any(plan_matches(p, name) for name in module.params["plans"])]

    everything = [Target(p["Name"], p["Name"], _cas.current_settings(p, _cas.PLAN_SETTINGS),
                         identity=dict(plan=p["Name"], display_name=p.get("DisplayName"))) for p in selected]
    desired = _cas.desired_settings(module.params, _cas.PLAN_SETTINGS)
    # A setting Exchange did not return cannot be compared: that plan is reported, not written blind.
    targets, unreadable = _cas.unreadable_targets(everything, desired, _cas.PLAN_SETTINGS)

    backend = _cas.CasSettings(exchange, _cas.PLAN_SETTINGS, noun="plans", get_cmdlet="Get-CASMailboxPlan",
                               set_cmdlet="Set-CASMailboxPlan")
    result = await reconcile(backend, targets, desired, module.check_mode, max_changes=module.params["max_changes"],
                             read_failures=unreadable)
    result["plans"] = []
    for target in targets:
        settings = dict(target.current)
        settings.update(desired)
        result["plans"].append(dict(target.identity, **settings))
    return result


def main():
    spec = dict(
        plans=dict(type="list", elements="str", default=[]),
        all_plans=dict(type="bool", default=False),
        max_changes=dict(type="int"),
        smtp_auth=dict(type="str"),
        outlook_mobile=dict(type="raw"),
        mac_outlook=dict(type="raw"),
        universal_outlook=dict(type="raw"),
        new_outlook=dict(type="raw"),
    )
    spec.update(_cas.settings_argument_spec(_cas.PLAN_SETTINGS))
    module = M365Module(argument_spec=spec, supports_check_mode=True)
    module.validate(refuse_mailbox_only_settings, validate, check_max_changes)
    module.run(run)


if __name__ == "__main__":
    main()
