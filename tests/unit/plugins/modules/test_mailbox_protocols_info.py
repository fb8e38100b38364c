# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.m365.admin.plugins.modules import mailbox_protocols_info
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeExchangeTenant, make_mailboxes
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_exchange

MAILBOXES = make_mailboxes(4, ImapEnabled={0: False, 1: False},
                           SmtpClientAuthenticationDisabled={1: False, 2: True})


@pytest.mark.parametrize("org_disabled,expected", [
    (True, ["disabled", "enabled", "disabled", "disabled"]),
    (False, ["enabled", "enabled", "disabled", "enabled"]),
])
def test_effective_smtp_auth_follows_the_organization_only_when_inherited(org_disabled, expected):
    fake = FakeExchangeTenant(MAILBOXES, org_smtp_disabled=org_disabled)
    result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), fake)
    assert not failed
    assert [m["smtp_auth"] for m in result["mailboxes"]] == ["inherit", "enabled", "disabled", "inherit"]
    assert [m["smtp_auth_effective"] for m in result["mailboxes"]] == expected
    assert result["organization"]["smtp_auth"] == ("disabled" if org_disabled else "enabled")
    assert result["counts"]["smtp_auth"] == dict(allowed=expected.count("enabled"), blocked=expected.count("disabled"),
                                                 unknown=0)


def test_counts_per_protocol_and_nothing_written():
    fake = FakeExchangeTenant(MAILBOXES)
    result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), fake)
    assert not failed and result["changed"] is False and fake.sets == []
    assert result["counts"]["imap"] == {"allowed": 2, "blocked": 2, "unknown": 0}
    assert result["counts"]["pop"] == {"allowed": 4, "blocked": 0, "unknown": 0}
    assert result["mailboxes"][0]["imap"] is False and result["mailboxes"][0]["mailbox"] == "user0@contoso.com"


@pytest.mark.parametrize("org_ews, today, expected, org_reported", [
    # mailbox EwsEnabled: null, null, false, true
    (None, datetime.date(2026, 12, 8), ["disabled", "disabled", "disabled", "disabled"], "not_set"),
    (None, datetime.date(2026, 9, 1), ["enabled", "enabled", "disabled", "enabled"], "not_set"),
    (True, datetime.date(2026, 12, 8), ["enabled", "enabled", "disabled", "enabled"], "enabled"),
    (False, datetime.date(2026, 9, 1), ["disabled", "disabled", "disabled", "disabled"], "disabled"),
])
def test_effective_ews_from_the_organization_and_the_mailbox(org_ews, today, expected, org_reported):
    mailboxes = make_mailboxes(4, EwsEnabled={0: None, 1: None, 2: False, 3: True})
    fake = FakeExchangeTenant(mailboxes, org_ews=org_ews)
    with mock.patch.object(mailbox_protocols_info, "today_utc", return_value=today):
        result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), fake)
    assert not failed, result
    assert [m["ews"] for m in result["mailboxes"]] == [None, None, False, True]
    assert [m["ews_effective"] for m in result["mailboxes"]] == expected
    assert result["organization"]["ews"] == org_reported
    assert result["counts"]["ews"] == dict(allowed=expected.count("enabled"), blocked=expected.count("disabled"),
                                           unknown=0)


def test_a_setting_not_returned_is_reported_unknown_not_false():
    mailboxes = make_mailboxes(2)
    del mailboxes[1]["ImapEnabled"], mailboxes[1]["SmtpClientAuthenticationDisabled"]
    fake = FakeExchangeTenant(mailboxes)
    result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), fake)
    assert not failed, result
    second = result["mailboxes"][1]
    assert second["not_returned"] == ["ImapEnabled", "SmtpClientAuthenticationDisabled"]
    assert second["imap"] is None and second["smtp_auth"] is None and second["smtp_auth_effective"] == "unknown"
    assert result["mailboxes"][0]["not_returned"] == []
    assert result["counts"]["imap"] == {"allowed": 1, "blocked": 0, "unknown": 1}
    assert result["counts"]["smtp_auth"] == {"allowed": 0, "blocked": 1, "unknown": 1}


def test_a_role_without_get_organizationconfig_still_reports_the_mailboxes():
    fake = FakeExchangeTenant(make_mailboxes(2, EwsEnabled={0: None, 1: False}))

    def refusing(method, url, body, headers):
        if not url.endswith("/$batch") and body["CmdletInput"]["CmdletName"] == "Get-OrganizationConfig":
            return 401, {"error": {"code": "Unauthorized", "message": "User is not allowed to call Get-OrganizationConfig"}}
        return fake(method, url, body, headers)
    with mock.patch.object(basic.AnsibleModule, "warn") as warn:
        result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), refusing)
    assert not failed, result
    assert result["organization"]["ews"] == "unknown"
    assert [m["ews_effective"] for m in result["mailboxes"]] == ["unknown", "disabled"]
    assert "not allowed to call Get-OrganizationConfig" in warn.call_args[0][0]


def test_pop_is_also_returned_as_pop3_which_jinja_dot_notation_reaches():
    # mailbox.pop is the dictionary's own method in Jinja; pop3 carries the same value.
    fake = FakeExchangeTenant(make_mailboxes(3, PopEnabled={1: False}))
    result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), fake)
    assert not failed, result
    assert [m["pop3"] for m in result["mailboxes"]] == [m["pop"] for m in result["mailboxes"]] == [True, False, True]
