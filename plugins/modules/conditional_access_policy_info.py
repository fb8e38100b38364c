#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: conditional_access_policy_info
short_description: List Microsoft Entra Conditional Access policies
version_added: 0.1.0
description:
  - Returns the tenant's Conditional Access policies, all of them or those with one display name, read through
    Microsoft Graph (C(/identity/conditionalAccess/policies)).
  - Each policy comes in a normalised shape, the one M(m365.admin.conditional_access_policy) returns. It keeps
    Graph's names, leaves out nulls and empty lists, sorts lists, and adds RV(policies[].policy_state) in the
    module's words.
  - Also counts the policies by state, and says whether security defaults are enabled, because Microsoft does not
    allow both to be enforced at once.
  - Reads only; never changes the tenant. Its Conditional Access requests (one per page of policies) are spaced as
    Microsoft's limit of about one request per second per tenant requires.
author:
  - m365.admin maintainers (@m365-admin)
options:
  display_name:
    description:
      - Only the policies with this display name (compared case-insensitively, as Graph does).
      - Several policies can share a name; all of them are returned.
      - Unset returns every policy.
    type: str
notes:
  - "Microsoft Graph application permission: C(Policy.Read.All)."
seealso:
  - module: m365.admin.conditional_access_policy
  - module: m365.admin.security_defaults
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
  - m365.admin.connection.check_mode_read_only
"""

EXAMPLES = r"""
- name: Every Conditional Access policy
  m365.admin.conditional_access_policy_info:
  register: ca

- name: Enforced policies that do not exclude the break-glass group
  ansible.builtin.debug:
    msg: >-
      {{ ca.policies | selectattr('policy_state', 'equalto', 'enabled')
         | rejectattr('conditions.users.excludeGroups', 'defined') | map(attribute='display_name') }}

- name: One policy by name
  m365.admin.conditional_access_policy_info:
    display_name: Block legacy authentication
  register: legacy

- name: It must be enforced
  ansible.builtin.assert:
    that:
      - legacy.policies | length == 1
      - legacy.policies[0].policy_state == 'enabled'
"""

RETURN = r"""
policies:
  description: The policies, sorted by display name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The policy's id.
      type: str
      sample: 45ab721c-791f-4234-ad6a-392e541f4d2e
    display_name:
      description: The policy's display name.
      type: str
      sample: Block legacy authentication
    state:
      description: Graph's state, C(enabled), C(disabled) or C(enabledForReportingButNotEnforced).
      type: str
      sample: enabled
    policy_state:
      description: The state in the words of M(m365.admin.conditional_access_policy), C(enabled), C(disabled) or
        C(report_only).
      type: str
      sample: enabled
    created_date_time:
      description: When the policy was created.
      type: str
      sample: "2022-10-06T01:42:05Z"
    modified_date_time:
      description: When the policy was last changed (null if never).
      type: str
    conditions:
      description: The conditions in Graph's shape, without nulls and empty lists, lists sorted.
      type: dict
      sample: {"applications": {"includeApplications": ["All"]}, "clientAppTypes": ["exchangeActiveSync", "other"],
               "users": {"excludeGroups": ["e1dc1206-7265-4231-b1dc-14b20a1ff60a"], "includeUsers": ["All"]}}
    grant_controls:
      description: The grant controls in Graph's shape.
      type: dict
      sample: {"builtInControls": ["block"], "operator": "OR"}
    session_controls:
      description: The session controls in Graph's shape (empty when none).
      type: dict
      sample: {"signInFrequency": {"isEnabled": true, "type": "hours", "value": 12}}
counts:
  description: The number of policies in each policy state, C(enabled), C(report_only) and C(disabled).
  returned: always
  type: dict
  sample: {"enabled": 1, "report_only": 1, "disabled": 1}
security_defaults_enabled:
  description: Whether security defaults are enabled (null when the app may not read them).
  returned: always
  type: bool
  sample: false
"""

from ansible_collections.m365.admin.plugins.module_utils import _conditional_access as ca
from ansible_collections.m365.admin.plugins.module_utils import _security_defaults
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module


async def run(module, connection):
    graph = connection.graph()
    policies = await ca.ConditionalAccessPolicies(graph).list()
    wanted = module.params["display_name"]
    if wanted is not None:
        wanted = wanted.strip().casefold()
        policies = [p for p in policies if (p.get("displayName") or "").strip().casefold() == wanted]
    described = sorted((ca.describe(p) for p in policies), key=lambda p: ((p["display_name"] or "").casefold(), p["id"]))
    counts = dict((state, 0) for state in ca.POLICY_STATES)
    for policy in described:
        counts[policy["policy_state"]] = counts.get(policy["policy_state"], 0) + 1
    security_defaults = await _security_defaults.quietly(_security_defaults.read(graph), {})
    return dict(changed=False, policies=described, counts=counts,
                security_defaults_enabled=security_defaults.get("enabled"))


def main():
    module = M365Module(argument_spec=dict(display_name=dict(type="str")), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
