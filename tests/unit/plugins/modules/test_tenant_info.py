# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _module
from ansible_collections.m365.admin.plugins.module_utils._exchange import ExchangeClient
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.plugins.modules import tenant_info
from ansible_collections.m365.admin.tests.unit.m365_helpers import (
    ScriptedSession,
    exchange_error,
    graph_error,
    run_module,
)

TENANT = "5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"
ARGS = dict(tenant_id=TENANT, client_id="8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40", client_secret="TopSecret-123",
            cloud="custom", graph_url="https://graph.test", exchange_url="https://exo.test",
            authority_url="https://login.test")
ORGANIZATION = {"value": [{"id": TENANT, "displayName": "Contoso", "tenantType": "AAD", "verifiedDomains": [
    {"name": "contoso.onmicrosoft.com", "isDefault": False, "isInitial": True, "type": "Managed"},
    {"name": "contoso.com", "isDefault": True, "isInitial": False, "type": "Managed"}]}]}
COUNTS = {"total": 12, "members": 10, "guests": 2}


def graph_handler(method, url, body, headers):
    if "/organization" in url:
        return 200, ORGANIZATION
    if url.endswith("/v1.0/$batch"):
        responses = []
        for item in body["requests"]:
            assert item["headers"]["ConsistencyLevel"] == "eventual"
            kind = "guests" if "Guest" in item["url"] else "members" if "Member" in item["url"] else "total"
            responses.append({"id": item["id"], "status": 200,
                              "body": {"@odata.count": COUNTS[kind], "value": [{"id": "x"}]}})
        return 200, {"responses": responses}
    raise AssertionError(url)


def exchange_handler(method, url, body, headers):
    assert body["CmdletInput"]["CmdletName"] == "Get-Mailbox"
    if "skiptoken" not in url:
        return 200, {"value": [{"RecipientTypeDetails": "UserMailbox"}] * 3,
                     "@odata.nextLink": "https://exo.test/adminapi/beta/%s/InvokeCommand?$skiptoken=1" % TENANT}
    return 200, {"value": [{"RecipientTypeDetails": "SharedMailbox"}, {"RecipientTypeDetails": "UserMailbox"}]}


class FakeConnection(object):
    def __init__(self, settings, graph=graph_handler, exchange=exchange_handler):
        self.settings = settings
        self.graph_session = ScriptedSession(graph)
        self.exchange_session = ScriptedSession(exchange)

    def graph(self):
        return GraphClient(self.graph_session, self.settings.graph_url)

    async def exchange(self):
        return ExchangeClient(self.exchange_session, self.settings.exchange_url, TENANT)

    async def close(self):
        return None


def run(args, **handlers):
    made = []

    def factory(settings, concurrency=4):
        made.append(FakeConnection(settings, **handlers))
        return made[-1]
    with mock.patch.object(_module, "M365Connection", factory):
        result, failed = run_module(tenant_info.main, args)
    return result, failed, made


def test_gathers_everything():
    result, failed, made = run(ARGS)
    assert not failed, result
    assert result["changed"] is False
    assert result["tenant_id"] == TENANT and result["display_name"] == "Contoso"
    assert result["default_domain"] == "contoso.com" and result["initial_domain"] == "contoso.onmicrosoft.com"
    assert len(result["verified_domains"]) == 2
    assert result["user_counts"] == COUNTS
    assert result["mailbox_counts"] == {"total": 5, "by_type": {"UserMailbox": 4, "SharedMailbox": 1}}
    assert result["cloud"] == "custom" and result["endpoints"]["exchange_url"] == "https://exo.test"
    # One organization read, one batch of three counts; Get-Mailbox paged with only the needed property.
    assert len(made[0].graph_session.calls) == 2
    assert made[0].exchange_session.calls[0]["url"].endswith("InvokeCommand?$select=RecipientTypeDetails")
    assert "TopSecret-123" not in repr(result)


def test_include_users_only_makes_no_exchange_call():
    result, failed, made = run(dict(ARGS, include=["users"]))
    assert not failed
    assert "mailbox_counts" not in result
    assert made[0].exchange_session.calls == []


def test_check_mode_reads_the_same():
    result, failed, _made = run(dict(ARGS, _ansible_check_mode=True, include=[]))
    assert not failed and result["tenant_id"] == TENANT


def test_missing_permission_names_it():
    def forbidden(method, url, body, headers):
        return 403, graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    result, failed, _made = run(ARGS, graph=forbidden)
    assert failed
    assert "Organization.Read.All" in result["msg"]
    assert "Insufficient privileges" in result["msg"]
    assert result["error"]["status"] == 403


def test_exchange_role_missing():
    def forbidden(method, url, body, headers):
        return 403, exchange_error("UnauthorizedAccessException", "The user isn't assigned to any management roles.",
                                   code="Forbidden")
    result, failed, _made = run(ARGS, exchange=forbidden)
    assert failed
    assert "Exchange.ManageAsApp" in result["msg"] and "management roles" in result["msg"]


@pytest.mark.parametrize("args,option", [
    (dict(ARGS, tenant_id=None), "tenant_id"),
    (dict(ARGS, graph_url=None), "graph_url"),
    (dict(ARGS, client_secret=None), "auth_method"),
])
def test_bad_connection_input_fails_before_any_request(args, option):
    args = {k: v for k, v in args.items() if v is not None}
    with mock.patch.dict("os.environ", {}, clear=True):
        result, failed, made = run(args)
    assert failed
    assert result["option"] == option
    assert made == []


def test_unknown_include_is_rejected_by_the_argument_spec():
    result, failed, made = run(dict(ARGS, include=["licences"]))
    assert failed and "include" in result["msg"]
    assert made == []
