# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.m365.admin.plugins.modules import protocol_usage_info
from ansible_collections.m365.admin.tests.unit.m365_helpers import graph_error
from ansible_collections.m365.admin.tests.unit.plugins.modules.m365_module_fakes import (
    SignInLog,
    run_with_graph,
    signin_event as event,
)


def test_usage_per_protocol_and_user_over_pages():
    events = [event("ann@contoso.com", "Exchange ActiveSync", "2099-01-0%dT00:00:00Z" % day, os_name="Ios",
                    agent="Apple-iPhone15C2/2104.187") for day in range(1, 4)]
    events += [event("bob@contoso.com", "IMAP4", "2099-01-02T00:00:00Z"),
               event("bob@contoso.com", "IMAP4", "2099-01-03T00:00:00Z", code=50126)]
    log = SignInLog(events, page=2)
    result, failed, _made = run_with_graph(protocol_usage_info.main, dict(protocols=["activesync", "imap"]), log)
    assert not failed and result["changed"] is False
    ann = result["protocols"]["activesync"]["users"][0]
    assert ann["user_principal_name"] == "ann@contoso.com" and ann["sign_ins"] == 3 and ann["successes"] == 3
    assert ann["last_sign_in"] == "2099-01-03T00:00:00Z" and ann["clients"] == ["Ios / Apple-iPhone15C2/2104.187"]
    bob = result["protocols"]["imap"]["users"][0]
    assert (bob["successes"], bob["failures"], bob["last_success"]) == (1, 1, "2099-01-02T00:00:00Z")
    assert result["protocols"]["imap"]["counts"] == {"users": 1, "sign_ins": 2, "successes": 1, "failures": 1,
                                                     "users_with_success": 1}
    assert result["users"] == {"ann@contoso.com": ["activesync"], "bob@contoso.com": ["imap"]}
    assert result["events_read"] == 5
    # v1.0 lists interactive sign-ins only, and the result says so.
    assert result["sign_in_event_types"] == ["interactive"]
    # Two pages for ActiveSync (3 events, 2 per page), one for IMAP: every page asked for $top=1000, and
    # only the query options "List signIns" documents were sent (Graph answers $select with 400).
    assert len(log.queries) == 3
    first = log.queries[0]
    assert set(first) == {"$filter", "$top"} and set(log.queries[1]) == {"$filter", "$top", "$skiptoken"}
    assert first["$top"] == ["1000"]
    assert first["$filter"][0].startswith("createdDateTime ge ")
    assert first["$filter"][0].endswith(" and clientAppUsed eq 'Exchange ActiveSync'")


def test_failures_left_out_and_users_filter():
    events = [event("bob@contoso.com", "IMAP4", "2099-01-03T00:00:00Z", code=50126),
              event("cat@contoso.com", "IMAP4", "2099-01-03T00:00:00Z")]
    result, failed, _made = run_with_graph(
        protocol_usage_info.main, dict(protocols=["imap"], include_failures=False), SignInLog(events))
    assert not failed
    assert [u["user_principal_name"] for u in result["protocols"]["imap"]["users"]] == ["cat@contoso.com"]
    result, failed, _made = run_with_graph(
        protocol_usage_info.main, dict(protocols=["imap"], users=["BOB@contoso.com"]), SignInLog(events))
    assert [u["user_principal_name"] for u in result["protocols"]["imap"]["users"]] == ["bob@contoso.com"]


def test_every_protocol_by_default_one_listing_each():
    log = SignInLog([])
    result, failed, _made = run_with_graph(protocol_usage_info.main, {}, log)
    assert not failed and len(result["protocols"]) == 11 and len(log.queries) == 11
    clients = [q["$filter"][0].split("clientAppUsed eq ", 1)[1] for q in log.queries]
    assert "'Outlook Anywhere (RPC over HTTP)'" in clients and "'Authenticated SMTP'" in clients
    assert result["window"]["days"] == 30


def test_window_is_validated_before_any_request():
    log = SignInLog([])
    for days in (0, 31):
        result, failed, _made = run_with_graph(protocol_usage_info.main, dict(window_days=days), log)
        assert failed and "window_days must be between 1 and 30" in result["msg"]
    assert log.queries == []


def test_missing_permission_and_missing_licence_are_told_apart():
    denied = SignInLog([], error=(403, graph_error("Authorization_RequestDenied",
                                                   "Insufficient privileges to complete the operation.")))
    result, failed, _made = run_with_graph(protocol_usage_info.main, dict(protocols=["imap"]), denied)
    assert failed and result["error"]["status"] == 403
    # The API needs both permissions (a documented known issue): the hint names the two.
    assert "AuditLog.Read.All and Directory.Read.All" in result["msg"]
    unlicensed = SignInLog([], error=(403, graph_error("Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                                                       "Neither tenant is B2C or tenant doesn't have premium license")))
    result, failed, _made = run_with_graph(protocol_usage_info.main, dict(protocols=["imap"]), unlicensed)
    assert failed and "P1 or P2" in result["msg"]
    assert result["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


def test_max_events_stops_early_and_says_so():
    events = [event("ann@contoso.com", "IMAP4", "2099-01-0%dT00:00:00Z" % day) for day in range(9, 0, -1)]
    log = SignInLog(events, page=2)
    result, failed, _made = run_with_graph(protocol_usage_info.main, dict(protocols=["imap"], max_events=3), log)
    assert not failed
    # Pages of 2: the cap is reached on the second page; the third is asked for to know that more follow.
    assert len(log.queries) == 3 and result["events_read"] == 4
    assert result["protocols"]["imap"]["complete"] is False
    assert result["incomplete"] == ["imap"]
    exact, failed, _made = run_with_graph(protocol_usage_info.main, dict(protocols=["imap"], max_events=9),
                                          SignInLog(events, page=3))
    assert not failed and exact["incomplete"] == [] and exact["events_read"] == 9
    full, failed, _made = run_with_graph(protocol_usage_info.main, dict(protocols=["imap"]), SignInLog(events, page=2))
    assert full["protocols"]["imap"]["complete"] is True and full["events_read"] == 9
    assert full["incomplete"] == []


@pytest.mark.parametrize("cloud, name", [("usgov", "GCC High"), ("usgov_dod", "DoD"), ("china", "21Vianet")])
def test_national_clouds_refused_before_any_request(cloud, name):
    log = SignInLog([])
    result, failed, made = run_with_graph(protocol_usage_info.main, dict(cloud=cloud), log)
    assert failed and result["option"] == "cloud"
    assert "cloud=%s" % cloud in result["msg"] and name in result["msg"] and "worldwide cloud only" in result["msg"]
    # Refused while validating input: no connection, no token, no request.
    assert made == [] and log.queries == []


def test_public_cloud_reads():
    log = SignInLog([])
    result, failed, made = run_with_graph(protocol_usage_info.main, dict(cloud="public", protocols=["pop"]), log)
    assert not failed and len(log.queries) == 1 and made


@pytest.mark.parametrize("status, code, message", [
    (400, "BadRequest", "Resource not found for the segment 'auditLogs'."),
    (404, "Request_ResourceNotFound", "Resource not found."),
])
def test_custom_cloud_is_read_and_a_missing_api_explained(status, code, message):
    # cloud=custom may be a national cloud's Graph, where Microsoft does not say how the absent API answers.
    missing = SignInLog([], error=(status, graph_error(code, message)))
    result, failed, made = run_with_graph(protocol_usage_info.main, dict(protocols=["imap"]), missing)
    assert failed and result["error"]["status"] == status
    assert "worldwide cloud only" in result["msg"] and "national cloud" in result["msg"]
    assert made[0].graph_session.requests_sent == 1
