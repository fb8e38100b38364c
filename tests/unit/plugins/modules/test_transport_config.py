# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.modules import transport_config
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeExchangeTenant, losing_the_answer
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_exchange


def test_check_mode_predicts_without_writing():
    fake = FakeExchangeTenant([], org_smtp_disabled=False)
    result, failed, _made = run_with_exchange(transport_config.main, dict(smtp_auth="disabled",
                                                                          _ansible_check_mode=True), fake)
    assert not failed and result["changed"] is True
    assert result["before"] == "enabled" and result["smtp_auth"] == "disabled"
    assert fake.sets == []


def test_apply_writes_the_inverted_parameter_and_reads_back():
    fake = FakeExchangeTenant([], org_smtp_disabled=False)
    result, failed, made = run_with_exchange(transport_config.main, dict(smtp_auth="disabled"), fake)
    assert not failed and result["changed"] is True
    assert fake.sets == [("organization", {"SmtpClientAuthenticationDisabled": True})]
    assert result["diff"] == {"before": {"smtp_auth": "enabled"}, "after": {"smtp_auth": "disabled"}}
    cmdlets = [c["body"]["CmdletInput"]["CmdletName"] for c in made[0].exchange_session.calls]
    assert cmdlets == ["Get-TransportConfig", "Set-TransportConfig", "Get-TransportConfig"]


def test_already_set_is_not_changed_and_not_written():
    fake = FakeExchangeTenant([], org_smtp_disabled=True)
    result, failed, _made = run_with_exchange(transport_config.main, dict(smtp_auth="disabled"), fake)
    assert not failed and result["changed"] is False and fake.sets == []


def lose_the_answer_to_set(fake, applied):
    """The Exchange endpoint of ``fake``, losing the answer to Set-TransportConfig (after
    applying it when ``applied``)."""
    return losing_the_answer(fake, lambda method, url, body: bool(body) and body.get("CmdletInput", {}).get(
        "CmdletName") == "Set-TransportConfig", applied, "Set-TransportConfig")


def test_a_lost_answer_is_verified_by_reading_back():
    fake = FakeExchangeTenant([], org_smtp_disabled=False)
    result, failed, made = run_with_exchange(transport_config.main, dict(smtp_auth="disabled"),
                                             lose_the_answer_to_set(fake, applied=True))
    assert not failed and result["changed"] is True and result["smtp_auth"] == "disabled"
    cmdlets = [c["body"]["CmdletInput"]["CmdletName"] for c in made[0].exchange_session.calls]
    # Sent once, never again: verified by reading back.
    assert cmdlets == ["Get-TransportConfig", "Set-TransportConfig", "Get-TransportConfig"]


def test_a_lost_answer_that_reads_back_unchanged_fails():
    fake = FakeExchangeTenant([], org_smtp_disabled=False)
    result, failed, made = run_with_exchange(transport_config.main, dict(smtp_auth="disabled"),
                                             lose_the_answer_to_set(fake, applied=False))
    assert failed and "connection was lost" in result["msg"]
    cmdlets = [c["body"]["CmdletInput"]["CmdletName"] for c in made[0].exchange_session.calls]
    assert cmdlets.count("Set-TransportConfig") == 1
