# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
import datetime

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _cas
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, NotFoundError
from ansible_collections.m365.admin.plugins.module_utils._exchange import ExchangeClient
from ansible_collections.m365.admin.plugins.module_utils._reconcile import Change, Failure, NoOp
from ansible_collections.m365.admin.tests.unit.m365_helpers import (
    FakeExchangeTenant,
    ScriptedSession,
    exchange_error,
    make_mailboxes,
)


pytestmark = pytest.mark.usefixtures("no_sleep")


def test_smtp_auth_is_three_valued_and_inverted():
    smtp = _cas.BY_NAME["smtp_auth"]
    assert smtp.parameter == "SmtpClientAuthenticationDisabled"
    assert [smtp.to_wire(v) for v in ("enabled", "disabled", "inherit")] == [False, True, None]
    assert [smtp.from_wire(v) for v in (False, True, None)] == ["enabled", "disabled", "inherit"]


def test_option_names_map_to_documented_cmdlet_parameters():
    assert dict((s.name, s.parameter) for s in _cas.SETTINGS) == {
        "imap": "ImapEnabled", "pop": "PopEnabled", "activesync": "ActiveSyncEnabled", "mapi": "MAPIEnabled",
        "owa": "OWAEnabled", "ews": "EwsEnabled", "outlook_mobile": "OutlookMobileEnabled",
        "mac_outlook": "MacOutlookEnabled", "universal_outlook": "UniversalOutlookEnabled",
        "new_outlook": "OneWinNativeOutlookEnabled", "smtp_auth": "SmtpClientAuthenticationDisabled"}
    assert [s.name for s in _cas.PLAN_SETTINGS] == ["imap", "pop", "activesync", "mapi", "owa", "ews"]


def test_current_settings_and_set_parameters_round_trip():
    obj = make_mailboxes(1, ImapEnabled={0: False}, SmtpClientAuthenticationDisabled={0: True})[0]
    current = _cas.current_settings(obj)
    assert current["imap"] is False and current["pop"] is True and current["smtp_auth"] == "disabled"
    target = _cas.mailbox_target(obj)
    change = Change(target, {"imap": False, "smtp_auth": "disabled"}, {"imap": True, "smtp_auth": "inherit"})
    assert _cas.set_parameters(change) == {"ImapEnabled": True, "SmtpClientAuthenticationDisabled": None}
    assert target.key == obj["Guid"]
    assert target.identity == {"mailbox": "user0@contoso.com", "guid": obj["Guid"],
                               "user_id": obj.get("ExternalDirectoryObjectId")}


def test_desired_settings_leave_unset_options_alone():
    assert _cas.desired_settings({"imap": False, "pop": None, "smtp_auth": "inherit"}) == \
        {"imap": False, "smtp_auth": "inherit"}
    with pytest.raises(ConfigurationError):
        _cas.validate_settings_given({"imap": None})


class Connection(object):
    def __init__(self, tenant):
        self.session = ScriptedSession(tenant)

    async def exchange(self):
        return ExchangeClient(self.session, "https://exo.test", "tenant")

    def graph(self):
        raise AssertionError("no Graph call expected")


def params(**overrides):
    base = dict(mailboxes=[], groups=[], all_mailboxes=False, recipient_types=["UserMailbox"],
                exclude_mailboxes=[], exclude_groups=[], missing="fail")
    base.update(overrides)
    return base


def select(tenant, **overrides):
    connection = Connection(tenant)
    selection = asyncio.run(_cas.select_mailboxes(connection, params(**overrides), ["ImapEnabled"]))
    return selection, connection.session


def test_all_mailboxes_is_one_listing_of_the_asked_types_with_only_needed_properties():
    tenant = FakeExchangeTenant(make_mailboxes(5, kinds={3: "SharedMailbox", 4: "RoomMailbox"}))
    selection, session = select(tenant, all_mailboxes=True)
    assert len(selection.mailboxes) == 3
    assert len(session.calls) == 1
    call = session.calls[0]
    assert call["body"]["CmdletInput"] == {"CmdletName": "Get-CASMailbox",
                                           "Parameters": {"ResultSize": "Unlimited",
                                                          "RecipientTypeDetails": ["UserMailbox"]}}
    assert call["url"].endswith("InvokeCommand?$select=Identity,Name,DisplayName,Guid,ExternalDirectoryObjectId,"
                                "PrimarySmtpAddress,ImapEnabled")


def test_shared_mailboxes_on_request():
    tenant = FakeExchangeTenant(make_mailboxes(5, kinds={3: "SharedMailbox"}))
    selection, _session = select(tenant, all_mailboxes=True, recipient_types=["UserMailbox", "SharedMailbox"])
    assert len(selection.mailboxes) == 5


def test_named_mailboxes_and_exclusions_resolve_through_one_batch():
    mailboxes = make_mailboxes(4)
    tenant = FakeExchangeTenant(mailboxes)
    selection, session = select(tenant, mailboxes=["user0@contoso.com", mailboxes[1]["Guid"]], all_mailboxes=True,
                                exclude_mailboxes=["user2@contoso.com"])
    assert sorted(m["PrimarySmtpAddress"] for m in selection.mailboxes.values()) == [
        "user0@contoso.com", "user1@contoso.com", "user3@contoso.com"]
    batches = session.calls_to(r"\$batch$")
    assert len(batches) == 1 and len(batches[0]["body"]["requests"]) == 3


def test_every_missing_mailbox_is_listed():
    tenant = FakeExchangeTenant(make_mailboxes(2))
    with pytest.raises(NotFoundError) as info:
        select(tenant, mailboxes=["ghost@contoso.com", "user0@contoso.com"], exclude_mailboxes=["typo@contoso.com"])
    assert "ghost@contoso.com" in info.value.message and "typo@contoso.com" in info.value.message


def test_missing_ignored():
    selection, _session = select(FakeExchangeTenant(make_mailboxes(2)), mailboxes=["ghost@contoso.com", "user0"],
                                 missing="ignore")
    assert selection.missing == {"mailboxes": ["ghost@contoso.com"]}
    assert len(selection.mailboxes) == 1


def test_an_identity_answered_with_many_mailboxes_is_never_taken_for_one():
    tenant = FakeExchangeTenant(make_mailboxes(3))
    tenant._find = lambda identity: tenant.mailboxes  # an answer of "everything"
    with pytest.raises(ConfigurationError) as info:
        select(tenant, mailboxes=["user0@contoso.com"])
    assert "more than one mailbox matches" in info.value.message


class GraphGroups(object):
    def __init__(self, members, users=None):
        self.members = members
        self.users = users or {}

    async def resolve_users(self, names, select):
        found = dict((n, {"id": self.users[n]}) for n in names if n in self.users)
        return found, [n for n in names if n not in self.users]

    async def resolve_groups(self, names):
        found = dict((n, {"id": "g-" + n}) for n in names if n in self.members)
        return found, [n for n in names if n not in self.members]

    async def transitive_user_members(self, group_id, select):
        return [{"id": member} for member in self.members[group_id[2:]]]


class GroupConnection(Connection):
    def __init__(self, tenant, members, users=None):
        super().__init__(tenant)
        self.groups = GraphGroups(members, users)

    def graph(self):
        return self.groups


def test_group_members_by_object_id_and_members_without_mailbox():
    mailboxes = make_mailboxes(4)
    members = {"Sales": [mailboxes[0]["ExternalDirectoryObjectId"], mailboxes[1]["ExternalDirectoryObjectId"],
                         "no-mailbox-user"],
               "VIP": [mailboxes[1]["ExternalDirectoryObjectId"]]}
    connection = GroupConnection(FakeExchangeTenant(mailboxes), members)
    selection = asyncio.run(_cas.select_mailboxes(connection, params(groups=["Sales"], exclude_groups=["VIP"]),
                                                  []))
    assert [m["PrimarySmtpAddress"] for m in selection.mailboxes.values()] == ["user0@contoso.com"]
    assert selection.without_mailbox == ["no-mailbox-user"]


def test_large_groups_are_matched_against_one_listing():
    mailboxes = make_mailboxes(_cas.LISTING_THRESHOLD + 5)
    members = {"Everyone": [m["ExternalDirectoryObjectId"] for m in mailboxes] + ["no-mailbox-user"]}
    connection = GroupConnection(FakeExchangeTenant(mailboxes), members)
    selection = asyncio.run(_cas.select_mailboxes(connection, params(groups=["Everyone"]), []))
    assert len(selection.mailboxes) == len(mailboxes)
    assert selection.without_mailbox == ["no-mailbox-user"]
    assert len(connection.session.calls) == 1


def test_write_sends_only_differing_parameters_and_reports_outcomes():
    mailboxes = make_mailboxes(3)
    tenant = FakeExchangeTenant(mailboxes, item_faults={("Set-CASMailbox", mailboxes[2]["Guid"]): [404]})
    client = ExchangeClient(ScriptedSession(tenant), "https://exo.test", "tenant")
    targets = [_cas.mailbox_target(m) for m in mailboxes]
    changes = [Change(targets[0], {"imap": True}, {"imap": False}),
               Change(targets[1], {"imap": False}, {"imap": True}),  # stale read: already True
               Change(targets[2], {"pop": True}, {"pop": False})]
    outcomes = asyncio.run(_cas.CasSettings(client).write(changes))
    assert tenant.sets[0] == ("user0@contoso.com", {"ImapEnabled": False, "Identity": mailboxes[0]["Guid"]})
    assert [type(o) for o in outcomes] == [NoOp, Failure]
    assert outcomes[0].target.key == mailboxes[1]["Guid"]
    assert outcomes[1].status == 404 and "ManagementObjectNotFoundException" in outcomes[1].error


def test_transient_write_failure_is_retried():
    mailboxes = make_mailboxes(1)
    tenant = FakeExchangeTenant(mailboxes, item_faults={("Set-CASMailbox", mailboxes[0]["Guid"]): [500]})
    client = ExchangeClient(ScriptedSession(tenant), "https://exo.test", "tenant")
    change = Change(_cas.mailbox_target(mailboxes[0]), {"pop": True}, {"pop": False})
    assert asyncio.run(_cas.CasSettings(client).write([change])) == []
    assert tenant.mailboxes[0]["PopEnabled"] is False


def test_exclude_users_matches_mailboxes_by_object_id_and_accepts_users_without_one():
    mailboxes = make_mailboxes(3)
    users = {"user1@contoso.com": mailboxes[1]["ExternalDirectoryObjectId"],
             "breakglass@contoso.onmicrosoft.com": "no-mailbox-id"}
    connection = GroupConnection(FakeExchangeTenant(mailboxes), {}, users)
    selection = asyncio.run(_cas.select_mailboxes(connection, params(
        all_mailboxes=True, exclude_users=["user1@contoso.com", "breakglass@contoso.onmicrosoft.com"]), []))
    assert sorted(m["PrimarySmtpAddress"] for m in selection.mailboxes.values()) == [
        "user0@contoso.com", "user2@contoso.com"]


def test_a_mistyped_excluded_user_fails():
    connection = GroupConnection(FakeExchangeTenant(make_mailboxes(2)), {}, {})
    with pytest.raises(NotFoundError) as info:
        asyncio.run(_cas.select_mailboxes(connection, params(all_mailboxes=True,
                                                             exclude_users=["breakglas@contoso.com"]), []))
    assert "exclude_users: 'breakglas@contoso.com'" in info.value.message


def test_a_missing_mailbox_error_carries_exchange_own_words():
    tenant = FakeExchangeTenant(make_mailboxes(2))
    with pytest.raises(NotFoundError) as info:
        select(tenant, mailboxes=["ghost@contoso.com", "user0@contoso.com"])
    message = info.value.to_message()
    assert "not found in the tenant" in message
    assert "Exchange answered: ghost@contoso.com: ManagementObjectNotFoundException: The operation couldn't be " \
           "performed because object 'ghost@contoso.com' couldn't be found" in message
    assert "couldn't be found" in info.value.service_message


def test_an_ambiguous_name_error_carries_exchange_own_words():
    tenant = FakeExchangeTenant(make_mailboxes(2))
    base = tenant.cmdlet

    def cmdlet(name, parameters):
        if parameters.get("Identity") == "user":
            return 400, exchange_error("ManagementObjectAmbiguousException",
                                       "The operation couldn't be performed because 'user' matches multiple entries.",
                                       code="BadRequest")
        return base(name, parameters)
    tenant.cmdlet = cmdlet
    with pytest.raises(ConfigurationError) as info:
        select(tenant, mailboxes=["user"])
    assert "more than one mailbox matches 'user'" in info.value.message
    assert "ManagementObjectAmbiguousException: The operation couldn't be performed because 'user' matches " \
           "multiple entries" in info.value.message


def test_a_property_not_returned_is_neither_null_nor_a_default():
    obj = make_mailboxes(1)[0]
    del obj["ImapEnabled"], obj["SmtpClientAuthenticationDisabled"]
    current = _cas.current_settings(obj)
    assert current["imap"] is _cas.NOT_RETURNED and current["smtp_auth"] is _cas.NOT_RETURNED
    assert current["pop"] is True
    # Returned as null is a value: SMTP AUTH follows the organization, EWS is not enforced.
    obj.update(SmtpClientAuthenticationDisabled=None, EwsEnabled=None)
    current = _cas.current_settings(obj)
    assert current["smtp_auth"] == "inherit" and current["ews"] is None


def test_mailboxes_whose_answer_left_a_property_out_are_read_again_with_every_property():
    mailboxes = make_mailboxes(3)
    tenant = FakeExchangeTenant(mailboxes)
    base = tenant.cmdlet

    def cmdlet(name, parameters):
        status, body = base(name, parameters)
        if name == "Get-CASMailbox" and "Identity" not in parameters:
            for obj in body["value"]:
                if obj["Name"] in ("user0", "user2"):
                    del obj["ImapEnabled"]
        if name == "Get-CASMailbox" and parameters.get("Identity") == mailboxes[2]["Guid"]:
            del body["value"][0]["ImapEnabled"]  # still left out when read again
        return status, body
    tenant.cmdlet = cmdlet
    selection, session = select(tenant, all_mailboxes=True)
    # One listing, then one batch reading the two incomplete mailboxes again by GUID.
    assert len(session.calls) == 2
    again = session.calls[1]
    assert again["url"].endswith("/$batch")
    assert sorted(r["body"]["CmdletInput"]["Parameters"]["Identity"] for r in again["body"]["requests"]) == \
        sorted([mailboxes[0]["Guid"], mailboxes[2]["Guid"]])
    assert selection.mailboxes[mailboxes[0]["Guid"]]["ImapEnabled"] is True
    assert "ImapEnabled" not in selection.mailboxes[mailboxes[2]["Guid"]]

    targets = [_cas.mailbox_target(obj) for obj in selection.mailboxes.values()]
    readable, failures = _cas.unreadable_targets(targets, {"imap": False, "pop": None})
    assert sorted(t.label for t in readable) == ["user0@contoso.com", "user1@contoso.com"]
    assert [(f.target.label, f.status) for f in failures] == [("user2@contoso.com", 0)]
    assert "did not return ImapEnabled" in failures[0].error and "nothing was written" in failures[0].error
    # A task that does not set imap can still use the mailbox.
    assert len(_cas.unreadable_targets(targets, {"pop": False})[0]) == 3


def test_complete_answers_are_not_read_again():
    _selection, session = select(FakeExchangeTenant(make_mailboxes(3)), all_mailboxes=True)
    assert len(session.calls) == 1


@pytest.mark.parametrize("org, mailbox, today, effective", [
    (None, None, "2026-09-30", "enabled"),     # neither level enforces anything, before the default block
    (None, None, "2026-12-01", "disabled"),    # an organization left null is treated as false since 1 Oct 2026
    (None, True, "2026-12-01", "disabled"),    # a mailbox true does not re-enable it
    (True, None, "2026-12-01", "enabled"),
    (True, True, "2026-12-01", "enabled"),
    (True, False, "2026-12-01", "disabled"),
    (False, True, "2026-06-01", "disabled"),   # the organization's false wins over the mailbox's true
    (False, None, "2026-06-01", "disabled"),
    (None, False, "2026-06-01", "disabled"),
    (True, _cas.NOT_RETURNED, "2026-12-01", "unknown"),
    (_cas.NOT_RETURNED, None, "2026-12-01", "unknown"),
    (_cas.NOT_RETURNED, False, "2026-12-01", "disabled"),
    (True, True, "2027-04-01", "disabled"),    # EWS switched off in Exchange Online
])
def test_effective_ews_needs_both_levels(org, mailbox, today, effective):
    day = datetime.date(*(int(part) for part in today.split("-")))
    assert _cas.effective_ews(org, mailbox, day) == effective
