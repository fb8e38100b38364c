# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lost answers, token expiry inside batches, and writes the pipeline must not repeat."""
from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import ssl
import time

import httpx
import pytest

from ansible_collections.m365.admin.plugins.module_utils import (
    _auth,
    _cas,
    _conditional_access,
    _exchange,
    _graph,
    _http,
    _mfa,
)
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    OutcomeUnknownError,
    ServiceError,
    ThrottledError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._exchange import ExchangeClient
from ansible_collections.m365.admin.plugins.module_utils._graph import BatchRequest, GraphClient
from ansible_collections.m365.admin.plugins.module_utils._reconcile import (
    Backend,
    Change,
    Setting,
    Target,
    Unknown,
    reconcile,
)
from ansible_collections.m365.admin.tests.unit.m365_helpers import ScriptedSession

pytestmark = pytest.mark.usefixtures("no_sleep")
COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
TABLE = (Setting("state"),)


def run(coro):
    return asyncio.run(coro)


class Tenant(object):
    """Targets with a state; writes that may lose their answer after being applied."""

    def __init__(self, states, lose=(), refuse_read=()):
        self.states = dict(states)
        self.lose = set(lose)
        self.refuse_read = set(refuse_read)
        self.writes = []
        self.reads = []

    async def apply(self, changes):
        outcomes = []
        for change in changes:
            self.writes.append(change.target.key)
            self.states[change.target.key] = change.after["state"]
            if change.target.key in self.lose:
                self.lose.discard(change.target.key)
                outcomes.append(Unknown(change.target, "connection dropped"))
        return outcomes

    async def read_back(self, targets):
        self.reads.extend(t.key for t in targets)
        return dict((t.key, {"state": self.states[t.key]}) for t in targets if t.key not in self.refuse_read)


class Calls(Backend):
    """A backend made of the test's functions."""

    table = TABLE

    def __init__(self, write, read_back=None):
        self.write = write
        if read_back is not None:
            self.read_back = read_back


def engine(targets, desired, table, write, check_mode, read_back=None):
    """reconcile over a Calls backend."""
    assert table is TABLE
    return reconcile(Calls(write, read_back), targets, desired, check_mode)


def targets(tenant):
    return [Target(key, key, {"state": state}) for key, state in sorted(tenant.states.items())]


def test_lost_write_that_landed_is_read_back_and_counted_once():
    tenant = Tenant({"a": "disabled", "b": "disabled"}, lose=["a"])
    result = run(engine(targets(tenant), {"state": "enforced"}, TABLE, tenant.apply, False,
                        read_back=tenant.read_back))
    assert result["summary"]["changed"] == 2 and result["failures"] == []
    # Verified by reading back, never written a second time.
    assert tenant.writes == ["a", "b"] and tenant.reads == ["a"]


def test_lost_write_that_did_not_land_is_written_again_after_the_read_back():
    tenant = Tenant({"a": "disabled"}, lose=["a"])

    async def apply(changes):
        outcomes = []
        for change in changes:
            tenant.writes.append(change.target.key)
            if change.target.key in tenant.lose:  # lost before it was applied
                tenant.lose.discard(change.target.key)
                outcomes.append(Unknown(change.target, "connection dropped"))
            else:
                tenant.states[change.target.key] = change.after["state"]
        return outcomes
    result = run(engine(targets(tenant), {"state": "enforced"}, TABLE, apply, False, read_back=tenant.read_back))
    assert result["summary"]["changed"] == 1 and tenant.states["a"] == "enforced"
    assert tenant.writes == ["a", "a"] and tenant.reads == ["a"]


def test_lost_write_that_cannot_be_read_back_fails_and_says_so():
    tenant = Tenant({"a": "disabled", "b": "disabled"}, lose=["a"], refuse_read=["a"])
    with pytest.raises(Exception) as info:
        run(engine(targets(tenant), {"state": "enforced"}, TABLE, tenant.apply, False,
                   read_back=tenant.read_back))
    result = info.value.result
    assert result["summary"]["changed"] == 1 and result["summary"]["failed"] == 1
    assert result["failures"][0]["status"] == 0 and "could not be read back" in result["failures"][0]["error"]


def test_lost_write_without_a_read_back_is_a_failure_not_a_change():
    tenant = Tenant({"a": "disabled"}, lose=["a"])
    with pytest.raises(Exception) as info:
        run(engine(targets(tenant), {"state": "enforced"}, TABLE, tenant.apply, False))
    assert info.value.result["summary"]["changed"] == 0
    assert "the answer to the write was lost" in info.value.result["failures"][0]["error"]


def graph_batch_lost(method, url, body, headers):
    raise OutcomeUnknownError("the connection failed after the request was sent")


def test_graph_write_batch_whose_answer_is_lost_is_not_sent_again():
    session = ScriptedSession(graph_batch_lost)
    client = GraphClient(session, "https://graph.test")
    requests = [BatchRequest("PATCH", "/users/%d/authentication/requirements" % i, body={"perUserMfaState": "enforced"})
                for i in range(3)]
    results = run(client.batch(requests, version="beta"))
    assert [r.status for r in results] == [0, 0, 0] and all(r.outcome_unknown for r in results)
    assert len(session.calls) == 1 and session.calls[0]["safe"] is False


def test_mfa_write_with_a_lost_answer_is_an_unknown_outcome():
    session = ScriptedSession(graph_batch_lost)
    change = Change(_mfa.user_target({"id": "u1", "userPrincipalName": "a@c.com"}, "disabled"),
                    {"state": "disabled"}, {"state": "enforced"})
    outcomes = run(_mfa.PerUserMfa(GraphClient(session, "https://graph.test")).write([change]))
    assert [type(o) for o in outcomes] == [Unknown]


def test_exchange_write_batch_whose_answer_is_lost_is_an_unknown_outcome_not_a_no_op():
    session = ScriptedSession(graph_batch_lost)
    client = ExchangeClient(session, "https://exo.test", "tenant")
    target = _cas.mailbox_target({"Guid": "g1", "PrimarySmtpAddress": "a@c.com", "ImapEnabled": True})
    outcomes = run(_cas.CasSettings(client).write([Change(target, {"imap": True}, {"imap": False})]))
    assert [type(o) for o in outcomes] == [Unknown]
    assert len(session.calls) == 1 and session.calls[0]["safe"] is False


def test_graph_items_answered_401_get_a_new_token_and_are_sent_again():
    def handler(method, url, body, headers):
        handler.rounds += 1
        status = 401 if handler.rounds == 1 else 200
        return 200, {"responses": [{"id": item["id"], "status": status, "body": {"perUserMfaState": "enforced"}}
                                   for item in body["requests"]]}
    handler.rounds = 0
    session = ScriptedSession(handler)
    results = run(GraphClient(session, "https://graph.test").batch([BatchRequest("GET", "/users/1")]))
    assert results[0].ok and session.tokens_refused == 1 and handler.rounds == 2


def test_exchange_items_answered_401_get_a_new_token_and_are_sent_again():
    def handler(method, url, body, headers):
        handler.rounds += 1
        status = 401 if handler.rounds == 1 else 200
        return 200, {"responses": [{"id": item["id"], "status": status, "body": {"value": []}}
                                   for item in body["requests"]]}
    handler.rounds = 0
    session = ScriptedSession(handler)
    client = ExchangeClient(session, "https://exo.test", "tenant")
    results = run(client.invoke_many([("Set-CASMailbox", {"Identity": "g1", "ImapEnabled": False})]))
    assert results[0].ok and session.tokens_refused == 1 and handler.rounds == 2


class Tokens(object):
    async def get(self, scope, reject=None):
        return "tok"


def mock_session(statuses):
    seen = []

    def handler(request):
        seen.append(request.method)
        status = statuses[min(len(seen), len(statuses)) - 1]
        return httpx.Response(status, json={"error": {"code": "x", "message": "y"}} if status >= 400 else {})
    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True,
                                   transport=httpx.MockTransport(handler))
    return session, seen


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_write_answered_504_is_not_repeated_by_the_pipeline(method):
    session, seen = mock_session([504, 201])
    with pytest.raises(OutcomeUnknownError) as info:
        run(session.request(method, "https://graph.test/v1.0/identity/conditionalAccess/policies", json_body={}))
    assert seen == [method] and "504" in info.value.to_message()


def test_a_write_answered_503_or_429_was_not_processed_and_is_sent_again():
    session, seen = mock_session([503, 429, 201])
    assert run(session.request("POST", "https://graph.test/v1.0/x", json_body={})).status == 201
    assert seen == ["POST", "POST", "POST"]


def test_a_read_answered_504_is_retried_by_the_pipeline():
    session, seen = mock_session([504, 200])
    assert run(session.request("GET", "https://graph.test/v1.0/x")).status == 200
    assert seen == ["GET", "GET"]


AccessToken = collections.namedtuple("AccessToken", "token expires_on")


class ShortLivedCredential(object):
    def __init__(self, lifetime):
        self.lifetime = lifetime
        self.issued = 0

    def get_token(self, scope, claims=None):
        self.issued += 1
        return AccessToken("t%d" % self.issued, int(time.time()) + self.lifetime)


@pytest.mark.parametrize("lifetime, expected", [(60, 1), (3599, 1)])
def test_short_lived_tokens_are_reused_until_half_their_life(lifetime, expected):
    credential = ShortLivedCredential(lifetime)
    provider = _auth.TokenProvider(credential, settings=None)

    async def scenario():
        for _i in range(20):
            await provider.get("scope")
    run(scenario())
    assert credential.issued == expected


def test_a_write_lost_every_time_is_read_back_after_the_last_attempt():
    tenant = Tenant({"a": "disabled"})

    async def apply(changes):
        tenant.writes.extend(change.target.key for change in changes)
        return [Unknown(change.target, "dropped") for change in changes]  # never applied
    with pytest.raises(Exception) as info:
        run(engine(targets(tenant), {"state": "enforced"}, TABLE, apply, False, read_back=tenant.read_back))
    failure = info.value.result["failures"][0]
    assert failure["status"] == 0 and "reads back unchanged" in failure["error"]
    # Every write was followed by a read-back: 4 reads, 4 writes (the first and 3 verified re-writes).
    assert len(tenant.reads) == 4 and len(tenant.writes) == 4


def test_no_option_can_turn_certificate_validation_off():
    from ansible_collections.m365.admin.plugins.module_utils._connection import CONNECTION_ARGUMENT_SPEC
    forbidden = ("validate_certs", "verify", "verify_ssl", "insecure", "skip_tls_verify", "ssl_verify")
    for name, spec in CONNECTION_ARGUMENT_SPEC.items():
        assert name not in forbidden and not set(spec.get("aliases") or ()) & set(forbidden), name
    # ca_path only adds trust: the context still requires a valid certificate for the right host.
    context = _http.build_ssl_context(None)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True


def lost_reads(times, error_text="Server disconnected without sending a response."):
    """A $batch endpoint whose answers to reads are lost ``times`` times, then given."""
    def handler(method, url, body, headers):
        handler.envelopes += 1
        if handler.envelopes <= times:
            error = TransportError("could not reach Microsoft Graph after 4 attempts: %s" % error_text)
            error.answer_lost = True
            raise error
        return 200, {"responses": [{"id": item["id"], "status": 200, "body": {"value": []}}
                                   for item in body["requests"]]}
    handler.envelopes = 0
    return handler


def test_reads_of_a_batch_whose_answer_is_lost_again_and_again_are_sent_in_later_rounds():
    handler = lost_reads(3)
    results = run(GraphClient(ScriptedSession(handler), "https://graph.test").batch(
        [BatchRequest("GET", "/users/%d" % i) for i in range(25)]))
    assert all(r.ok for r in results) and handler.envelopes == 2 + 3


def test_exchange_reads_whose_answer_is_lost_are_sent_in_later_rounds():
    def handler(method, url, body, headers):
        handler.envelopes += 1
        if handler.envelopes == 1:
            error = TransportError("could not reach Exchange Online after 4 attempts: reset")
            error.answer_lost = True
            raise error
        return 200, {"responses": [{"id": item["id"], "status": 200, "body": {"value": [{"Guid": "g"}]}}
                                   for item in body["requests"]]}
    handler.envelopes = 0
    client = ExchangeClient(ScriptedSession(handler), "https://exo.test", "tenant")
    results = run(client.invoke_many([("Get-CASMailbox", {"Identity": "a@c.com"})]))
    assert results[0].ok and handler.envelopes == 2


def test_a_transport_error_that_is_not_a_lost_answer_is_raised_at_once():
    def handler(method, url, body, headers):
        handler.envelopes += 1
        raise TransportError("the TLS certificate of https://graph.test is not trusted; add that CA with ca_path")
    handler.envelopes = 0
    with pytest.raises(TransportError) as info:
        run(GraphClient(ScriptedSession(handler), "https://graph.test").batch([BatchRequest("GET", "/users/1")]))
    assert "ca_path" in info.value.to_message() and handler.envelopes == 1


def test_reads_lost_on_every_round_fail_in_the_end():
    handler = lost_reads(1000)
    with pytest.raises(TransportError):
        run(GraphClient(ScriptedSession(handler), "https://graph.test").batch([BatchRequest("GET", "/users/1")]))
    assert handler.envelopes == 8


def test_a_read_back_that_fails_fails_those_targets_and_keeps_the_changes_made():
    tenant = Tenant({"a": "disabled", "b": "disabled"}, lose=["a"])

    async def read_back(changed):
        raise TransportError("could not reach Microsoft Graph after 4 attempts: reset")
    with pytest.raises(Exception) as info:
        run(engine(targets(tenant), {"state": "enforced"}, TABLE, tenant.apply, False, read_back=read_back))
    result = info.value.result
    assert result["summary"]["changed"] == 1 and result["changes"][0]["before"] == "disabled"
    assert "reading it back failed too" in result["failures"][0]["error"]


# --- one owner per kind of retry, and the worst case (docs/reliability.md) ------------------------

def answering(status, item_status=None, retry_after=None):
    """A transport that answers every request ``status`` (a throttled Conditional Access answer
    has no Retry-After); with ``item_status``, every $batch is answered 200 with each of its
    items answered ``item_status``. Returns (transport, the requests it received)."""
    seen = []

    def handler(request):
        seen.append(request)
        headers = {"Retry-After": retry_after} if retry_after else {}
        if item_status is not None:
            items = json.loads(request.content)["requests"]
            return httpx.Response(200, json={"responses": [
                {"id": item["id"], "status": item_status, "headers": headers,
                 "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}}
                for item in items]})
        return httpx.Response(status, headers=headers,
                              json={"error": {"code": "TooManyRequests", "message": "Please retry again later."}})
    return httpx.MockTransport(handler), seen


def graph_over(transport):
    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True,
                                   transport=transport)
    return GraphClient(session, "https://graph.test"), session


def documented_bound():
    """The bound docs/reliability.md states for throttling and transient 5xx."""
    with open(os.path.join(COLLECTION_ROOT, "docs", "reliability.md"), encoding="utf-8") as handle:
        stated = set(re.findall(r"`MAX_SENDS`: (\d+) sends", handle.read()))
    assert len(stated) == 1, stated
    return int(stated.pop())


@pytest.mark.parametrize("status, error", [(429, ThrottledError), (503, ServiceError)])
@pytest.mark.parametrize("call", ["create", "update"])
def test_worst_case_sends_of_a_conditional_access_write(status, error, call):
    # Before, the module's loop (7 attempts) ran over the pipeline's (9 sends): 63 sends.
    transport, seen = answering(status)
    graph, _session = graph_over(transport)
    policies = _conditional_access.ConditionalAccessPolicies(graph, _conditional_access.Pacer(interval=0))
    body = {"displayName": "Require MFA", "state": "disabled"}
    with pytest.raises(error):
        run(policies.create(body) if call == "create" else policies.update("p1", body))
    assert len(seen) == _http.MAX_SENDS == documented_bound() == 8
    assert {r.method for r in seen} == {"POST" if call == "create" else "PATCH"}


@pytest.mark.parametrize("envelope, item", [(429, None), (503, None), (200, 429), (200, 503)])
@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_worst_case_sends_of_a_graph_batch_item(envelope, item, method):
    # Whether Graph refuses the envelope or the item inside it, the item is sent MAX_SENDS times
    # in all: the pipeline does not send an envelope again, the round sender does.
    transport, seen = answering(envelope, item, retry_after="1")
    graph, _session = graph_over(transport)
    request = BatchRequest(method, "/users/u1/authentication/requirements",
                           body={"perUserMfaState": "enforced"} if method == "PATCH" else None)
    results = run(graph.batch([request], version="beta", idempotent=True))
    assert len(seen) == graph.batch_requests_sent == _http.MAX_SENDS == documented_bound()
    assert all(r.url.path == "/beta/$batch" for r in seen)
    assert results[0].status == (item or envelope)


def test_a_refused_envelope_of_writes_is_sent_again_by_the_round_sender_only():
    # 429 and 503 say nothing was run, so even writes that are not idempotent may go again.
    answers = [429, 503]
    seen = []

    def handler(request):
        seen.append(request)
        if answers:
            return httpx.Response(answers.pop(0), headers={"Retry-After": "2"}, json={"error": {"code": "x"}})
        return httpx.Response(200, json={"responses": [{"id": "1", "status": 201, "body": {"id": "new"}}]})
    graph, session = graph_over(httpx.MockTransport(handler))
    results = run(graph.batch([BatchRequest("POST", "/groups", body={"displayName": "G"})]))
    assert results[0].status == 201 and len(seen) == 3 == session.requests_sent


def test_a_lost_answer_to_an_envelope_of_reads_is_resent_by_the_round_sender_not_the_pipeline():
    seen = []

    def handler(request):
        seen.append(request)
        if len(seen) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"responses": [{"id": "1", "status": 200, "body": {"id": "u1"}}]})
    graph, _session = graph_over(httpx.MockTransport(handler))
    results = run(graph.batch([BatchRequest("GET", "/users/u1")]))
    assert results[0].body == {"id": "u1"} and len(seen) == 2


def exchange_over(transport):
    session = _http.ServiceSession("Exchange Online", Tokens(), "s", ssl.create_default_context(), 5,
                                   transport=transport)
    return ExchangeClient(session, "https://outlook.test", "contoso.onmicrosoft.com"), session


@pytest.mark.parametrize("status, error", [(429, ThrottledError), (503, ServiceError)])
@pytest.mark.parametrize("cmdlet", ["Get-CASMailbox", "Set-CASMailbox"])
def test_worst_case_sends_of_a_single_exchange_call(status, error, cmdlet):
    # Before, the Exchange client's loop (6 attempts) ran over the pipeline's (8 sends): 48 sends.
    transport, seen = answering(status, retry_after="1")
    exchange, _session = exchange_over(transport)
    with pytest.raises(error):
        run(exchange.invoke(cmdlet, {"Identity": "adele@contoso.com", "ImapEnabled": False}))
    assert len(seen) == _http.MAX_SENDS == documented_bound() == 8


def test_a_transient_cmdlet_error_is_the_exchange_clients_to_retry():
    # HTTP 500 with ADTransientException: not the pipeline's (it only retries 429, 503, 504).
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(500, json={"error": {"code": "InternalServerError", "message": "x", "details": [
            {"message": "Ex1A2B3C|Microsoft.Exchange.Data.Directory.ADTransientException|The server is busy."}]}})
    exchange, _session = exchange_over(httpx.MockTransport(handler))
    with pytest.raises(ServiceError):
        run(exchange.invoke("Get-CASMailbox", {"Identity": "adele@contoso.com"}))
    assert len(seen) == _exchange.MAX_ATTEMPTS == 6


@pytest.mark.parametrize("envelope, item", [(429, None), (503, None), (200, 429), (200, 503)])
@pytest.mark.parametrize("cmdlet", ["Get-CASMailbox", "Set-CASMailbox"])
def test_worst_case_sends_of_an_exchange_batch_item(envelope, item, cmdlet):
    # The envelope goes out with the pipeline's retries off: whether Exchange refuses the envelope
    # or the command in it, the command is sent ITEM_MAX_ATTEMPTS times in all.
    transport, seen = answering(envelope, item, retry_after="1")
    exchange, _session = exchange_over(transport)
    results = run(exchange.invoke_many([(cmdlet, {"Identity": "adele@contoso.com", "ImapEnabled": False})],
                                       idempotent=True))
    assert len(seen) == exchange.batch_requests_sent == _graph.ITEM_MAX_ATTEMPTS == documented_bound()
    assert all(r.url.path.endswith("/$batch") for r in seen)
    assert results[0].error.status == (item or envelope)
