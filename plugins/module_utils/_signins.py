# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Who still uses a legacy mail protocol: Entra ID sign-in logs, read per protocol and summed per user.

One table (``PROTOCOLS``) ties each protocol's friendly name to the ``clientAppUsed`` value
the sign-in logs carry and to the mailbox setting (``_cas``) that turns it off. Three users
of the table: ``m365.admin.protocol_usage_info`` (the read), the usage guard of
``m365.admin.mailbox_protocols`` (do not cut off recent users), and the impact section of
the baseline report (who would break). The table and the arithmetic need no HTTP library, so
the controller-side report module can import this file.

Reading is one ``GET /auditLogs/signIns`` listing per protocol, filtered on the server by
``createdDateTime ge`` and ``clientAppUsed eq`` (both documented filters), with ``$top=1000``
(the documented maximum page size). Nothing else is sent: Microsoft documents ``$top``,
``$skiptoken`` and ``$filter`` only for this listing, and Graph answers ``$select`` with 400
"Query option 'Select' is not allowed". The listings run one after another: sign-in logs allow
only a few requests per 10 seconds per app and tenant. Pages are summed per user as they
arrive; the raw log is never held.

What Microsoft documents for this API (v1.0 "List signIns"), and what follows from it here:

* it exists in the worldwide service only (not US Government L4/L5, nor 21Vianet): in those
  clouds the read is refused before any request (``check_cloud``);
* it needs both ``AuditLog.Read.All`` and ``Directory.Read.All`` (a documented known issue);
* it lists interactive sign-ins only: a client that signs in non-interactively (with a refresh
  token) is not in it, so usage is a lower bound.
"""

from __future__ import annotations

import datetime

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    M365Error,
    PermissionDeniedError,
)

SIGNINS_PATH = "/auditLogs/signIns"
SIGNINS_PAGE_SIZE = 1000
# Entra ID keeps sign-in logs for 30 days with a P1 or P2 licence (7 days without, but then the
# API refuses the call altogether).
MAX_WINDOW_DAYS = 30
NON_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
# Both are needed (Microsoft's "List signIns" page and its known issue); either alone gets 403.
PERMISSIONS = ("AuditLog.Read.All", "Directory.Read.All")
PERMISSION = " and ".join(PERMISSIONS)
PERMISSION_HINT = ("The app needs both Microsoft Graph application permissions AuditLog.Read.All and "
                   "Directory.Read.All (the sign-in logs API requires the two together), with admin consent "
                   "granted, and the tenant a Microsoft Entra ID P1 or P2 licence")
MAX_CLIENTS = 10
# v1.0 lists interactive sign-ins only (Microsoft's "List signIns" page).
SIGN_IN_EVENT_TYPES = ("interactive",)

# The clouds of the connection's ``cloud`` option where the sign-in logs API does not exist
# (its national cloud table: worldwide service only), with the name Microsoft gives each.
UNAVAILABLE_CLOUDS = {
    "usgov": "US Government L4 (GCC High)",
    "usgov_dod": "US Government L5 (DoD)",
    "china": "China operated by 21Vianet",
}


class Protocol(object):
    """A table row: friendly name, the sign-in log's clientAppUsed, the mailbox setting that blocks it."""

    __slots__ = ("name", "client_app", "setting", "description")

    def __init__(self, name, client_app, setting, description):
        self.name = name
        self.client_app = client_app
        self.setting = setting
        self.description = description


PROTOCOLS = (
    Protocol("activesync", "Exchange ActiveSync", "activesync",
             "Exchange ActiveSync (the built-in mail and calendar apps of iOS and Android)"),
    Protocol("imap", "IMAP4", "imap", "IMAP4"),
    Protocol("pop", "POP3", "pop", "POP3"),
    Protocol("smtp_auth", "Authenticated SMTP", "smtp_auth", "Authenticated SMTP (scanners, applications)"),
    Protocol("mapi", "MAPI Over HTTP", "mapi", "MAPI over HTTP (Outlook for Windows)"),
    Protocol("outlook_anywhere", "Outlook Anywhere (RPC over HTTP)", "mapi", "Outlook Anywhere (RPC over HTTP)"),
    Protocol("ews", "Exchange Web Services", "ews", "Exchange Web Services"),
    Protocol("autodiscover", "Autodiscover", None, "Autodiscover"),
    Protocol("offline_address_book", "Offline Address Book", None, "Offline Address Book"),
    Protocol("exchange_powershell", "Exchange Online PowerShell", None, "Exchange Online PowerShell"),
    Protocol("other", "Other clients", None, "Other legacy clients"),
)
BY_NAME = dict((protocol.name, protocol) for protocol in PROTOCOLS)
BY_CLIENT_APP = dict((protocol.client_app.lower(), protocol) for protocol in PROTOCOLS)

USAGE_ARGUMENT_SPEC = dict(
    window_days=dict(type="int", default=MAX_WINDOW_DAYS),
    protocols=dict(type="list", elements="str", default=[p.name for p in PROTOCOLS], choices=list(BY_NAME)),
    users=dict(type="list", elements="str", default=[]),
    include_failures=dict(type="bool", default=True),
    max_events=dict(type="int", default=0),
)


def validate_window(days, option="window_days"):
    if days is None or days < 1 or days > MAX_WINDOW_DAYS:
        raise ConfigurationError(
            "%s must be between 1 and %d (Entra ID keeps sign-in logs for %d days), got %s"
            % (option, MAX_WINDOW_DAYS, MAX_WINDOW_DAYS, days), option=option)


def check_cloud(params, what, advice=""):
    """Refuse, before any request, to read sign-in logs in a cloud where Microsoft has no such API.

    ``cloud: custom`` is let through: its hosts may be the worldwide service (a proxy, a test
    tenant) or a national one, and only the service can tell; ``read_usage`` then adds a hint
    to a 400 or 404 answer instead.
    """
    cloud = params.get("cloud") or "public"
    if cloud in UNAVAILABLE_CLOUDS:
        raise ConfigurationError(
            "%s needs the Microsoft Graph sign-in logs API (GET /auditLogs/signIns), which Microsoft offers in "
            "the worldwide cloud only, not in cloud=%s (%s)%s"
            % (what, cloud, UNAVAILABLE_CLOUDS[cloud], advice), option="cloud")


def validate_usage_params(params):
    check_cloud(params, "Reading protocol usage")
    validate_window(params.get("window_days"))
    if not params.get("protocols"):
        raise ConfigurationError("protocols must name at least one protocol", option="protocols")
    for value in params.get("users") or []:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError("users contains an empty name", option="users")
    if (params.get("max_events") or 0) < 0:
        raise ConfigurationError("max_events must be 0 (no limit) or more, got %d" % params["max_events"],
                                 option="max_events")


def protocols_for_setting(setting):
    """The protocols a mailbox setting turns off (mapi: MAPI over HTTP and Outlook Anywhere)."""
    return [protocol for protocol in PROTOCOLS if protocol.setting == setting]


def disables(setting, before, after):
    """Whether changing ``setting`` from ``before`` to ``after`` cuts its protocol off.

    SMTP AUTH back to V(inherit) counts when it was explicitly enabled: the organization's own
    setting is off in a hardened tenant (and Microsoft's default), so the mailbox loses it.
    """
    if setting == "smtp_auth":
        return after == "disabled" or (after == "inherit" and before == "enabled")
    return after is False and before is not False


def iso_utc(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_start(days, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(days=days)


def signin_filter(protocol, since):
    """The server-side filter of one protocol's listing: documented operators only."""
    return "createdDateTime ge %s and clientAppUsed eq '%s'" % (iso_utc(since), protocol.client_app.replace("'", "''"))


def _client_label(event):
    device = event.get("deviceDetail") or {}
    parts = [device.get("operatingSystem") or "", device.get("browser") or "", event.get("userAgent") or ""]
    label = " / ".join(part for part in parts if part)
    app = event.get("appDisplayName")
    return label or app or "unknown"


class UsageCollector(object):
    """Sums sign-in events per protocol and user as pages arrive."""

    def __init__(self, include_failures=True, users=None):
        self.include_failures = include_failures
        self.users = set(name.strip().lower() for name in users or [])
        self.usage = {}
        self.events_read = 0

    def wanted(self, event):
        if not self.users:
            return True
        return ((event.get("userPrincipalName") or "").lower() in self.users
                or (event.get("userId") or "").lower() in self.users)

    def add(self, protocol, event):
        self.events_read += 1
        status = event.get("status") or {}
        failed = (status.get("errorCode") or 0) != 0
        if (failed and not self.include_failures) or not self.wanted(event):
            return
        key = (event.get("userId") or event.get("userPrincipalName") or "").lower()
        users = self.usage.setdefault(protocol.name, {})
        entry = users.get(key)
        if entry is None:
            entry = users[key] = dict(id=event.get("userId"), user_principal_name=event.get("userPrincipalName"),
                                      display_name=event.get("userDisplayName"), sign_ins=0, successes=0,
                                      failures=0, last_sign_in=None, last_success=None, clients=[])
        entry["sign_ins"] += 1
        created = event.get("createdDateTime")
        if failed:
            entry["failures"] += 1
        else:
            entry["successes"] += 1
            if created and (entry["last_success"] is None or created > entry["last_success"]):
                entry["last_success"] = created
        if created and (entry["last_sign_in"] is None or created > entry["last_sign_in"]):
            entry["last_sign_in"] = created
        label = _client_label(event)
        if label not in entry["clients"] and len(entry["clients"]) < MAX_CLIENTS:
            entry["clients"].append(label)

    def result(self, protocols):
        """{protocol name: {users: [...], counts: {...}}} for every protocol asked, busiest users first."""
        out = {}
        for protocol in protocols:
            users = sorted(self.usage.get(protocol.name, {}).values(),
                           key=lambda u: (-u["sign_ins"], (u["user_principal_name"] or "").lower()))
            for user in users:
                user["clients"].sort()
            out[protocol.name] = dict(
                client_app_used=protocol.client_app, setting=protocol.setting, users=users,
                counts=dict(users=len(users), sign_ins=sum(u["sign_ins"] for u in users),
                            successes=sum(u["successes"] for u in users),
                            failures=sum(u["failures"] for u in users),
                            users_with_success=sum(1 for u in users if u["successes"])))
        return out


def _premium_hint(exc):
    if exc.code == NON_PREMIUM_CODE:
        return PermissionDeniedError(
            "the tenant has no Microsoft Entra ID P1 or P2 licence, which the sign-in logs API requires (%s)"
            % exc.message, operation=exc.operation, status=exc.status, code=exc.code,
            service_message=exc.service_message, request_id=exc.request_id,
            hint="Sign-in logs can only be read through Microsoft Graph in a tenant with Entra ID P1 or P2")
    # Replaces the generic one-permission hint of the Graph client: this API needs two.
    return exc.amended(hint=PERMISSION_HINT)


def _custom_cloud_hint(exc):
    # Microsoft does not document what a national cloud's Graph answers for this API (it is
    # simply absent from them); 400 "Resource not found for the segment" and 404 are both
    # plausible, so either gets the hint.
    if exc.status in (400, 404) and exc.hint is None:
        return exc.amended(hint="The sign-in logs API exists in Microsoft's worldwide cloud only: if graph_url is "
                                "the Microsoft Graph of a national cloud (GCC High, DoD, 21Vianet), sign-in logs "
                                "cannot be read there")
    return exc


async def read_usage(graph, protocols, window_days, include_failures=True, users=None, now=None, max_events=0,
                     cloud=None):
    """Usage per protocol over the last ``window_days`` days, with the window and the events read.

    ``max_events`` (0: no limit) stops a protocol's listing after that many events; the logs
    come newest first, so only older sign-ins are left unread, and the protocol's ``complete``
    is false. Raises PermissionDeniedError saying whether the permission or the licence is missing.
    ``cloud`` is the connection's; with ``custom``, an answer that the API is not there says why
    it may not be.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    since = window_start(window_days, now)
    collector = UsageCollector(include_failures, users)
    complete = {}
    for protocol in protocols:
        # $filter and $top only: Graph refuses $select (and every option the page does not document) here.
        params = {"$filter": signin_filter(protocol, since), "$top": SIGNINS_PAGE_SIZE}
        complete[protocol.name], read = True, 0
        pages = graph.iter_pages(SIGNINS_PATH, params=params, operation="Read sign-in logs",
                                 target=protocol.client_app, permission=PERMISSION)
        try:
            async for page in pages:
                for event in page:
                    collector.add(protocol, event)
                read += len(page)
                if max_events and read >= max_events:
                    # Incomplete only if another page follows (asking for it costs no request otherwise).
                    try:
                        await pages.__anext__()
                        complete[protocol.name] = False
                    except StopAsyncIteration:
                        pass
                    break
        except PermissionDeniedError as exc:
            raise _premium_hint(exc) from None
        except M365Error as exc:
            if cloud == "custom":
                raise _custom_cloud_hint(exc) from None
            raise
        finally:
            await pages.aclose()
    result = collector.result(protocols)
    for name, entry in result.items():
        entry["complete"] = complete[name]
    return dict(protocols=result, events_read=collector.events_read, sign_in_event_types=list(SIGN_IN_EVENT_TYPES),
                window=dict(days=window_days, start=iso_utc(since), end=iso_utc(now)))


# What the usage means for planned changes: shared by the mailbox usage guard and the report.

def recent_users(usage, protocol_names, since=None):
    """{user key: entry} of users with a successful sign-in (since ``since``, ISO text) by any protocol named.

    Keys are the lower-case object id and the lower-case UPN of each user, so that a mailbox
    can be matched by either.
    """
    found = {}
    for name in protocol_names:
        for user in ((usage or {}).get(name) or {}).get("users") or []:
            last = user.get("last_success")
            if not user.get("successes") or (since and (not last or last < since)):
                continue
            for key in (user.get("id"), user.get("user_principal_name")):
                if key:
                    previous = found.get(key.lower())
                    if previous is None or (last or "") > (previous.get("last_success") or ""):
                        found[key.lower()] = dict(user, protocol=name)
    return found


GUARD_ARGUMENT_SPEC = dict(
    usage_guard_days=dict(type="int", default=0),
    usage_acknowledged=dict(type="list", elements="str", default=[]),
)


def validate_guard_params(params):
    if params.get("usage_guard_days"):
        check_cloud(params, "usage_guard_days",
                    advice=": set usage_guard_days to 0 (off) in this cloud")
        validate_window(params["usage_guard_days"], option="usage_guard_days")
    elif params.get("usage_guard_days") is not None and params["usage_guard_days"] < 0:
        raise ConfigurationError("usage_guard_days must be 0 (off) or 1 to %d, got %d"
                                 % (MAX_WINDOW_DAYS, params["usage_guard_days"]), option="usage_guard_days")


def _blocking(setting, value):
    return value is False or (setting == "smtp_auth" and value in ("disabled", "inherit"))


def guarded_settings(desired):
    """The desired settings that would turn a logged protocol off."""
    return [name for name, value in desired.items() if _blocking(name, value) and protocols_for_setting(name)]


async def usage_hold(graph, desired, days, acknowledged, cloud=None):
    """A ``hold`` for _reconcile.plan: keep a protocol on for mailboxes whose user signed in with it
    successfully in the last ``days`` days, unless the mailbox (address, GUID, user id or UPN) is
    acknowledged. Returns (hold or None, usage read).
    """
    settings = guarded_settings(desired)
    if not days or not settings:
        return None, None
    protocols = [protocol for name in settings for protocol in protocols_for_setting(name)]
    usage = await read_usage(graph, protocols, days, include_failures=False, cloud=cloud)
    recent = dict((name, recent_users(usage["protocols"], [p.name for p in protocols_for_setting(name)]))
                  for name in settings)
    accepted = set(name.strip().lower() for name in acknowledged or [] if name and name.strip())

    def hold(target, name, before, after):
        if name not in recent or not disables(name, before, after):
            return None
        identity = target.identity
        keys = [str(identity.get(key) or "").lower() for key in ("user_id", "mailbox")]
        user = next((recent[name][key] for key in keys if key and key in recent[name]), None)
        if user is None:
            return None
        names = set(keys) | set([str(identity.get("guid") or "").lower(),
                                 (user.get("user_principal_name") or "").lower()])
        if names & accepted:
            return None
        protocol = BY_NAME[user["protocol"]]
        return ("%s signed in with %s %d time(s) in the last %d days, last at %s; list the mailbox in "
                "usage_acknowledged to turn %s off anyway"
                % (user.get("user_principal_name") or identity.get("mailbox"), protocol.client_app,
                   user.get("successes") or 0, days, user.get("last_success"), name))
    return hold, usage


def usage_guard(graph, days, acknowledged, cloud=None):
    """A reconcile guard (``Backend.guard``) for O(usage_guard_days): after planning, read the
    sign-in logs only for the protocols that some target would actually lose, and hold those
    protocols on where they were used (``usage_hold``)."""
    async def guard(plan):
        losing = dict((name, value) for change in plan.changes for name, value in change.after.items()
                      if disables(name, change.before.get(name), value))
        hold, _usage = await usage_hold(graph, losing, days, acknowledged, cloud=cloud)
        return hold
    return guard
