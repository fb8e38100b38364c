# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Conditional Access policies (``/identity/conditionalAccess/policies``): templates, the
normalising comparison, the lockout guard, and paced calls.

Microsoft limits Conditional Access to about one request per second per tenant, for all apps
together, and its 429 answers carry no Retry-After. Every call here goes through one ``Pacer``,
so a module run never sends two Conditional Access requests less than ``MIN_INTERVAL`` apart and
never provokes throttling by itself. A 429 that happens anyway (another app, or the previous
task a moment ago) is retried by its one owner, the HTTP pipeline (``_http.ServiceSession``:
exponential back-off from one second, since there is no Retry-After, ``_http.MAX_SENDS`` sends
in all); nothing here sends a request again (docs/reliability.md).

Graph returns a policy in its full shape: every array present (often empty) and ``null`` for
absent complex members. A task states only some of it, so the comparison looks only at the
fields the task gives (``project``), after ``normalize`` has made null, missing and empty
the same, and id lists sets.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from urllib.parse import urlsplit

from ansible_collections.m365.admin.plugins.module_utils._connection import is_guid
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    NotFoundError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._graph import UPN_RE

POLICIES_PATH = "/identity/conditionalAccess/policies"
READ_PERMISSION = "Policy.Read.All"
WRITE_PERMISSION = "Policy.Read.All and Policy.ReadWrite.ConditionalAccess"

# Seconds between two Conditional Access requests of one run: Microsoft allows one per second
# per tenant; the margin absorbs the time the service takes to count a request.
MIN_INTERVAL = 1.1

# The module's policy_state -> Graph's state.
POLICY_STATES = {
    "enabled": "enabled",
    "disabled": "disabled",
    "report_only": "enabledForReportingButNotEnforced",
}
GRAPH_STATES = dict((graph_state, option) for option, graph_state in POLICY_STATES.items())

INCLUDE_USER_KEYWORDS = ("All", "None", "GuestsOrExternalUsers")
EXCLUDE_USER_KEYWORDS = ("GuestsOrExternalUsers",)
SCOPE_OPTIONS = ("include_users", "include_groups", "exclude_users", "exclude_groups")

# Role template ids of the directory roles Microsoft's "Require MFA for administrators" policy
# covers at a minimum (learn.microsoft.com, "Require MFA for administrators").
PRIVILEGED_ROLES = (
    ("62e90394-69f5-4237-9190-012177145e10", "Global Administrator"),
    ("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"),
    ("c4e39bd9-1100-46d3-8c65-fb160da0071f", "Authentication Administrator"),
    ("b0f54661-2d74-4c50-afa3-1ec803f12efe", "Billing Administrator"),
    ("158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator"),
    ("b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", "Conditional Access Administrator"),
    ("29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator"),
    ("729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator"),
    ("966707d0-3269-4727-9be2-8c3a10f19b9d", "Password Administrator"),
    ("7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "Privileged Authentication Administrator"),
    ("e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator"),
    ("194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator"),
    ("f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "SharePoint Administrator"),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
)

ALL_APPLICATIONS = {"includeApplications": ["All"], "excludeApplications": []}

# What each template sets: conditions (users come from the module's options), grant controls,
# and the directory roles it includes.
TEMPLATES = {
    # Legacy authentication: Exchange ActiveSync and "other clients" (IMAP, POP, SMTP AUTH, ...).
    "block_legacy_auth": dict(
        conditions={"clientAppTypes": ["exchangeActiveSync", "other"], "applications": ALL_APPLICATIONS},
        grantControls={"operator": "OR", "builtInControls": ["block"]},
        roles=()),
    "require_mfa": dict(
        conditions={"clientAppTypes": ["all"], "applications": ALL_APPLICATIONS},
        grantControls={"operator": "OR", "builtInControls": ["mfa"]},
        roles=()),
    "require_mfa_admins": dict(
        conditions={"clientAppTypes": ["all"], "applications": ALL_APPLICATIONS},
        grantControls={"operator": "OR", "builtInControls": ["mfa"]},
        roles=tuple(role_id for role_id, _name in PRIVILEGED_ROLES)),
}


# ---------------------------------------------------------------------------------------------
# Pacing and calls
# ---------------------------------------------------------------------------------------------
class Pacer(object):
    """Keeps calls made inside ``async with pacer:`` at least ``interval`` seconds apart.

    The interval runs from the end of one call to the start of the next, so the service has
    always counted the previous request.
    """

    def __init__(self, interval=MIN_INTERVAL, clock=time.monotonic, sleep=None):
        self.interval = interval
        self.waited = 0.0
        self._clock = clock
        self._sleep = sleep
        self._last = None
        self._lock = None

    async def __aenter__(self):
        if self._lock is None:
            self._lock = asyncio.Lock()
        await self._lock.acquire()
        delay = self._last + self.interval - self._clock() if self._last is not None else 0.0
        if delay > 0:
            self.waited += delay
            await (self._sleep or asyncio.sleep)(delay)
        return self

    async def __aexit__(self, exc_type, exc, tb):
        self._last = self._clock()
        self._lock.release()
        return False


class ConditionalAccessPolicies(object):
    """Conditional Access policy calls for one module run, all through one Pacer."""

    def __init__(self, graph, pacer=None):
        self.graph = graph
        self.pacer = pacer or Pacer()
        self.requests_sent = 0

    async def _request(self, method, path, operation, target=None, body=None, permission=READ_PERMISSION, safe=None):
        # The pipeline's back-off (one second and more) keeps its own retries inside the pace.
        async with self.pacer:
            self.requests_sent += 1
            return await self.graph.request(method, path, body=body, operation=operation, target=target,
                                            permission=permission, safe=safe)

    async def list(self):
        """Every policy of the tenant, following @odata.nextLink."""
        operation = "List Conditional Access policies"
        policies = []
        body = await self._request("GET", POLICIES_PATH, operation)
        while True:
            policies.extend((body or {}).get("value") or [])
            link = (body or {}).get("@odata.nextLink")
            if not link:
                return policies
            if urlsplit(link).netloc.lower() != urlsplit(self.graph.graph_url).netloc.lower():
                raise TransportError("Graph returned a next link to another host (%s); the token is not sent there"
                                     % urlsplit(link).netloc, operation=operation)
            body = await self._request("GET", link, operation)

    async def get(self, policy_id, display_name=None):
        return await self._request("GET", "%s/%s" % (POLICIES_PATH, policy_id), "Read the Conditional Access policy",
                                   target=display_name or policy_id)

    async def create(self, body):
        # Not sent again when the answer is lost: a second POST would create a second policy.
        return await self._request("POST", POLICIES_PATH, "Create the Conditional Access policy",
                                   target=body.get("displayName"), body=body, permission=WRITE_PERMISSION)

    async def update(self, policy_id, body):
        # The body states absolute values: sending it twice does no harm.
        await self._request("PATCH", "%s/%s" % (POLICIES_PATH, policy_id), "Update the Conditional Access policy",
                            target=body.get("displayName") or policy_id, body=body, permission=WRITE_PERMISSION,
                            safe=True)

    async def delete(self, policy_id, display_name=None):
        try:
            await self._request("DELETE", "%s/%s" % (POLICIES_PATH, policy_id), "Delete the Conditional Access policy",
                                target=display_name or policy_id, permission=WRITE_PERMISSION, safe=True)
        except NotFoundError:
            # Already gone (a retried DELETE whose first answer was lost, or another admin).
            return


def find_by_name(policies, display_name):
    """The policy named display_name (case-insensitively, as Graph compares names), or None.

    Raises ConfigurationError when several policies carry the name: which one the task means
    cannot be told, and guessing could change or delete the wrong one.
    """
    wanted = display_name.strip().casefold()
    matches = [p for p in policies if (p.get("displayName") or "").strip().casefold() == wanted]
    if len(matches) > 1:
        raise ConfigurationError(
            "%d Conditional Access policies are named %r (ids %s). The module identifies a policy by its display "
            "name, so it cannot tell which one is meant; nothing was changed. Rename or delete the duplicates in the "
            "Entra admin center first" % (len(matches), display_name, ", ".join(sorted(p["id"] for p in matches))),
            option="display_name")
    return matches[0] if matches else None


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------
def normalize(value):
    """A policy value with Graph's defaults made uniform, for comparing and showing.

    null, missing, ``[]`` and ``{}`` are all "not set" (None, and dropped from dicts); lists
    are sets (sorted, duplicates dropped); GUIDs are lower case; OData annotations go.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key.startswith("@") or "@odata." in key:
                continue
            item = normalize(item)
            if item is not None:
                out[key] = item
        return out or None
    if isinstance(value, (list, tuple)):
        unique = {}
        for item in value:
            item = normalize(item)
            if item is not None:
                unique[json.dumps(item, sort_keys=True)] = item
        return [unique[key] for key in sorted(unique)] or None
    if isinstance(value, str) and is_guid(value):
        return value.lower()
    return value


def project(current, desired):
    """The part of ``current`` that ``desired`` speaks about, in desired's shape."""
    if isinstance(desired, dict):
        current = current if isinstance(current, dict) else {}
        return dict((key, project(current.get(key), value)) for key, value in desired.items())
    return current


def managed_differs(current, desired):
    return normalize(project(current, desired)) != normalize(desired)


def merge(current, desired):
    """What a PATCH of ``desired`` makes of ``current``: nested objects merged, the rest replaced."""
    out = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def describe(policy):
    """A policy in the shape the modules return: Graph's names, normalised, plus policy_state."""
    if not policy:
        return {}
    state = policy.get("state")
    return dict(
        id=policy.get("id"),
        display_name=policy.get("displayName"),
        state=state,
        policy_state=GRAPH_STATES.get(state, state),
        created_date_time=policy.get("createdDateTime"),
        modified_date_time=policy.get("modifiedDateTime"),
        conditions=normalize(policy.get("conditions")) or {},
        grant_controls=normalize(policy.get("grantControls")) or {},
        session_controls=normalize(policy.get("sessionControls")) or {},
    )


# ---------------------------------------------------------------------------------------------
# The policy a task asks for
# ---------------------------------------------------------------------------------------------
def validate_policy_options(params):
    """Input checks that need no request. Raises ConfigurationError naming the option."""
    if not (params.get("display_name") or "").strip():
        raise ConfigurationError("display_name must not be empty", option="display_name")
    if params.get("state", "present") != "present":
        return
    for option in SCOPE_OPTIONS:
        for value in params.get(option) or []:
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError("%s contains an empty name" % option, option=option)
    for option, keywords in (("include_users", INCLUDE_USER_KEYWORDS), ("exclude_users", EXCLUDE_USER_KEYWORDS)):
        for value in params.get(option) or []:
            value = value.strip()
            if value in keywords or is_guid(value) or UPN_RE.match(value):
                continue
            raise ConfigurationError(
                "%s: %r is neither a user principal name (name@domain), an object id (GUID), nor one of the keywords %s"
                % (option, value, ", ".join(keywords)), option=option)
    include = [v.strip() for v in params.get("include_users") or []]
    for keyword in ("All", "None"):
        if keyword in include and len(include) > 1:
            raise ConfigurationError("include_users: %r stands alone; it cannot be combined with other users" % keyword,
                                     option="include_users")
    conditions = params.get("conditions")
    if conditions is not None:
        given = [option for option in SCOPE_OPTIONS if params.get(option) is not None]
        if "users" in conditions and given:
            raise ConfigurationError(
                "the users are given twice, in conditions.users and in %s: use one or the other" % ", ".join(given),
                option="conditions")
        for key in ("clientAppTypes", "applications"):
            if key not in conditions:
                raise ConfigurationError("conditions must set %s (Graph's conditionalAccessConditionSet shape)" % key,
                                         option="conditions")


def needs_scope(params):
    """Whether the users come from the include/exclude options (not from conditions.users)."""
    return "users" not in (params.get("conditions") or {})


def scope_names(params):
    """({option: [names]}, user names to resolve, group names to resolve)."""
    names = dict((option, [v.strip() for v in params.get(option) or []]) for option in SCOPE_OPTIONS)
    users = [n for option in ("include_users", "exclude_users") for n in names[option] if n not in INCLUDE_USER_KEYWORDS]
    groups = names["include_groups"] + names["exclude_groups"]
    return names, users, groups


async def resolve_scope(graph, params):
    """The include/exclude options as object ids, keywords kept.

    Raises NotFoundError listing every name that does not resolve, before anything is written:
    a mistyped exclusion would otherwise leave a break-glass account inside the policy.
    """
    names, users, groups = scope_names(params)

    async def nothing():
        return {}, []

    (found_users, missing_users), (found_groups, missing_groups) = await asyncio.gather(
        graph.resolve_users(users, ["id", "userPrincipalName"],
                            operation="Resolve the policy's users") if users else nothing(),
        graph.resolve_groups(groups, operation="Resolve the policy's groups") if groups else nothing())
    missing = {}
    for option in SCOPE_OPTIONS:
        absent = [n for n in names[option] if n in missing_users or n in missing_groups]
        if absent:
            missing[option] = absent
    if missing:
        raise NotFoundError(
            "not found in the tenant: %s. Nothing was changed; correct the names"
            % "; ".join("%s: %s" % (option, ", ".join("'%s'" % v for v in values)) for option, values in missing.items()),
            operation="Resolve the users and groups of the Conditional Access policy")
    found = dict(found_users)
    found.update(found_groups)
    scope = {}
    for option in SCOPE_OPTIONS:
        scope[option] = [name if name in INCLUDE_USER_KEYWORDS else found[name]["id"] for name in names[option]]
    return scope


def user_conditions(scope, include_roles=()):
    """conditions.users with every include and exclude list set: the task owns the user scope."""
    include_users = list(scope.get("include_users") or [])
    include_groups = list(scope.get("include_groups") or [])
    if not include_users and not include_groups and not include_roles:
        include_users = ["All"]
    return {
        "includeUsers": include_users,
        "excludeUsers": list(scope.get("exclude_users") or []),
        "includeGroups": include_groups,
        "excludeGroups": list(scope.get("exclude_groups") or []),
        "includeRoles": list(include_roles),
        "excludeRoles": [],
    }


def expand_template(name):
    """(conditions, grantControls, included role ids) of a template, as new objects."""
    template = TEMPLATES[name]
    return copy.deepcopy(template["conditions"]), copy.deepcopy(template["grantControls"]), template["roles"]


def build_policy(display_name, policy_state, template=None, conditions=None, grant_controls=None, scope=None):
    """The policy body the task asks for, in Graph's shape: what is compared and what is sent.

    ``scope`` holds the resolved include/exclude options; None when ``conditions`` carries
    its own ``users``.
    """
    if template:
        conditions, grant_controls, roles = expand_template(template)
    else:
        conditions, grant_controls, roles = copy.deepcopy(conditions or {}), copy.deepcopy(grant_controls), ()
    if scope is not None:
        conditions["users"] = user_conditions(scope, roles)
    body = {"displayName": display_name.strip(), "state": POLICY_STATES[policy_state], "conditions": conditions}
    if grant_controls is not None:
        body["grantControls"] = grant_controls
    return body


def lockout_risk(policy):
    """Why ``policy`` could lock every account out (a sentence), or None.

    That is a policy that blocks or requires MFA for all users and excludes no user, group or
    role. Excluding only GuestsOrExternalUsers does not count: it exempts no member account,
    so no break-glass account either.
    """
    users = ((policy.get("conditions") or {}).get("users")) or {}
    if "All" not in (users.get("includeUsers") or []):
        return None
    grant = policy.get("grantControls") or {}
    controls = grant.get("builtInControls") or []
    if "block" in controls:
        what = "block sign-ins of all users"
    elif "mfa" in controls or grant.get("authenticationStrength"):
        what = "require MFA of all users"
    else:
        return None
    excluded = [u for u in users.get("excludeUsers") or [] if u not in EXCLUDE_USER_KEYWORDS]
    if excluded or users.get("excludeGroups") or users.get("excludeRoles"):
        return None
    return "it would %s with no user, group or role excluded" % what
