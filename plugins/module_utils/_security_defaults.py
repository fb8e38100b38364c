# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Security defaults (``/policies/identitySecurityDefaultsEnforcementPolicy``), and the rule
that ties them to Conditional Access.

Microsoft keeps the two apart: security defaults cannot be enabled while a Conditional Access
policy is enabled, and a Conditional Access policy cannot be enabled while security defaults
are. Graph refuses with a 400 that does not say which policies are in the way; the functions
here find out, so that the modules can say what to do.
"""

from __future__ import annotations

from ansible_collections.m365.admin.plugins.module_utils._conditional_access import ConditionalAccessPolicies
from ansible_collections.m365.admin.plugins.module_utils._errors import M365Error

PATH = "/policies/identitySecurityDefaultsEnforcementPolicy"
READ_PERMISSION = "Policy.Read.All"
WRITE_PERMISSION = "Policy.ReadWrite.SecurityDefaults"


async def read(graph):
    """The security defaults policy as {id, display_name, enabled}."""
    body = await graph.get(PATH, operation="Read security defaults", permission=READ_PERMISSION) or {}
    return dict(id=body.get("id"), display_name=body.get("displayName"), enabled=bool(body.get("isEnabled")))


async def write(graph, enabled):
    # An absolute value: sending it twice does no harm.
    await graph.request("PATCH", PATH, body={"isEnabled": bool(enabled)},
                        operation="%s security defaults" % ("Enable" if enabled else "Disable"),
                        permission=WRITE_PERMISSION, safe=True)


async def enabled_policy_names(graph, policies=None):
    """Display names of the enabled Conditional Access policies, sorted."""
    policies = policies or ConditionalAccessPolicies(graph)
    return sorted(p.get("displayName") or p.get("id") for p in await policies.list() if p.get("state") == "enabled")


async def quietly(coroutine, default=None):
    """The coroutine's result, or ``default`` when it raises one of our errors.

    For the reads that only explain another error: their own failure must not hide it.
    """
    try:
        return await coroutine
    except M365Error:
        return default


def security_defaults_blocked(policy_names):
    """Why security defaults cannot be enabled, and what to do."""
    return ("Security defaults and Conditional Access exclude each other: Microsoft does not enable security defaults "
            "while a Conditional Access policy is enabled, and %d %s enabled (%s). Set %s to disabled or report_only "
            "first (m365.admin.conditional_access_policy, policy_state), or keep Conditional Access and leave security "
            "defaults off" % (len(policy_names), "policy is" if len(policy_names) == 1 else "policies are",
                              ", ".join("'%s'" % n for n in policy_names),
                              "it" if len(policy_names) == 1 else "them"))


def conditional_access_blocked():
    """Why a Conditional Access policy cannot be enabled, and what to do."""
    return ("Security defaults and Conditional Access exclude each other: Microsoft does not enable a Conditional "
            "Access policy while security defaults are enabled, and they are. Create the policy with policy_state: "
            "report_only (it can be enabled later), or turn security defaults off first (m365.admin.security_defaults, "
            "enabled: false) once Conditional Access policies take over their protections")
