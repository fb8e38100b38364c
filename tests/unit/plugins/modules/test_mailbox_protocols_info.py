# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

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
    assert result["organization"] == {"smtp_auth": "disabled" if org_disabled else "enabled"}
    assert result["counts"]["smtp_auth"] == dict(allowed=expected.count("enabled"), blocked=expected.count("disabled"))


def test_counts_per_protocol_and_nothing_written():
    fake = FakeExchangeTenant(MAILBOXES)
    result, failed, _made = run_with_exchange(mailbox_protocols_info.main, dict(all_mailboxes=True), fake)
    assert not failed and result["changed"] is False and fake.sets == []
    assert result["counts"]["imap"] == {"allowed": 2, "blocked": 2}
    assert result["counts"]["pop"] == {"allowed": 4, "blocked": 0}
    assert result["mailboxes"][0]["imap"] is False and result["mailboxes"][0]["mailbox"] == "user0@contoso.com"
    # pop3 is pop under a name that Jinja's dot notation reaches (mailbox.pop is the dict method).
    assert [m["pop3"] for m in result["mailboxes"]] == [m["pop"] for m in result["mailboxes"]] == [True] * 4
