# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _cas, _signins
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError


def test_table_settings_are_mailbox_settings():
    for protocol in _signins.PROTOCOLS:
        assert protocol.setting is None or protocol.setting in _cas.BY_NAME
    assert [p.name for p in _signins.protocols_for_setting("mapi")] == ["mapi", "outlook_anywhere"]
    assert _signins.BY_CLIENT_APP["exchange activesync"].setting == "activesync"


def test_disables():
    assert _signins.disables("imap", True, False)
    assert _signins.disables("imap", None, False)
    assert not _signins.disables("imap", False, True)
    assert _signins.disables("smtp_auth", "enabled", "disabled")
    assert _signins.disables("smtp_auth", "enabled", "inherit")
    assert not _signins.disables("smtp_auth", "disabled", "inherit")
    assert not _signins.disables("smtp_auth", "inherit", "enabled")


def test_filter_uses_documented_operators_and_quotes():
    since = datetime.datetime(2026, 5, 1, 10, 20, 30, tzinfo=datetime.timezone.utc)
    assert _signins.signin_filter(_signins.BY_NAME["smtp_auth"], since) == (
        "createdDateTime ge 2026-05-01T10:20:30Z and clientAppUsed eq 'Authenticated SMTP'")


@pytest.mark.parametrize("days", [0, 31, None])
def test_window_bounds(days):
    with pytest.raises(ConfigurationError) as info:
        _signins.validate_usage_params(dict(window_days=days, protocols=["imap"]))
    assert info.value.option == "window_days"


def test_recent_users_keys_and_since():
    usage = {"imap": {"users": [
        dict(id="ID-1", user_principal_name="Ann@contoso.com", successes=2, last_success="2026-05-01T00:00:00Z"),
        dict(id="id-2", user_principal_name="bob@contoso.com", successes=0, last_success=None),
        dict(id="id-3", user_principal_name="cat@contoso.com", successes=1, last_success="2026-04-01T00:00:00Z"),
    ]}}
    found = _signins.recent_users(usage, ["imap", "pop"])
    assert set(found) == {"id-1", "ann@contoso.com", "id-3", "cat@contoso.com"}
    assert found["id-1"]["protocol"] == "imap"
    assert set(_signins.recent_users(usage, ["imap"], since="2026-04-15T00:00:00Z")) == {"id-1", "ann@contoso.com"}
    assert _signins.recent_users(None, ["imap"]) == {}


def test_collector_keeps_at_most_ten_clients():
    collector = _signins.UsageCollector()
    protocol = _signins.BY_NAME["imap"]
    for index in range(15):
        collector.add(protocol, {"userId": "u", "userPrincipalName": "u@x.com", "createdDateTime": "2026-05-01T00:00:%02dZ"
                                 % index, "status": {"errorCode": 0}, "userAgent": "agent %d" % index})
    user = collector.result([protocol])["imap"]["users"][0]
    assert user["sign_ins"] == 15 and len(user["clients"]) == 10 and user["last_sign_in"] == "2026-05-01T00:00:14Z"


@pytest.mark.parametrize("cloud", ["usgov", "usgov_dod", "china"])
def test_national_clouds_have_no_sign_in_logs(cloud):
    with pytest.raises(ConfigurationError) as info:
        _signins.validate_usage_params(dict(cloud=cloud, window_days=30, protocols=["imap"]))
    assert info.value.option == "cloud" and "cloud=%s" % cloud in info.value.message
    with pytest.raises(ConfigurationError) as info:
        _signins.validate_guard_params(dict(cloud=cloud, usage_guard_days=7))
    assert info.value.option == "cloud" and "cloud=%s" % cloud in info.value.message
    assert "set usage_guard_days to 0" in info.value.message
    # The guard off needs no logs: accepted in every cloud.
    _signins.validate_guard_params(dict(cloud=cloud, usage_guard_days=0))


@pytest.mark.parametrize("cloud", ["public", "custom", None])
def test_worldwide_and_custom_clouds_may_read(cloud):
    _signins.validate_usage_params(dict(cloud=cloud, window_days=30, protocols=["imap"]))
    _signins.validate_guard_params(dict(cloud=cloud, usage_guard_days=7))


def test_permission_names_both_permissions():
    assert _signins.PERMISSIONS == ("AuditLog.Read.All", "Directory.Read.All")
    assert "AuditLog.Read.All and Directory.Read.All" in _signins.PERMISSION_HINT
