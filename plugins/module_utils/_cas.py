# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Client access (CAS) settings of Exchange Online mailboxes and plans: the table, and mailbox selection.

Each protocol switch is one row: the module option, the cmdlet parameter, how its value
crosses the wire, and whether CAS mailbox plans carry it. ``smtp_auth`` is the odd one: the
parameter is ``SmtpClientAuthenticationDisabled`` (inverted), and on a mailbox it is
three-valued, where null means "follow the organization's setting" and must never be
collapsed into false.

A property that an answer leaves out is not a property that is null: ``current_settings``
marks it NOT_RETURNED, and such a mailbox is read again with every property before anything is
decided about it; what is still missing then is reported as unknown, never written blind.

EWS applies to a mailbox only where both the organization (``Get-OrganizationConfig``
``EwsEnabled``) and the mailbox allow it; null at either level means "not enforced there".
``effective_ews`` combines the two, as ``effective SMTP AUTH`` combines the SMTP AUTH values.
"""

from __future__ import annotations

import asyncio
import datetime

from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, NotFoundError
from ansible_collections.m365.admin.plugins.module_utils._reconcile import (
    Backend,
    Failure,
    NoOp,
    Setting,
    Target,
    Unknown,
)
from ansible_collections.m365.admin.plugins.module_utils._selection import check_missing, check_user_names, record_missing

SMTP_TO_WIRE = {"enabled": False, "disabled": True, "inherit": None}
SMTP_FROM_WIRE = {False: "enabled", True: "disabled", None: "inherit"}

# Exchange Online blocks EWS by default from this day: an organization whose EwsEnabled is
# still null is treated as false (Set-OrganizationConfig reference; Exchange team, 2026).
EWS_ORG_NULL_BLOCKED_FROM = datetime.date(2026, 10, 1)
# EWS is switched off in Exchange Online from this day, whatever the settings say.
EWS_RETIRED_FROM = datetime.date(2027, 4, 1)


class NotReturned(object):
    """The value of a property that Exchange's answer did not include at all."""

    __slots__ = ()

    def __repr__(self):
        return "NOT_RETURNED"


NOT_RETURNED = NotReturned()


class CmdletSetting(Setting):
    """A table row: option name, cmdlet parameter, wire kind (bool or smtp), plan support."""

    def __init__(self, name, parameter, description, on_plan=False, kind="bool"):
        super().__init__(name, description=description)
        self.parameter = parameter
        self.on_plan = on_plan
        self.kind = kind

    def from_wire(self, value):
        if value is NOT_RETURNED:
            return NOT_RETURNED
        if self.kind == "smtp":
            return SMTP_FROM_WIRE.get(value, "inherit")
        return None if value is None else bool(value)

    def to_wire(self, value):
        if self.kind == "smtp":
            return SMTP_TO_WIRE[value]
        return bool(value)


SETTINGS = (
    CmdletSetting("imap", "ImapEnabled", "IMAP4", on_plan=True),
    CmdletSetting("pop", "PopEnabled", "POP3", on_plan=True),
    CmdletSetting("activesync", "ActiveSyncEnabled", "Exchange ActiveSync", on_plan=True),
    CmdletSetting("mapi", "MAPIEnabled", "MAPI (Outlook for Windows, desktop)", on_plan=True),
    CmdletSetting("owa", "OWAEnabled", "Outlook on the web (and the new Outlook for Windows)", on_plan=True),
    CmdletSetting("ews", "EwsEnabled", "Exchange Web Services", on_plan=True),
    CmdletSetting("outlook_mobile", "OutlookMobileEnabled", "Outlook for iOS and Android"),
    CmdletSetting("mac_outlook", "MacOutlookEnabled", "Outlook for Mac (Microsoft sync technology)"),
    CmdletSetting("universal_outlook", "UniversalOutlookEnabled", "Windows Mail and Calendar"),
    CmdletSetting("new_outlook", "OneWinNativeOutlookEnabled", "The new Outlook for Windows"),
    CmdletSetting("smtp_auth", "SmtpClientAuthenticationDisabled", "Authenticated SMTP (SMTP AUTH)", kind="smtp"),
)
BY_NAME = dict((setting.name, setting) for setting in SETTINGS)
PLAN_SETTINGS = tuple(setting for setting in SETTINGS if setting.on_plan)

IDENTITY_PROPERTIES = ("Identity", "Name", "DisplayName", "Guid", "ExternalDirectoryObjectId", "PrimarySmtpAddress")
RECIPIENT_TYPES = ("UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox", "SchedulingMailbox",
                   "LinkedMailbox", "TeamMailbox")
# Past this many group members, one listing of every mailbox is cheaper than one
# Get-CASMailbox per member (a listing page carries 1,000 mailboxes, a batch 10).
LISTING_THRESHOLD = 500


def settings_argument_spec(settings=SETTINGS):
    spec = {}
    for setting in settings:
        if setting.kind == "smtp":
            spec[setting.name] = dict(type="str", choices=list(SMTP_TO_WIRE))
        else:
            spec[setting.name] = dict(type="bool")
    return spec


MAILBOX_SELECTION_ARGUMENT_SPEC = dict(
    mailboxes=dict(type="list", elements="str", default=[]),
    groups=dict(type="list", elements="str", default=[]),
    all_mailboxes=dict(type="bool", default=False),
    recipient_types=dict(type="list", elements="str", default=["UserMailbox"], choices=list(RECIPIENT_TYPES)),
    exclude_mailboxes=dict(type="list", elements="str", default=[]),
    exclude_users=dict(type="list", elements="str", default=[]),
    exclude_groups=dict(type="list", elements="str", default=[]),
    missing=dict(type="str", default="fail", choices=["fail", "ignore"]),
)


def desired_settings(params, settings=SETTINGS):
    """The settings a task asks for (options left unset are left alone)."""
    return dict((s.name, params.get(s.name)) for s in settings if params.get(s.name) is not None)


def validate_settings_given(params):
    if not desired_settings(params):
        raise ConfigurationError(
            "no setting given: set at least one of %s" % ", ".join(s.name for s in SETTINGS), option="imap")


def validate_mailbox_selection(params):
    if not (params.get("mailboxes") or params.get("groups") or params.get("all_mailboxes")):
        raise ConfigurationError("no mailboxes selected: give mailboxes, groups, or all_mailboxes: true",
                                 option="mailboxes")
    for option in ("mailboxes", "groups", "exclude_mailboxes", "exclude_users", "exclude_groups"):
        for value in params.get(option) or []:
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError("%s contains an empty name" % option, option=option)
    check_user_names(params, ("exclude_users",))
    if not params.get("recipient_types"):
        raise ConfigurationError("recipient_types must name at least one recipient type", option="recipient_types")


def current_settings(obj, settings=SETTINGS):
    """Module-side values of a CAS mailbox or plan object; NOT_RETURNED for a property the
    object does not carry (never a default: a missing value is not null, false or inherit)."""
    return dict((s.name, s.from_wire(obj[s.parameter] if s.parameter in obj else NOT_RETURNED)) for s in settings)


def not_returned(target, names):
    """The settings among ``names`` that Exchange did not return for ``target``."""
    return [name for name in names if target.current.get(name) is NOT_RETURNED]


def unreadable_targets(targets, desired, settings=SETTINGS):
    """Split targets into those whose desired settings were all returned, and a Failure for
    each of the others: what Exchange did not return cannot be compared, so it is reported,
    not written blind."""
    rows = dict((s.name, s) for s in settings)
    wanted = [name for name, value in desired.items() if value is not None]
    readable, failures = [], []
    for target in targets:
        absent = not_returned(target, wanted)
        if absent:
            failures.append(Failure(target, 0, "Exchange did not return %s for %s; its current value is unknown, "
                                               "so nothing was written"
                                    % (", ".join(rows[name].parameter for name in absent),
                                       "this plan" if settings is PLAN_SETTINGS else
                                       "this mailbox, even when read again")))
        else:
            readable.append(target)
    return readable, failures


def effective_ews(org_enabled, mailbox_enabled, today=None):
    """Whether EWS works for a mailbox: "enabled", "disabled" or "unknown".

    ``org_enabled`` is Get-OrganizationConfig EwsEnabled and ``mailbox_enabled`` the mailbox's
    EwsEnabled: True, False, None (null: not enforced at that level) or NOT_RETURNED. Either
    level's false blocks EWS (a mailbox's true does not override the organization's false);
    an organization left null blocks it from EWS_ORG_NULL_BLOCKED_FROM.
    """
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    if today >= EWS_RETIRED_FROM or org_enabled is False or mailbox_enabled is False:
        return "disabled"
    if org_enabled is NOT_RETURNED or mailbox_enabled is NOT_RETURNED:
        return "unknown"
    if org_enabled is None and today >= EWS_ORG_NULL_BLOCKED_FROM:
        return "disabled"
    return "enabled"


def mailbox_target(obj, settings=SETTINGS):
    label = obj.get("PrimarySmtpAddress") or obj.get("Identity") or obj.get("Guid")
    return Target(obj.get("Guid") or label, label, current_settings(obj, settings),
                  identity=dict(mailbox=label, guid=obj.get("Guid"), user_id=obj.get("ExternalDirectoryObjectId")))


def set_parameters(change, settings=SETTINGS):
    """Only the parameters whose setting differs, in the cmdlet's own terms."""
    rows = dict((s.name, s) for s in settings)
    return dict((rows[name].parameter, rows[name].to_wire(value)) for name, value in change.after.items())


class MailboxSelection(object):
    def __init__(self, mailboxes, missing, without_mailbox):
        self.mailboxes = mailboxes          # Guid -> CAS mailbox object
        self.missing = missing              # option -> [names]
        self.without_mailbox = without_mailbox  # group members that have no mailbox


async def select_mailboxes(connection, params, properties):
    """Resolve mailbox selectors to CAS mailbox objects holding ``properties``.

    Reads in bulk: all_mailboxes is one paged Get-CASMailbox listing filtered by
    RecipientTypeDetails; named mailboxes and group members are read with Get-CASMailbox
    -Identity through $batch (or matched against one listing when the groups are large).
    """
    validate_mailbox_selection(params)
    exchange = await connection.exchange()
    select = list(dict.fromkeys(list(IDENTITY_PROPERTIES) + list(properties)))
    names = dict((option, [v.strip() for v in params.get(option) or []])
                 for option in ("mailboxes", "groups", "exclude_mailboxes", "exclude_users", "exclude_groups"))

    group_members, missing = await _group_members(connection, names)
    excluded_users, missing_users = await _excluded_users(connection, names["exclude_users"])
    if missing_users:
        missing["exclude_users"] = missing_users
    named = list(dict.fromkeys(names["mailboxes"] + names["exclude_mailboxes"]))
    include_ids = set()
    for name in names["groups"]:
        include_ids.update(group_members.get(name, ()))
    exclude_ids = set(excluded_users)
    for name in names["exclude_groups"]:
        exclude_ids.update(group_members.get(name, ()))

    async def listing(types=None):
        parameters = {"ResultSize": "Unlimited"}
        if types:
            parameters["RecipientTypeDetails"] = list(types)
        output = await exchange.invoke("Get-CASMailbox", parameters, select=select, target="mailboxes")
        return output.values

    async def by_identity(identities):
        commands = [("Get-CASMailbox", {"Identity": identity}) for identity in identities]
        return await exchange.invoke_many(commands, operation="Read mailboxes")

    use_listing = len(include_ids) > LISTING_THRESHOLD
    member_ids = sorted(include_ids) if not use_listing else []
    tasks = [listing(params["recipient_types"]) if params.get("all_mailboxes") else _empty(),
             listing() if use_listing else _empty(),
             by_identity(named) if named else _empty(),
             by_identity(member_ids) if member_ids else _empty()]
    all_listing, member_listing, named_results, member_results = await asyncio.gather(*tasks)

    found_named, ambiguous, answers = {}, [], {}
    for name, result in zip(named, named_results):
        # One identity, one object: a Get- cmdlet can answer an identity it does not match
        # with every object, which must never be taken for the mailbox that was named.
        if result.ok and len(result.values) == 1:
            found_named[name] = result.values[0]
        elif (result.ok and len(result.values) > 1) or (
                result.error is not None and result.error.exception == "ManagementObjectAmbiguousException"):
            ambiguous.append(name)
            answers[name] = result.error.describe() if result.error is not None else \
                "Get-CASMailbox returned %d mailboxes" % len(result.values)
        elif result.error is not None and result.error.exception != "ManagementObjectNotFoundException" \
                and result.error.status != 404:
            result.error.raise_error("Get-CASMailbox", name)
        else:
            answers[name] = result.error.describe() if result.error is not None else \
                "Get-CASMailbox returned no mailbox"
    if ambiguous:
        raise ConfigurationError("more than one mailbox matches %s: name each by its primary SMTP address or GUID "
                                 "(Exchange answered: %s)"
                                 % (", ".join(repr(n) for n in ambiguous), "; ".join(answers[n] for n in ambiguous)),
                                 option="mailboxes")
    record_missing(missing, names, ("mailboxes", "exclude_mailboxes"), lambda name: name not in found_named)
    try:
        check_missing(missing, params, "Select mailboxes")
    except NotFoundError as exc:
        # Exchange's own words ("couldn't be found") beside the explanation, so that a missing
        # mailbox can be told from an ambiguous name or a refused permission.
        said = ["%s: %s" % (name, answers[name]) for name in named if name in answers]
        if said:
            service_message = "; ".join(said)
            raise exc.amended(service_message=service_message,
                              message="%s. Exchange answered: %s" % (exc.message, service_message)) from exc
        raise

    selected = {}
    for obj in all_listing:
        selected[obj["Guid"]] = obj
    for name in names["mailboxes"]:
        if name in found_named:
            selected[found_named[name]["Guid"]] = found_named[name]
    without_mailbox = []
    if use_listing:
        for obj in member_listing:
            if obj.get("ExternalDirectoryObjectId") in include_ids:
                selected[obj["Guid"]] = obj
        with_mailbox = set(obj.get("ExternalDirectoryObjectId") for obj in member_listing)
        without_mailbox = sorted(include_ids - with_mailbox)
    else:
        for member_id, result in zip(member_ids, member_results):
            if result.ok and len(result.values) == 1:
                selected[result.values[0]["Guid"]] = result.values[0]
            elif result.error is not None and (result.error.exception == "ManagementObjectNotFoundException"
                                               or result.error.status == 404):
                without_mailbox.append(member_id)
            elif result.error is not None:
                result.error.raise_error("Get-CASMailbox", member_id)

    for name in names["exclude_mailboxes"]:
        if name in found_named:
            selected.pop(found_named[name]["Guid"], None)
    for guid in [g for g, obj in selected.items() if obj.get("ExternalDirectoryObjectId") in exclude_ids]:
        del selected[guid]
    await _read_again_where_missing(exchange, selected, properties)
    return MailboxSelection(selected, missing, without_mailbox)


async def _read_again_where_missing(exchange, mailboxes, properties):
    """A mailbox whose answer left out a property asked for is read again by its GUID, with
    every property (no $select). What the second answer has is taken; what it still lacks stays
    missing (and is reported as unknown by the caller), never filled with a default."""
    lacking = [guid for guid, obj in mailboxes.items() if any(name not in obj for name in properties)]
    if not lacking:
        return
    results = await exchange.invoke_many([("Get-CASMailbox", {"Identity": guid}) for guid in lacking],
                                         operation="Read mailboxes again for properties not returned")
    for guid, result in zip(lacking, results):
        if result.ok and len(result.values) == 1:
            again = result.values[0]
            for name in properties:
                if name not in mailboxes[guid] and name in again:
                    mailboxes[guid][name] = again[name]


async def _empty():
    return []


async def _excluded_users(connection, names):
    """Object ids of the users named (UPN or id) in exclude_users, and the names not found.

    Users are matched to mailboxes by ExternalDirectoryObjectId, so a user without a
    mailbox (a break-glass account, typically) can be excluded without error.
    """
    if not names:
        return [], []
    found, missing = await connection.graph().resolve_users(names, ["id", "userPrincipalName"])
    return [user["id"] for user in found.values()], missing


async def _group_members(connection, names):
    """{group name: set of member user ids} for the groups named, and the missing ones."""
    wanted = names["groups"] + names["exclude_groups"]
    if not wanted:
        return {}, {}
    graph = connection.graph()
    found, missing_groups = await graph.resolve_groups(wanted)
    group_ids = list(dict.fromkeys(group["id"] for group in found.values()))
    members = await asyncio.gather(*(graph.transitive_user_members(gid, ["id"]) for gid in group_ids))
    by_id = dict((gid, set(user["id"] for user in users)) for gid, users in zip(group_ids, members))
    result = dict((name, by_id[group["id"]]) for name, group in found.items())
    missing = {}
    record_missing(missing, names, ("groups", "exclude_groups"), lambda name: name in missing_groups)
    return result, missing


class CasSettings(Backend):
    """CAS settings over an Exchange transport (REST or PSRP): the engine's backend for
    mailboxes (Set-CASMailbox) and, with the plan cmdlets and table, for CAS mailbox plans.
    ``guard``: see Backend (the usage guard of mailbox_protocols)."""

    def __init__(self, exchange, settings=SETTINGS, noun="mailboxes", get_cmdlet="Get-CASMailbox",
                 set_cmdlet="Set-CASMailbox", guard=None):
        self.exchange = exchange
        self.table = settings
        self.noun = noun
        self.get_cmdlet = get_cmdlet
        self.set_cmdlet = set_cmdlet
        self.guard = guard

    async def write(self, changes):
        """The Set- cmdlet for each change, with only the differing parameters, in batches of 10;
        returns the Failure, NoOp and Unknown outcomes."""
        commands = [(self.set_cmdlet, dict(set_parameters(change, self.table), Identity=change.target.key))
                    for change in changes]
        # An envelope whose answer was lost is not sent again: a second Set- would answer "no
        # settings modified" and hide the change. Its targets are verified with read_back.
        results = await self.exchange.invoke_many(commands, operation=self.set_cmdlet, idempotent=True)
        return outcomes(changes, results)

    async def read_back(self, targets):
        """{key: current settings} of the targets that could be read (to verify lost writes)."""
        results = await self.exchange.invoke_many([(self.get_cmdlet, {"Identity": target.key}) for target in targets],
                                                  operation="Verify with %s" % self.get_cmdlet)
        current = {}
        for target, result in zip(targets, results):
            if result.ok and len(result.values) == 1:
                values = current_settings(result.values[0], self.table)
                # A value not returned cannot verify anything: the target counts as not read back.
                if not any(value is NOT_RETURNED for value in values.values()):
                    current[target.key] = values
        return current


def outcomes(changes, results):
    """Failure for each error, NoOp for each 'no settings have been modified' warning, Unknown
    for each answer that was lost."""
    found = []
    for change, result in zip(changes, results):
        if not result.ok and result.error.status == 0:
            found.append(Unknown(change.target, result.error.describe()))
        elif not result.ok:
            found.append(Failure(change.target, result.error.status, result.error.describe()))
        elif result.no_op:
            found.append(NoOp(change.target))
    return found
