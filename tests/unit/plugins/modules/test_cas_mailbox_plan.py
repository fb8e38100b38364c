# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.m365.admin.plugins.modules import cas_mailbox_plan
from ansible_collections.m365.admin.tests.unit.m365_helpers import FakeExchangeTenant
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_exchange


def plan(name, display, imap=True, pop=True):
    return dict(Name="%s-%s" % (display, name), DisplayName=display, Guid=name, Identity="%s-%s" % (display, name),
                ImapEnabled=imap, PopEnabled=pop, ActiveSyncEnabled=True, MAPIEnabled=True, OWAEnabled=True,
                EwsEnabled=True)


PLANS = [plan("1", "ExchangeOnline"), plan("2", "ExchangeOnlineEnterprise"),
         plan("3", "ExchangeOnlineDeskless", imap=False)]


def test_all_plans_check_then_apply_only_differences():
    fake = FakeExchangeTenant([], plans=PLANS)
    predicted, failed, _made = run_with_exchange(cas_mailbox_plan.main, dict(all_plans=True, imap=False,
                                                                             _ansible_check_mode=True), fake)
    assert not failed and fake.sets == []
    assert predicted["summary"] == dict(targets=3, compliant=1, changed=2, failed=0)
    applied, failed, _made = run_with_exchange(cas_mailbox_plan.main, dict(all_plans=True, imap=False), fake)
    assert applied["changes"] == predicted["changes"]
    assert fake.sets == [("ExchangeOnline-1", {"ImapEnabled": False, "Identity": "ExchangeOnline-1"}),
                         ("ExchangeOnlineEnterprise-2", {"ImapEnabled": False, "Identity": "ExchangeOnlineEnterprise-2"})]
    again, failed, _made = run_with_exchange(cas_mailbox_plan.main, dict(all_plans=True, imap=False), fake)
    assert again["changed"] is False


def test_plan_by_display_name_or_guid():
    fake = FakeExchangeTenant([], plans=PLANS)
    result, failed, _made = run_with_exchange(cas_mailbox_plan.main, dict(plans=["exchangeonlineenterprise", "1"],
                                                                          pop=False), fake)
    assert not failed
    assert sorted(c["plan"] for c in result["changes"]) == ["ExchangeOnline-1", "ExchangeOnlineEnterprise-2"]


@pytest.mark.parametrize("args,needle", [
    (dict(all_plans=True, smtp_auth="disabled"), "m365.admin.transport_config"),
    (dict(all_plans=True, imap=False, mac_outlook=False), "MacOutlookEnabled"),
    (dict(all_plans=True), "no setting given"),
    (dict(imap=False), "no plans selected"),
])
def test_refusals_before_any_request(args, needle):
    result, failed, made = run_with_exchange(cas_mailbox_plan.main, args, FakeExchangeTenant([], plans=PLANS))
    assert failed and needle in result["msg"] and made == []


def test_unknown_plan_lists_the_real_ones():
    fake = FakeExchangeTenant([], plans=PLANS)
    result, failed, _made = run_with_exchange(cas_mailbox_plan.main, dict(plans=["Platinum"], imap=False), fake)
    assert failed and "'Platinum'" in result["msg"] and "ExchangeOnlineDeskless" in result["msg"]
    assert fake.sets == []


def test_a_plan_whose_setting_is_not_returned_is_reported_not_written():
    incomplete = plan("4", "ExchangeOnlineKiosk")
    del incomplete["ImapEnabled"]
    fake = FakeExchangeTenant([], plans=PLANS + [incomplete])
    result, failed, _made = run_with_exchange(cas_mailbox_plan.main, dict(all_plans=True, imap=False), fake)
    assert failed
    assert [(f["plan"], f["status"]) for f in result["failures"]] == [("ExchangeOnlineKiosk-4", 0)]
    assert "did not return ImapEnabled for this plan" in result["failures"][0]["error"]
    # The other plans are still made to match; the incomplete one is never written.
    assert sorted(name for name, _parameters in fake.sets) == ["ExchangeOnline-1", "ExchangeOnlineEnterprise-2"]
    assert result["summary"] == dict(targets=4, compliant=1, changed=2, failed=1)
