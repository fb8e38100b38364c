#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_defaults
short_description: Turn Microsoft Entra security defaults on or off
version_added: 0.1.0
description:
  - Sets whether security defaults are enabled in the tenant, through Microsoft Graph
    (C(/policies/identitySecurityDefaultsEnforcementPolicy), property C(isEnabled)).
  - Security defaults are Microsoft's free baseline. They require every user to register for MFA, require MFA of
    administrators, and block legacy authentication tenant-wide.
  - Security defaults and Conditional Access exclude each other. Microsoft refuses to enable security defaults while
    any Conditional Access policy is enabled; the module then fails naming the enabled policies. Tenants with
    Microsoft Entra ID P1 or P2 usually replace security defaults with Conditional Access policies (see
    M(m365.admin.conditional_access_policy)) and turn security defaults off.
  - Reads the policy, changes it only when it differs, and reads it back.
  - In check mode nothing is written. When enabling would be refused because Conditional Access policies are
    enabled, check mode fails the same way a real run would.
author:
  - m365.admin maintainers (@m365-admin)
options:
  enabled:
    description:
      - Whether security defaults must be enabled.
      - To move from security defaults to Conditional Access, create the policies in report-only mode first, enable
        them, then set O(enabled=false). Microsoft refuses to enable a policy while security defaults are on.
    type: bool
    required: true
notes:
  - "Microsoft Graph application permissions: C(Policy.Read.All) to read security defaults,
    C(Policy.ReadWrite.SecurityDefaults) to change them."
  - Only C(isEnabled) can be changed; the policy's name and description are Microsoft's.
seealso:
  - module: m365.admin.conditional_access_policy
  - module: m365.admin.conditional_access_policy_info
  - name: Security defaults in Microsoft Entra ID
    description: What security defaults protect, and when to use Conditional Access instead.
    link: https://learn.microsoft.com/entra/fundamentals/security-defaults
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
attributes:
  check_mode:
    description: In check mode nothing is written; the result says whether a real run would change the setting.
    support: full
  diff_mode:
    description: Shows C(enabled) before and after.
    support: full
"""

EXAMPLES = r"""
- name: A small tenant without Entra ID P1 relies on security defaults
  m365.admin.security_defaults:
    enabled: true

- name: Audit in check mode that security defaults are off where Conditional Access is used
  m365.admin.security_defaults:
    enabled: false
  check_mode: true
  register: security_defaults
  failed_when: security_defaults is changed

- name: Move to Conditional Access, enforced first, then turn security defaults off
  block:
    - name: Block legacy authentication (Microsoft refuses to enable it while security defaults are on)
      m365.admin.conditional_access_policy:
        display_name: Block legacy authentication
        template: block_legacy_auth
        exclude_groups: [Break Glass Accounts]
        policy_state: report_only

    - name: Security defaults off
      m365.admin.security_defaults:
        enabled: false

    - name: Then enforce the policy
      m365.admin.conditional_access_policy:
        display_name: Block legacy authentication
        template: block_legacy_auth
        exclude_groups: [Break Glass Accounts]
        policy_state: enabled
"""

RETURN = r"""
changed:
  description: Whether the setting was changed (in check mode, whether it would be).
  returned: always
  type: bool
security_defaults:
  description: The security defaults policy after the task (in check mode, as a real run would leave it).
  returned: always
  type: dict
  contains:
    id:
      description: The policy's id.
      type: str
      sample: 00000000-0000-0000-0000-000000000005
    display_name:
      description: The policy's name.
      type: str
      sample: Security Defaults
    enabled:
      description: Whether security defaults are enabled.
      type: bool
      sample: false
diff:
  description: C(enabled) before and after.
  returned: always
  type: dict
  sample: {"before": {"enabled": true}, "after": {"enabled": false}}
"""

from ansible_collections.m365.admin.plugins.module_utils import _security_defaults
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, ServiceError
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module


async def run(module, connection):
    graph = connection.graph()
    desired = module.params["enabled"]
    before = await _security_defaults.read(graph)
    diff = dict(before=dict(enabled=before["enabled"]), after=dict(enabled=desired))
    if before["enabled"] == desired:
        return dict(changed=False, security_defaults=before, diff=diff)
    if module.check_mode:
        if desired:
            # Graph would refuse while Conditional Access policies are enabled: predict it.
            names = await _security_defaults.enabled_policy_names(graph)
            if names:
                raise ConfigurationError("Security defaults cannot be enabled; a real run would fail. %s"
                                         % _security_defaults.security_defaults_blocked(names), option="enabled")
        return dict(changed=True, security_defaults=dict(before, enabled=desired), diff=diff)
    try:
        await _security_defaults.write(graph, desired)
    except ServiceError as exc:
        if desired and exc.status == 400:
            names = await _security_defaults.quietly(_security_defaults.enabled_policy_names(graph))
            if names:
                raise exc.amended(hint=_security_defaults.security_defaults_blocked(names)) from exc
        raise
    after = await _security_defaults.read(graph)
    return dict(changed=True, security_defaults=after, diff=dict(diff, after=dict(enabled=after["enabled"])))


def main():
    module = M365Module(argument_spec=dict(enabled=dict(type="bool", required=True)), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
