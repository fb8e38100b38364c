# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
from unittest import mock

import pytest

from ansible_collections.m365.admin.plugins.module_utils import _graph, _rounds
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._graph import BatchRequest, GraphClient
from ansible_collections.m365.admin.tests.unit.m365_helpers import ScriptedSession, graph_error

GRAPH = "https://graph.test"
REAL_SLEEP = asyncio.sleep


pytestmark = pytest.mark.usefixtures("no_sleep")


def batch_handler(item_answer):
    """A $batch endpoint that answers each item with item_answer(item, attempt_of_that_url)."""
    seen = {}

    def handler(method, url, body, headers):
        assert url.endswith("/$batch")
        responses = []
        for item in body["requests"]:
            seen[item["url"]] = seen.get(item["url"], 0) + 1
            answer = item_answer(item, seen[item["url"]])
            response = {"id": item["id"], "status": answer[0], "body": answer[1]}
            if len(answer) > 2:
                response["headers"] = answer[2]
            responses.append(response)
        return 200, {"responses": list(reversed(responses))}
    return handler


def run(coro):
    return asyncio.run(coro)


def test_batch_envelopes_hold_20_relative_items_and_results_keep_order():
    session = ScriptedSession(batch_handler(lambda item, n: (200, {"url": item["url"]})))
    client = GraphClient(session, GRAPH)
    requests = [BatchRequest("GET", "/users/u%d" % i) for i in range(45)]
    results = run(client.batch(requests))
    assert [r.body["url"] for r in results] == ["/users/u%d" % i for i in range(45)]
    envelopes = [c["body"]["requests"] for c in session.calls]
    assert sorted(len(e) for e in envelopes) == [5, 20, 20]
    for envelope in envelopes:
        ids = [item["id"] for item in envelope]
        assert len(set(i.lower() for i in ids)) == len(ids)
        assert all(not item["url"].startswith("http") for item in envelope)
    assert all(c["url"] == GRAPH + "/v1.0/$batch" for c in session.calls)


def test_a_service_near_its_limit_ends_slow_start_without_losing_or_repeating_items():
    """Items answered with x-ms-throttle-limit-percentage: the envelopes of that round not yet
    sent wait for the next round; each item is still sent exactly once and answered."""
    session = ScriptedSession(batch_handler(
        lambda item, n: (200, {"url": item["url"]}, {"x-ms-throttle-limit-percentage": "0.9"})))
    client = GraphClient(session, GRAPH, concurrency=1)
    requests = [BatchRequest("GET", "/users/u%d" % i) for i in range(300)]
    results = run(client.batch(requests))
    assert [r.body["url"] for r in results] == ["/users/u%d" % i for i in range(300)]
    sent = [item["url"] for call in session.calls for item in call["body"]["requests"]]
    assert sorted(sent) == sorted("/users/u%d" % i for i in range(300))
    # One envelope went out in the first round (one in flight), the warning stopped the round.
    assert len(session.calls) == 15 and client.batch_requests_sent == 15


def test_beta_batch_goes_to_the_beta_root_with_unversioned_item_urls():
    session = ScriptedSession(batch_handler(lambda item, n: (204, None)))
    client = GraphClient(session, GRAPH)
    req = BatchRequest("PATCH", "/users/a/authentication/requirements", body={"perUserMfaState": "enforced"})
    results = run(client.batch([req], version="beta", idempotent=True))
    assert results[0].status == 204 and results[0].ok
    call = session.calls[0]
    assert call["url"] == GRAPH + "/beta/$batch"
    item = call["body"]["requests"][0]
    assert item["url"] == "/users/a/authentication/requirements"
    assert item["headers"]["Content-Type"] == "application/json"
    assert item["body"] == {"perUserMfaState": "enforced"}
    assert call["safe"] is True


def test_absolute_item_urls_are_refused():
    with pytest.raises(ValueError):
        BatchRequest("GET", "https://graph.microsoft.com/v1.0/users")


def test_throttled_item_is_retried_after_its_retry_after():
    waits = []

    async def record(seconds):
        waits.append(seconds)

    def answer(item, attempt):
        if item["url"] == "/users/b" and attempt == 1:
            return 429, graph_error("TooManyRequests", "Please retry again later."), {"Retry-After": "7"}
        return 200, {"id": item["url"]}

    session = ScriptedSession(batch_handler(answer))
    client = GraphClient(session, GRAPH)
    with mock.patch.object(_rounds.asyncio, "sleep", record):
        results = run(client.batch([BatchRequest("GET", "/users/a"), BatchRequest("GET", "/users/b")]))
    assert [r.status for r in results] == [200, 200]
    assert waits == [7.0]
    # The retry carries only the throttled item.
    assert [len(c["body"]["requests"]) for c in session.calls] == [2, 1]


def test_retry_without_retry_after_backs_off():
    def answer(item, attempt):
        return (503, graph_error("serviceNotAvailable", "busy")) if attempt < 3 else (200, {})

    session = ScriptedSession(batch_handler(answer))
    results = run(GraphClient(session, GRAPH).batch([BatchRequest("GET", "/users/a")]))
    assert results[0].ok
    assert len(session.calls) == 3


def test_item_throttled_forever_is_returned_not_raised():
    session = ScriptedSession(batch_handler(lambda item, n: (429, graph_error("TooManyRequests", "x"),
                                                             {"Retry-After": "1"})))
    results = run(GraphClient(session, GRAPH).batch([BatchRequest("GET", "/users/a")]))
    assert results[0].status == 429
    assert len(session.calls) == _graph.ITEM_MAX_ATTEMPTS


def test_permanent_item_failures_are_not_retried():
    def answer(item, attempt):
        if item["url"] == "/users/missing":
            return 404, graph_error("Request_ResourceNotFound", "Resource 'missing' does not exist")
        if item["url"] == "/users/locked":
            return 403, graph_error("Authorization_RequestDenied", "Insufficient privileges")
        return 200, {}

    session = ScriptedSession(batch_handler(answer))
    reqs = [BatchRequest("GET", "/users/%s" % n) for n in ("ok", "missing", "locked")]
    results = run(GraphClient(session, GRAPH).batch(reqs))
    assert [r.status for r in results] == [200, 404, 403]
    assert "Insufficient privileges" in results[2].describe()
    assert len(session.calls) == 1


def test_missing_item_in_answer_is_retried():
    def handler(method, url, body, headers):
        handler.count += 1
        items = body["requests"]
        if handler.count == 1:
            items = items[:1]
        return 200, {"responses": [{"id": i["id"], "status": 200, "body": {}} for i in items]}
    handler.count = 0
    session = ScriptedSession(handler)
    results = run(GraphClient(session, GRAPH).batch([BatchRequest("GET", "/a"), BatchRequest("GET", "/b")]))
    assert all(r.ok for r in results)


def test_envelope_refused_raises_typed_error():
    session = ScriptedSession(lambda *a: (400, graph_error("BadRequest", "Invalid batch payload")))
    with pytest.raises(ServiceError) as info:
        run(GraphClient(session, GRAPH).batch([BatchRequest("GET", "/a")]))
    assert "Invalid batch payload" in info.value.to_message()


def test_concurrency_is_bounded():
    state = {"now": 0, "max": 0}

    class SlowSession(ScriptedSession):
        async def request(self, *args, **kwargs):
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
            await REAL_SLEEP(0.001)
            try:
                return await super().request(*args, **kwargs)
            finally:
                state["now"] -= 1

    session = SlowSession(batch_handler(lambda item, n: (200, {})))
    client = GraphClient(session, GRAPH, concurrency=3)
    run(client.batch([BatchRequest("GET", "/u%d" % i) for i in range(200)]))
    assert len(session.calls) == 10
    assert state["max"] == 3


def pages_handler(pages):
    def handler(method, url, body, headers):
        handler.urls.append((url, dict(headers)))
        index = len(handler.urls) - 1
        page = {"value": pages[index]}
        if index + 1 < len(pages):
            page["@odata.nextLink"] = GRAPH + "/v1.0/users?$top=999&$skiptoken=X%d" % index
        return 200, page
    handler.urls = []
    return handler


def test_get_all_follows_next_links_verbatim_and_resends_headers():
    handler = pages_handler([[{"id": 1}], [], [{"id": 2}, {"id": 3}]])
    client = GraphClient(ScriptedSession(handler), GRAPH)
    items = run(client.get_all("/users", params={"$select": "id,userPrincipalName"},
                               headers={"ConsistencyLevel": "eventual"}))
    assert [i["id"] for i in items] == [1, 2, 3]
    first_url = handler.urls[0][0]
    assert first_url.startswith(GRAPH + "/v1.0/users?")
    assert "$top=999" in first_url and "$select=id,userPrincipalName" in first_url
    assert handler.urls[1][0] == GRAPH + "/v1.0/users?$top=999&$skiptoken=X0"
    assert all(h.get("ConsistencyLevel") == "eventual" for _u, h in handler.urls)


def test_next_link_to_another_host_is_refused():
    def handler(method, url, body, headers):
        return 200, {"value": [], "@odata.nextLink": "https://evil.test/v1.0/users?$skiptoken=1"}
    with pytest.raises(TransportError):
        run(GraphClient(ScriptedSession(handler), GRAPH).get_all("/users"))


@pytest.mark.parametrize("status,code,error_type", [
    (401, "InvalidAuthenticationToken", AuthenticationError),
    (403, "Authorization_RequestDenied", PermissionDeniedError),
    (404, "Request_ResourceNotFound", NotFoundError),
    (400, "Request_UnsupportedQuery", ServiceError),
])
def test_errors_are_typed_and_carry_the_service_words(status, code, error_type):
    session = ScriptedSession(lambda *a: (status, graph_error(code, "the service said so")))
    with pytest.raises(error_type) as info:
        run(GraphClient(session, GRAPH).get("/users/x", operation="Read user", permission="User.Read.All"))
    exc = info.value
    assert exc.status == status and exc.code == code
    assert "the service said so" in exc.to_message()
    assert exc.to_message().startswith("Read user failed")
    if status == 403:
        assert "User.Read.All" in exc.to_message()


def test_resolve_users_by_upn_and_id_reports_missing():
    def answer(item, attempt):
        if "ghost" in item["url"]:
            return 404, graph_error("Request_ResourceNotFound", "nope")
        key = item["url"].split("/users/")[1].split("?")[0]
        return 200, {"id": key, "userPrincipalName": key}

    session = ScriptedSession(batch_handler(answer))
    found, missing = run(GraphClient(session, GRAPH).resolve_users(
        ["alice@contoso.com", "ghost@contoso.com", "0b1d0c37-0000-4000-8000-000000000001", "alice@contoso.com"],
        select=["id", "userPrincipalName"]))
    assert set(found) == {"alice@contoso.com", "0b1d0c37-0000-4000-8000-000000000001"}
    assert missing == ["ghost@contoso.com"]
    items = session.calls[0]["body"]["requests"]
    assert len(items) == 3
    assert "$select=id,userPrincipalName" in items[0]["url"]


def test_resolve_users_encodes_guest_upns():
    session = ScriptedSession(batch_handler(lambda item, n: (200, {"id": "g"})))
    run(GraphClient(session, GRAPH).resolve_users(["jane_fabrikam.com#EXT#@contoso.onmicrosoft.com"], ["id"]))
    url = session.calls[0]["body"]["requests"][0]["url"]
    assert "%23EXT%23" in url and "#" not in url


@pytest.mark.parametrize("bad", ["bob", "bob@", "not a guid", ""])
def test_resolve_users_rejects_malformed_names_before_any_request(bad):
    session = ScriptedSession(lambda *a: (200, {}))
    with pytest.raises(ConfigurationError):
        run(GraphClient(session, GRAPH).resolve_users([bad], ["id"]))
    assert session.calls == []


def test_resolve_groups_by_name_and_id():
    gid = "11111111-2222-4333-8444-555555555555"

    def answer(item, attempt):
        if item["url"].startswith("/groups/" + gid):
            return 200, {"id": gid, "displayName": "By Id"}
        if "O%27Brien" in item["url"] or "O''Brien" in item["url"]:
            return 200, {"value": [{"id": "g2", "displayName": "O'Brien team"}]}
        if "Twice" in item["url"]:
            return 200, {"value": [{"id": "a"}, {"id": "b"}]}
        return 200, {"value": []}

    session = ScriptedSession(batch_handler(answer))
    client = GraphClient(session, GRAPH)
    found, missing = run(client.resolve_groups([gid, "O'Brien team", "Nobody"]))
    assert found[gid]["displayName"] == "By Id"
    assert found["O'Brien team"]["id"] == "g2"
    assert missing == ["Nobody"]
    urls = [i["url"] for i in session.calls[0]["body"]["requests"]]
    assert any("displayName%20eq%20'O''Brien%20team'" in u for u in urls)
    with pytest.raises(ConfigurationError) as info:
        run(client.resolve_groups(["Twice"]))
    assert "a, b" in info.value.message


def test_transitive_members_use_the_user_cast_as_an_advanced_query():
    # The cast is an advanced query: ConsistencyLevel: eventual and $count=true, on every page.
    handler = pages_handler([[{"id": "u1"}], [{"id": "u2"}]])
    users = run(GraphClient(ScriptedSession(handler), GRAPH).transitive_user_members("g1", ["id"]))
    assert [u["id"] for u in users] == ["u1", "u2"]
    first_url = handler.urls[0][0]
    assert "/groups/g1/transitiveMembers/microsoft.graph.user?" in first_url
    assert "$count=true" in first_url.split("?", 1)[1].split("&")
    assert [headers.get("ConsistencyLevel") for _url, headers in handler.urls] == ["eventual", "eventual"]
