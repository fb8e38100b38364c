# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.modules import security_defaults
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import run_with_graph
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_policy_fakes import FakePolicyTenant, legacy_policy


def run(fake, **args):
    result, failed, _made = run_with_graph(security_defaults.main, args, fake)
    return result, failed


def test_check_mode_predicts_and_writes_nothing():
    fake = FakePolicyTenant(security_defaults=True)
    result, failed = run(fake, enabled=False, _ansible_check_mode=True)
    assert not failed, result
    assert result["changed"] is True and fake.writes == []
    assert result["security_defaults"] == {"id": "00000000-0000-0000-0000-000000000005",
                                           "display_name": "Security Defaults", "enabled": False}
    assert result["diff"] == {"before": {"enabled": True}, "after": {"enabled": False}}


def test_apply_patches_is_enabled_reads_back_and_is_idempotent():
    fake = FakePolicyTenant(security_defaults=True)
    result, failed = run(fake, enabled=False)
    assert not failed and result["changed"] is True
    assert fake.writes == [("PATCH security defaults", {"isEnabled": False})]
    assert result["security_defaults"]["enabled"] is False
    again, failed = run(fake, enabled=False)
    assert not failed and again["changed"] is False and len(fake.writes) == 1
    assert again["diff"] == {"before": {"enabled": False}, "after": {"enabled": False}}


def test_enabling_with_no_conditional_access_policy_enabled():
    fake = FakePolicyTenant([legacy_policy()])  # report-only does not count
    result, failed = run(fake, enabled=True)
    assert not failed and result["changed"] is True and fake.security_defaults is True


def test_enabling_while_a_policy_is_enabled_names_the_policy():
    fake = FakePolicyTenant([legacy_policy(state="enabled")])
    predicted, failed = run(fake, enabled=True, _ansible_check_mode=True)
    assert failed and "a real run would fail" in predicted["msg"]
    assert "1 policy is enabled ('Block legacy authentication')" in predicted["msg"]
    result, failed = run(fake, enabled=True)
    assert failed and fake.writes == []
    assert result["msg"].startswith("Enable security defaults failed: HTTP 400 BadRequest: Security defaults can't")
    assert "1 policy is enabled ('Block legacy authentication')" in result["msg"]
    assert "policy_state" in result["msg"]
    assert result["error"]["status"] == 400


def test_a_permission_error_names_the_permission():
    def forbidden(method, url, body, headers):
        if method == "PATCH":
            return 403, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}
        return FakePolicyTenant(security_defaults=True)(method, url, body, headers)
    result, failed, _made = run_with_graph(security_defaults.main, dict(enabled=False), forbidden)
    assert failed
    assert "Disable security defaults failed" in result["msg"]
    assert "Policy.ReadWrite.SecurityDefaults" in result["msg"]
