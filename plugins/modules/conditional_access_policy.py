#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: conditional_access_policy
short_description: Create, update or delete a Microsoft Entra Conditional Access policy
version_added: 0.1.0
description:
  - Manages one Conditional Access policy through Microsoft Graph (C(/identity/conditionalAccess/policies)),
    identified by its display name.
  - The policy is described either by a O(template) (block legacy authentication, require MFA, require MFA for
    administrators) or by raw O(conditions) and O(grant_controls) in Graph's own shape.
  - The users it applies to are given by user principal name and group display name (or object id) in
    O(include_users), O(include_groups), O(exclude_users) and O(exclude_groups), and resolved to ids. A name that
    does not resolve fails the task before anything is written, listing every such name.
  - "Lockout guard: the module refuses to create a policy, or to enable one, that blocks or requires MFA for all
    users with no exclusion at all, unless O(allow_no_exclusions=true). Exclude the break-glass (emergency access)
    accounts instead."
  - Idempotent. Graph returns a policy in its full shape, with every list present and nulls for what is not set; the
    module compares only the fields the task gives, with null, missing and empty treated alike and lists compared as
    sets, so an unchanged policy reports C(changed=false) on every run. Fields the task does not give (for example
    session controls set in the Entra admin center) are left as they are.
  - Microsoft limits Conditional Access to about one request per second per tenant, and its throttled answers carry
    no Retry-After. The module spaces its own Conditional Access requests at least 1.1 seconds apart, and sends a
    throttled request again after an exponential back-off (1, 2, 4, 8, 16, 30 and 30 seconds), 8 sends in all; then
    the task fails saying it is still throttled. A run takes two to three seconds.
  - "Recommended order: create a policy with O(policy_state=report_only) (the default), check its impact in the
    sign-in logs (the Report-only tab of each sign-in, or the Conditional Access insights workbook) for a few days,
    then run the same task with O(policy_state=enabled)."
  - In check mode nothing is written and the result shows the policy as a real run would leave it.
author:
  - m365.admin maintainers (@m365-admin)
options:
  display_name:
    description:
      - The policy's display name, which identifies it. Names are compared case-insensitively, as Graph does.
      - When the tenant has more than one policy with this name the task fails, listing their ids, and changes nothing.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the policy; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  policy_state:
    description:
      - Whether the policy is enforced.
      - V(report_only) (Graph's C(enabledForReportingButNotEnforced)) evaluates the policy at every sign-in and logs
        what it would have done, without enforcing it. Start here.
      - V(enabled) enforces the policy. Microsoft refuses this while security defaults are enabled.
      - V(disabled) keeps the policy without evaluating it.
    type: str
    choices: [enabled, disabled, report_only]
    default: report_only
  template:
    description:
      - A ready-made policy. Mutually exclusive with O(conditions) and O(grant_controls).
      - V(block_legacy_auth) blocks legacy authentication, that is client app types C(exchangeActiveSync) and C(other)
        (IMAP, POP, SMTP AUTH, MAPI and other basic-auth protocols), for all cloud apps.
      - V(require_mfa) requires multifactor authentication (grant control C(mfa)) for all cloud apps and all client
        app types.
      - V(require_mfa_admins) requires MFA for all cloud apps of anyone holding a privileged directory role. The
        roles are the fourteen Microsoft recommends at a minimum, Global, Application, Authentication, Billing, Cloud
        Application, Conditional Access, Exchange, Helpdesk, Password, Privileged Authentication, Privileged Role,
        Security, SharePoint and User Administrator. It applies to no other users unless O(include_users) or
        O(include_groups) adds them.
      - A template sets the client app types, the included and excluded applications, the user scope and the grant
        controls. Anything else on the policy is left as it is.
      - With O(state=present), one of O(template) or O(conditions) is required.
    type: str
    choices: [block_legacy_auth, require_mfa, require_mfa_admins]
  conditions:
    description:
      - The policy's conditions in Graph's own shape (C(conditionalAccessConditionSet)), with Graph's camelCase names,
        for example C(clientAppTypes), C(applications), C(locations), C(platforms).
      - Must set C(clientAppTypes) and C(applications).
      - The users may be given here, as C(users) with object ids, or with O(include_users), O(include_groups),
        O(exclude_users) and O(exclude_groups), but not both.
      - Only the fields given are compared and sent; the others stay as they are on an existing policy.
    type: dict
  grant_controls:
    description:
      - The policy's grant controls in Graph's own shape (C(conditionalAccessGrantControls)), for example an
        C(operator) of C(OR) and C(builtInControls) of C([mfa]).
      - Required with O(conditions).
    type: dict
  include_users:
    description:
      - Users the policy applies to, by user principal name or object id, or one of the keywords C(All), C(None),
        C(GuestsOrExternalUsers). C(All) and C(None) stand alone.
      - When neither O(include_users) nor O(include_groups) is given, the policy applies to all users (C(All)), except
        with O(template=require_mfa_admins), which applies to the privileged roles only.
    type: list
    elements: str
  include_groups:
    description:
      - Groups whose members the policy applies to, by display name or object id.
      - A display name that matches more than one group is an error; use the id.
    type: list
    elements: str
  exclude_users:
    description:
      - Users the policy never applies to, by user principal name or object id, or the keyword C(GuestsOrExternalUsers).
      - Put the break-glass (emergency access) accounts here, or in a group given in O(exclude_groups).
    type: list
    elements: str
  exclude_groups:
    description:
      - Groups whose members the policy never applies to, by display name or object id.
    type: list
    elements: str
  allow_no_exclusions:
    description:
      - Allow creating, or enabling, a policy that blocks or requires MFA for all users while excluding no user, group
        or role. Such a policy can lock every administrator out of the tenant.
      - Excluding only C(GuestsOrExternalUsers) does not count as an exclusion, since it exempts no member account.
    type: bool
    default: false
notes:
  - "Microsoft Graph application permissions: C(Policy.Read.All) and C(Policy.ReadWrite.ConditionalAccess) to change
    policies (C(Policy.Read.All) alone is enough in check mode), C(User.Read.All) to resolve users and
    C(GroupMember.Read.All) to resolve groups."
  - Conditional Access needs Microsoft Entra ID P1 (P2 for risk-based conditions).
  - Conditional Access evaluates sign-ins only; sessions already open keep working until their tokens expire.
seealso:
  - module: m365.admin.conditional_access_policy_info
  - module: m365.admin.security_defaults
  - module: m365.admin.user_mfa
  - name: Plan a Conditional Access deployment
    description: Microsoft's guidance, report-only mode and emergency access accounts included.
    link: https://learn.microsoft.com/entra/identity/conditional-access/plan-conditional-access
  - name: conditionalAccessPolicy resource type
    description: The shape of O(conditions) and O(grant_controls).
    link: https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy
extends_documentation_fragment:
  - m365.admin.connection
  - m365.admin.connection.attributes
attributes:
  check_mode:
    description: In check mode nothing is written; RV(policy) shows the policy as a real run would leave it.
    support: full
  diff_mode:
    description: Shows the fields the task manages, before and after.
    support: full
"""

EXAMPLES = r"""
- name: Block legacy authentication for everyone but the break-glass accounts, report-only first
  m365.admin.conditional_access_policy:
    display_name: Block legacy authentication
    template: block_legacy_auth
    exclude_groups: [Break Glass Accounts]
    policy_state: report_only

# ... check the Report-only results in the sign-in logs, then:
- name: Enforce it
  m365.admin.conditional_access_policy:
    display_name: Block legacy authentication
    template: block_legacy_auth
    exclude_groups: [Break Glass Accounts]
    policy_state: enabled

- name: Require MFA for administrators
  m365.admin.conditional_access_policy:
    display_name: Require MFA for administrators
    template: require_mfa_admins
    exclude_users:
      - breakglass1@contoso.onmicrosoft.com
      - breakglass2@contoso.onmicrosoft.com
    policy_state: enabled

- name: Require MFA for all users, guests excluded
  m365.admin.conditional_access_policy:
    display_name: Require MFA for all users
    template: require_mfa
    exclude_users: [GuestsOrExternalUsers]
    exclude_groups: [Break Glass Accounts]

- name: A policy in Graph's own shape - phishing-resistant MFA for the admin portals
  m365.admin.conditional_access_policy:
    display_name: Phishing-resistant MFA for admin portals
    conditions:
      clientAppTypes: [all]
      applications:
        includeApplications: [MicrosoftAdminPortals]
    grant_controls:
      operator: OR
      authenticationStrength:
        id: 00000000-0000-0000-0000-000000000004
    include_groups: [IT Administrators]
    exclude_groups: [Break Glass Accounts]

- name: Remove a policy
  m365.admin.conditional_access_policy:
    display_name: Old trial policy
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the policy was created, changed or deleted (in check mode, whether it would be).
  returned: always
  type: bool
policy:
  description:
    - The policy after the task, in Graph's shape with nulls and empty lists left out and lists sorted, as
      M(m365.admin.conditional_access_policy_info) returns it.
    - In check mode, the policy as a real run would leave it (a new policy has no id yet).
    - Empty after O(state=absent).
  returned: always
  type: dict
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
      sample: enabledForReportingButNotEnforced
    policy_state:
      description: The state as O(policy_state) names it.
      type: str
      sample: report_only
    created_date_time:
      description: When the policy was created.
      type: str
    modified_date_time:
      description: When the policy was last changed (null if never).
      type: str
    conditions:
      description: The conditions, in Graph's shape.
      type: dict
      sample: {"applications": {"includeApplications": ["All"]}, "clientAppTypes": ["exchangeActiveSync", "other"],
               "users": {"excludeGroups": ["e1dc1206-7265-4231-b1dc-14b20a1ff60a"], "includeUsers": ["All"]}}
    grant_controls:
      description: The grant controls, in Graph's shape.
      type: dict
      sample: {"builtInControls": ["block"], "operator": "OR"}
    session_controls:
      description: The session controls, in Graph's shape.
      type: dict
diff:
  description:
    - The fields the task manages, in Graph's shape and normalised like RV(policy), before and after.
    - C(before) is empty when the policy is created, C(after) when it is deleted.
  returned: always
  type: dict
"""

from ansible_collections.m365.admin.plugins.module_utils import _conditional_access as ca
from ansible_collections.m365.admin.plugins.module_utils import _security_defaults
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, OutcomeUnknownError, ServiceError
from ansible_collections.m365.admin.plugins.module_utils._module import M365Module


def check_lockout(params, predicted, creating):
    """The lockout guard: refuse to create, or to enable, a policy that could lock everyone out."""
    if params["allow_no_exclusions"] or not (creating or predicted.get("state") == "enabled"):
        return
    risk = ca.lockout_risk(predicted)
    if risk:
        raise ConfigurationError(
            "Refusing to %s the Conditional Access policy '%s': %s, which can lock every administrator out of the "
            "tenant. Exclude the break-glass (emergency access) accounts with exclude_users or exclude_groups, or set "
            "allow_no_exclusions: true. Nothing was changed"
            % ("create" if creating else "enable", params["display_name"], risk), option="allow_no_exclusions")


async def ensure_absent(module, policies, current):
    if current is None:
        return dict(changed=False, policy={}, diff=dict(before={}, after={}))
    diff = dict(before=ca.normalize(current) or {}, after={})
    if not module.check_mode:
        await policies.delete(current["id"], current.get("displayName"))
    return dict(changed=True, policy={}, diff=diff)


async def ensure_present(module, graph, policies, current, desired):
    params = module.params
    creating = current is None
    before = {} if creating else ca.normalize(ca.project(current, desired)) or {}
    diff = dict(before=before, after=ca.normalize(desired) or {})
    if not creating and not ca.managed_differs(current, desired):
        return dict(changed=False, policy=ca.describe(current), diff=diff)
    predicted = ca.merge(current, desired) if current else dict(desired, id=None)
    check_lockout(params, predicted, creating)
    enabling = desired["state"] == "enabled" and (creating or current.get("state") != "enabled")
    if module.check_mode:
        if enabling and (await _security_defaults.read(graph))["enabled"]:
            raise ConfigurationError("The policy cannot be enabled; a real run would fail. %s"
                                     % _security_defaults.conditional_access_blocked(), option="policy_state")
        return dict(changed=True, policy=ca.describe(predicted), diff=diff)
    try:
        if creating:
            after = await create_verified(module, policies, desired)
        else:
            await policies.update(current["id"], desired)
            after = await policies.get(current["id"], desired["displayName"])
    except ServiceError as exc:
        if enabling and exc.status == 400:
            security_defaults = await _security_defaults.quietly(_security_defaults.read(graph), {})
            if security_defaults.get("enabled"):
                raise exc.amended(hint=_security_defaults.conditional_access_blocked()) from exc
        raise
    return dict(changed=True, policy=ca.describe(after), diff=diff)


async def create_verified(module, policies, desired):
    """Create the policy. When the answer is lost, the POST is not sent again (a second policy
    could be created): the policies are read back, and the one of that name, when there is
    exactly one, is the policy created."""
    try:
        return await policies.create(desired)
    except OutcomeUnknownError as exc:
        named = [policy for policy in await policies.list() if policy.get("displayName") == desired["displayName"]]
        if len(named) != 1:
            raise exc
        module.ansible.warn("The answer to the creation of the Conditional Access policy '%s' was lost; reading the "
                            "policies back showed it created." % desired["displayName"])
        return named[0]


async def run(module, connection):
    params = module.params
    graph = connection.graph()
    policies = ca.ConditionalAccessPolicies(graph)
    desired = None
    if params["state"] == "present":
        # Names are resolved before any Conditional Access call: a typo fails fast and costs no paced request.
        scope = await ca.resolve_scope(graph, params) if ca.needs_scope(params) else None
        desired = ca.build_policy(params["display_name"], params["policy_state"], template=params["template"],
                                  conditions=params["conditions"], grant_controls=params["grant_controls"], scope=scope)
    current = ca.find_by_name(await policies.list(), params["display_name"])
    if desired is None:
        return await ensure_absent(module, policies, current)
    return await ensure_present(module, graph, policies, current, desired)


def main():
    module = M365Module(
        argument_spec=dict(
            display_name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            policy_state=dict(type="str", choices=list(ca.POLICY_STATES), default="report_only"),
            template=dict(type="str", choices=sorted(ca.TEMPLATES)),
            conditions=dict(type="dict"),
            grant_controls=dict(type="dict"),
            include_users=dict(type="list", elements="str"),
            include_groups=dict(type="list", elements="str"),
            exclude_users=dict(type="list", elements="str"),
            exclude_groups=dict(type="list", elements="str"),
            allow_no_exclusions=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("template", "conditions"), ("template", "grant_controls")],
        required_together=[("conditions", "grant_controls")],
        required_if=[("state", "present", ("template", "conditions"), True)],
        supports_check_mode=True,
    )
    module.validate(ca.validate_policy_options)
    module.run(run)


if __name__ == "__main__":
    main()
