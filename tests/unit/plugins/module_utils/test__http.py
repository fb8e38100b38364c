# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
import datetime
import email.utils
import ssl
from unittest import mock

import httpx
import pytest
import trustme

from ansible_collections.m365.admin.plugins.module_utils import _http
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    OutcomeUnknownError,
    TransportError,
)


class Tokens(object):
    def __init__(self):
        self.issued = 0
        self.rejected = []

    async def get(self, scope, reject=None):
        if reject:
            self.rejected.append(reject)
        self.issued += 1
        return "tok%d" % self.issued


def test_bearer_auth_refreshes_once_on_401():
    tokens = Tokens()
    seen = []

    def handler(request):
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200, json={})

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler),
                                     auth=_http.BearerAuth(tokens, "s")) as client:
            return await client.get("https://graph.test/v1.0/users")
    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert seen == ["Bearer tok1", "Bearer tok2"]
    assert tokens.rejected == ["tok1"]


def test_bearer_auth_gives_up_after_two_refreshes():
    tokens = Tokens()

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(401, json={})),
                                     auth=_http.BearerAuth(tokens, "s")) as client:
            return await client.get("https://graph.test/x")
    assert asyncio.run(scenario()).status_code == 401
    # The first token, a new one, and one more when the new one was refused too (it may have
    # expired on its way): never a loop.
    assert tokens.issued == 3 and tokens.rejected == ["tok1", "tok2"]


def test_ssl_context_adds_a_ca_and_keeps_verification(tmp_path):
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    context = _http.build_ssl_context(str(path))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    subjects = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
    assert len(subjects) > 10  # the system roots are still there


def test_ssl_context_rejects_a_bad_bundle(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("not a certificate")
    with pytest.raises(ConfigurationError) as info:
        _http.build_ssl_context(str(path))
    assert info.value.option == "ca_path"


def test_ca_bundle_for_azure_identity(tmp_path):
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    bundle = _http.CABundle(str(path))
    content = open(bundle.path, "rb").read()
    assert ca.cert_pem.bytes() in content and len(content) > len(ca.cert_pem.bytes()) * 10
    bundle.cleanup()
    assert bundle.path is None


def session_with(fake_request):
    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True)
    session._client = mock.Mock()
    session._client.request = fake_request
    return session


def raising(*errors, then=None):
    calls = []

    async def fake(method, url, content=None, headers=None, extensions=None):
        calls.append((method, url, headers))
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return then
    fake.calls = calls
    return fake


pytestmark = pytest.mark.usefixtures("no_sleep")


def ok_response(body=b'{"value": []}', content_type="application/json"):
    return httpx.Response(200, content=body, headers={"content-type": content_type, "request-id": "r1"})


def test_lost_answer_to_a_read_is_retried():
    fake = raising(httpx.ReadError("reset"), httpx.RemoteProtocolError("dropped"), then=ok_response())
    response = asyncio.run(session_with(fake).request("GET", "https://graph.test/v1.0/users"))
    assert response.status == 200 and response.body == {"value": []} and response.request_id == "r1"
    assert len(fake.calls) == 3
    assert fake.calls[0][2]["client-request-id"]


def test_lost_answer_to_a_write_is_reported_as_unknown_outcome():
    fake = raising(httpx.ReadError("reset"), then=ok_response())
    with pytest.raises(OutcomeUnknownError) as info:
        asyncio.run(session_with(fake).request("PATCH", "https://graph.test/v1.0/x", json_body={"a": 1},
                                               operation="Update x"))
    assert "may or may not" in info.value.to_message()
    assert len(fake.calls) == 1


def test_write_that_never_connected_is_retried():
    fake = raising(httpx.ConnectError("refused"), then=ok_response())
    assert asyncio.run(session_with(fake).request("PATCH", "https://graph.test/x", json_body={})).status == 200


def test_unreachable_service():
    fake = raising(*[httpx.ConnectError("[Errno 111] Connection refused")] * 10)
    with pytest.raises(TransportError) as info:
        asyncio.run(session_with(fake).request("GET", "https://graph.test/v1.0/users", operation="List users"))
    message = info.value.to_message()
    assert "could not reach Microsoft Graph at https://graph.test" in message
    assert "Connection refused" in message


def test_untrusted_certificate_names_ca_path():
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate")
    with pytest.raises(TransportError) as info:
        asyncio.run(session_with(raising(error)).request("GET", "https://graph.test/v1.0/users"))
    assert "ca_path" in info.value.to_message()


def test_answer_that_is_not_json():
    fake = raising(then=ok_response(b"<html>proxy login</html>", "text/html"))
    with pytest.raises(TransportError) as info:
        asyncio.run(session_with(fake).request("GET", "https://graph.test/v1.0/users"))
    assert "not JSON" in info.value.to_message() and "proxy login" in info.value.to_message()


def test_error_answer_keeps_its_text():
    fake = raising(then=httpx.Response(502, content=b"Bad gateway", headers={"content-type": "text/plain"}))
    response = asyncio.run(session_with(fake).request("GET", "https://graph.test/v1.0/users"))
    assert response.status == 502 and response.body is None and response.text == "Bad gateway"


def test_json_body_is_sent_with_content_type():
    fake = raising(then=httpx.Response(204))
    asyncio.run(session_with(fake).request("PATCH", "https://graph.test/x", json_body={"a": 1}))
    assert fake.calls[0][2]["Content-Type"] == "application/json"


@pytest.mark.parametrize("graph", [True, False])
def test_the_pipeline_retries_throttled_requests_after_retry_after(graph):
    """Through the real msgraph-core / kiota middleware: a 429 then a 503 are retried, Retry-After honoured."""
    from kiota_http.middleware import retry_handler

    answers = [httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"code": "TooManyRequests"}}),
               httpx.Response(503, headers={"Retry-After": "2"}, json={"error": {"code": "serviceNotAvailable"}}),
               httpx.Response(200, json={"value": [1]})]
    seen, waits = [], []

    def handler(request):
        seen.append(request)
        return answers[len(seen) - 1]

    async def record(seconds):
        waits.append(seconds)

    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=graph,
                                   transport=httpx.MockTransport(handler))
    with mock.patch.object(retry_handler.asyncio, "sleep", record):
        response = asyncio.run(session.request("GET", "https://graph.test/v1.0/users"))
    assert response.status == 200 and response.body == {"value": [1]}
    assert len(seen) == 3
    assert waits == [7, 2]
    assert seen[-1].headers["Retry-Attempt"] == "2"


def test_a_read_lost_on_every_attempt_says_its_answer_was_lost():
    fake = raising(*[httpx.RemoteProtocolError("Server disconnected without sending a response.")] * 10)
    with pytest.raises(TransportError) as info:
        asyncio.run(session_with(fake).request("GET", "https://graph.test/v1.0/users"))
    assert info.value.answer_lost is True


def test_a_service_never_reached_is_not_a_lost_answer():
    fake = raising(*[httpx.ConnectError("[Errno 111] Connection refused")] * 10)
    with pytest.raises(TransportError) as info:
        asyncio.run(session_with(fake).request("GET", "https://graph.test/v1.0/users"))
    assert info.value.answer_lost is False


# --- the one Retry-After rule -------------------------------------------------------------------

def test_retry_after_in_seconds_is_waited_as_asked_up_to_the_cap():
    assert _http.retry_after_seconds({"Retry-After": "7"}, 1) == 7.0
    assert _http.retry_after_seconds({"retry-after": " 0 "}, 3) == 0.0
    assert _http.retry_after_seconds(httpx.Headers({"Retry-After": "2.5"}), 1) == 2.5
    assert _http.retry_after_seconds({"Retry-After": "86400"}, 1) == _http.RETRY_AFTER_CAP == 180.0


def test_retry_after_in_seconds_any_case_and_the_back_off_without_one():
    assert _http.retry_after_seconds({"retry-after": "3"}, 1) == 3.0
    assert _http.retry_after_seconds({"Retry-After": "0"}, 1) == 0.0
    backoff = _http.retry_after_seconds({}, 2)
    assert 2.0 <= backoff <= 2.5


def test_retry_after_as_an_http_date_is_read_too():
    soon = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc)
                                       + datetime.timedelta(seconds=40), usegmt=True)
    assert 38.0 <= _http.retry_after_seconds({"Retry-After": soon}, 1) <= 40.0
    assert _http.retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 1) == 0.0
    later = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc)
                                        + datetime.timedelta(days=1), usegmt=True)
    assert _http.retry_after_seconds({"Retry-After": later}, 1) == 180.0


@pytest.mark.parametrize("headers", [None, {}, {"Retry-After": "soon"}, {"Retry-After": "-3"}])
def test_without_a_usable_retry_after_the_back_off_grows_to_its_cap(headers):
    waits = [_http.retry_after_seconds(headers, attempt) for attempt in range(1, 9)]
    for wait, base in zip(waits, [1, 2, 4, 8, 16, 30, 30, 30]):
        assert base <= wait <= base + _http.BACKOFF_JITTER


def test_the_graph_pipeline_has_no_retry_handler_of_its_own():
    from kiota_http.middleware import RetryHandler

    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True)
    handler = session._client._transport.pipeline._first_middleware
    kinds = []
    while handler is not None:
        kinds.append(type(handler))
        handler = handler.next
    assert kinds and RetryHandler not in kinds
    asyncio.run(session.close())


@pytest.mark.parametrize("method, status", [("GET", 429), ("GET", 503), ("GET", 504), ("PATCH", 429), ("POST", 503)])
def test_a_request_refused_every_time_is_sent_max_sends_times_and_the_last_answer_returned(method, status):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(status, json={"error": {"code": "x", "message": "busy"}})
    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True,
                                   transport=httpx.MockTransport(handler))
    response = asyncio.run(session.request(method, "https://graph.test/v1.0/x",
                                           json_body=None if method == "GET" else {}))
    assert response.status == status and len(seen) == _http.MAX_SENDS == session.requests_sent
    assert seen[-1].headers["Retry-Attempt"] == str(_http.MAX_SENDS - 1)


def test_a_request_whose_caller_owns_the_retries_is_sent_once():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": {"code": "TooManyRequests"}})
    session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True,
                                   transport=httpx.MockTransport(handler))
    response = asyncio.run(session.request("POST", "https://graph.test/v1.0/$batch", json_body={}, safe=True,
                                           retry=False))
    assert response.status == 429 and len(seen) == 1


def test_a_lost_answer_is_not_tried_again_when_the_caller_owns_the_retries():
    fake = raising(httpx.ReadError("reset"), then=ok_response())
    with pytest.raises(TransportError) as info:
        asyncio.run(session_with(fake).request("POST", "https://graph.test/v1.0/$batch", json_body={}, safe=True,
                                               retry=False))
    assert info.value.answer_lost is True and len(fake.calls) == 1
    fake = raising(httpx.ConnectError("refused"), then=ok_response())
    response = asyncio.run(session_with(fake).request("POST", "https://graph.test/v1.0/$batch", json_body={},
                                                      safe=True, retry=False))
    assert response.status == 200 and len(fake.calls) == 2  # nothing was sent the first time
