# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() with the connection replaced by scripted sessions."""

from __future__ import annotations

from unittest import mock
from urllib.parse import parse_qs, urlsplit

from ansible_collections.m365.admin.plugins.module_utils import _module
from ansible_collections.m365.admin.plugins.module_utils._exchange import ExchangeClient
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.tests.unit.m365_helpers import ScriptedSession, instant_sleep, run_module

CONNECTION = dict(tenant_id="5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c", client_id="8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40",
                  client_secret="TopSecret-123", cloud="custom", graph_url="https://graph.test",
                  exchange_url="https://exo.test", authority_url="https://login.test")


class FakeConnection(object):
    def __init__(self, settings, graph_handler, exchange_handler=None):
        self.settings = settings
        self.graph_session = ScriptedSession(graph_handler)
        self.exchange_session = ScriptedSession(exchange_handler or graph_handler)

    def graph(self):
        return GraphClient(self.graph_session, self.settings.graph_url)

    async def exchange(self):
        return ExchangeClient(self.exchange_session, self.settings.exchange_url, self.settings.tenant_id)

    async def close(self):
        return None


def run_with_graph(main, args, graph_handler, exchange_handler=None):
    """(result, failed, connections made)."""
    made = []

    def factory(settings, concurrency=4):
        made.append(FakeConnection(settings, graph_handler, exchange_handler))
        return made[-1]

    with mock.patch.object(_module, "M365Connection", factory), instant_sleep():
        result, failed = run_module(main, dict(CONNECTION, **args))
    return result, failed, made


def run_with_exchange(main, args, exchange_handler, graph_handler=None):
    """Like run_with_graph, for modules that talk to Exchange (and Graph for groups)."""
    def no_graph(method, url, body, headers):
        raise AssertionError("unexpected Graph call %s" % url)
    return run_with_graph(main, args, graph_handler or no_graph, exchange_handler)


def signin_event(upn, client, when, code=0, os_name="", agent="BAV2ROPC"):
    return {"createdDateTime": when, "userId": "id-" + upn.split("@")[0], "userPrincipalName": upn,
            "userDisplayName": upn.split("@")[0].title(), "clientAppUsed": client, "appDisplayName": "Office 365 Exchange Online",
            "status": {"errorCode": code, "failureReason": None if code == 0 else "Invalid username or password."},
            "deviceDetail": {"operatingSystem": os_name, "browser": ""}, "userAgent": agent}


# "List signIns" documents these query options only; Graph answers any other with 400.
SIGNIN_QUERY_OPTIONS = ("$filter", "$top", "$skiptoken")


class SignInLog(object):
    """Answers GET /auditLogs/signIns like Graph: filter on clientAppUsed, pages of $top with a nextLink,
    400 for a query option the API does not document ($select, $orderby, ...)."""

    def __init__(self, events, page=None, error=None):
        self.events = events
        self.page = page
        self.error = error
        self.queries = []

    def __call__(self, method, url, body, headers):
        assert method == "GET" and "/v1.0/auditLogs/signIns" in url
        if self.error:
            return self.error
        query = parse_qs(urlsplit(url).query)
        self.queries.append(query)
        refused = sorted(name for name in query if name.lower() not in SIGNIN_QUERY_OPTIONS)
        if refused:
            return 400, {"error": {"code": "BadRequest", "message": "Query option '%s' is not allowed. To allow it, "
                                   "set the 'AllowedQueryOptions' property on EnableQueryAttribute or "
                                   "QueryValidationSettings." % refused[0].lstrip("$").title(),
                                   "innerError": {"request-id": "rid-400"}}}
        flt = query["$filter"][0]
        client = flt.split("clientAppUsed eq '", 1)[1].rstrip("'")
        since = flt.split("createdDateTime ge ", 1)[1].split(" ", 1)[0]
        matching = [e for e in self.events if e["clientAppUsed"] == client and e["createdDateTime"] >= since]
        size = self.page or int(query["$top"][0])
        offset = int(query.get("$skiptoken", ["0"])[0])
        answer = {"value": matching[offset:offset + size]}
        if offset + size < len(matching):
            answer["@odata.nextLink"] = "https://graph.test/v1.0/auditLogs/signIns?%s&$skiptoken=%d" % (
                urlsplit(url).query.split("&$skiptoken")[0], offset + size)
        return 200, answer
