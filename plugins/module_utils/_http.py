# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""HTTP for Graph and Exchange: one httpx client per service and module run.

The request pipeline is kiota's (msgraph-core's for Graph) without its RetryHandler: the
RedirectHandler follows redirects, the telemetry handler tags Graph requests. On top of it
this file adds bearer tokens per scope (refreshed on a 401), TLS trust that an extra CA can
extend but never disable, typed errors for answers that are not usable, and the retries of
one request: ``ServiceSession.request`` sends a request again when the service said it did not
process it (429, 503; 504 too when the request is safe to repeat) and when its answer was lost
(safe requests only). Each kind of retry has one owner and one bound in the whole collection;
the table is in docs/reliability.md. ``retry_after_seconds`` is the one Retry-After rule that
every layer uses.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import json
import os
import random
import re
import ssl
import tempfile
import traceback
import uuid

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    OutcomeUnknownError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._version import USER_AGENT

HTTP_IMPORT_ERROR = None
try:
    import certifi
    import httpx
    from kiota_http.kiota_client_factory import KiotaClientFactory
    from kiota_http.middleware import RetryHandler
    from kiota_http.middleware.middleware import REQUEST_OPTIONS_KEY
    from msgraph_core import GraphClientFactory
    from msgraph_core.middleware import GraphTelemetryHandler
except ImportError:
    HTTP_IMPORT_ERROR = traceback.format_exc()

    class _AuthBase(object):
        pass
else:
    _AuthBase = httpx.Auth


# Retry bounds, one per kind (docs/reliability.md):
# A request, or a batch item, is sent at most this many times in all while the service answers
# that it did not process it (429, 503; 504 for what is safe to repeat). Requests: this file;
# batch items: the round sender of the client that batches them.
MAX_SENDS = 8
# A request refused with 401 is sent again with a new token at most this often.
BEARER_REFRESHES = 2
# A connection that failed (never made, or the answer lost for a safe request) is tried again
# this often.
TRANSPORT_RETRIES = 3
# Waits: Retry-After as asked, never more than RETRY_AFTER_CAP seconds; without one, an
# exponential back-off from BACKOFF_BASE seconds, at most BACKOFF_CAP, plus up to BACKOFF_JITTER.
RETRY_AFTER_CAP = 180.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
BACKOFF_JITTER = 0.5

SAFE_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
# Answers that say the service did not act on the request, so that even a write may be sent
# again. A 504 (gateway timeout) says nothing of the kind: for a write its outcome is unknown.
NOT_PROCESSED_STATUS = frozenset([429, 503])
# What a request that is safe to repeat is sent again for.
RETRYABLE_STATUS = frozenset([429, 503, 504])
_DELAY_SECONDS_RE = re.compile(r"^\d+(\.\d+)?$")


def retry_after_seconds(headers, attempt):
    """Seconds to wait before sending again, after the ``attempt``-th refused send (1, 2, ...).

    The one Retry-After rule of the collection. RFC 9110 allows a number of seconds (what
    Graph and Exchange send) or an HTTP date; both are read, a date in the past is no wait,
    and no wait is longer than RETRY_AFTER_CAP. Without a usable Retry-After (Conditional
    Access throttling sends none): exponential back-off with jitter.
    """
    for name, value in (headers or {}).items():
        if str(name).lower() != "retry-after":
            continue
        seconds = _parse_retry_after(str(value).strip())
        if seconds is not None:
            return min(max(0.0, seconds), RETRY_AFTER_CAP)
        break
    return min(BACKOFF_BASE * 2 ** (max(1, attempt) - 1), BACKOFF_CAP) + random.random() * BACKOFF_JITTER


def _parse_retry_after(value):
    if _DELAY_SECONDS_RE.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def build_ssl_context(ca_path=None):
    """The trust used for every request: Mozilla's roots (certifi), plus ca_path if given.

    Validation of the certificate and host name stays on in every case.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_path:
        try:
            context.load_verify_locations(cafile=ca_path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ConfigurationError("ca_path %s is not a readable PEM bundle of CA certificates: %s"
                                     % (ca_path, exc), option="ca_path")
    return context


class CABundle(object):
    """A PEM file with certifi's roots plus ca_path, for azure-identity's requests transport."""

    def __init__(self, ca_path):
        self.path = None
        if not ca_path:
            return
        with open(certifi.where(), "rb") as handle:
            roots = handle.read()
        with open(ca_path, "rb") as handle:
            extra = handle.read()
        fd, self.path = tempfile.mkstemp(prefix="m365-ca-", suffix=".pem")
        with os.fdopen(fd, "wb") as handle:
            handle.write(roots + b"\n" + extra + b"\n")

    def cleanup(self):
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)
        self.path = None


class BearerAuth(_AuthBase):
    """Puts a token for one scope on each request; on a 401, gets a new token and retries (twice at most).

    ``permission_refusal(status, text)``, when given, recognises a 401 that refuses the caller's
    permissions rather than its token (Exchange answers a missing role with 401): no new token
    is asked for such an answer, since a new one would be refused the same way.
    """

    def __init__(self, tokens, scope, permission_refusal=None):
        self._tokens = tokens
        self._scope = scope
        self._permission_refusal = permission_refusal

    async def async_auth_flow(self, request):
        token = await self._tokens.get(self._scope)
        request.headers["Authorization"] = "Bearer " + token
        response = yield request
        # A token can expire while the request travels; the one the cache hands out next may be
        # another that is about to expire too, so a second refusal gets one more new token.
        for _refresh in range(BEARER_REFRESHES):
            if response.status_code != 401:
                return
            await response.aread()
            if self._permission_refusal is not None and self._permission_refusal(response.status_code, response.text):
                return
            token = await self._tokens.get(self._scope, reject=token)
            request.headers["Authorization"] = "Bearer " + token
            response = yield request


class Response(object):
    """What the clients need of an HTTP answer."""

    __slots__ = ("status", "headers", "body", "text", "request_id", "url", "bearer")

    def __init__(self, status, headers, body, text, request_id, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = text
        self.request_id = request_id
        self.url = url


class ServiceSession(object):
    """Requests to one service (Graph or Exchange) with one token scope."""

    def __init__(self, service_name, tokens, scope, ssl_context, timeout, graph=False, max_connections=16,
                 transport=None, permission_refusal=None):
        self.service_name = service_name
        self.requests_sent = 0
        self._tokens = tokens
        self._scope = scope
        client = httpx.AsyncClient(
            transport=transport,
            verify=ssl_context,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": USER_AGENT},
            auth=BearerAuth(tokens, scope, permission_refusal),
            follow_redirects=False,
        )
        # kiota's default handlers without its RetryHandler: retries are this class's (one
        # Retry-After rule, one bound, and never a repeated write whose outcome is unknown).
        middleware = [handler for handler in KiotaClientFactory.get_default_middleware(None)
                      if not isinstance(handler, RetryHandler)]
        if graph:
            # Graph's chain adds its telemetry handler. The clients send absolute URLs (v1.0
            # and beta through one client), so the client's base_url is never used.
            middleware.append(GraphTelemetryHandler())
            self._client = GraphClientFactory.create_with_custom_middleware(middleware, client=client)
        else:
            self._client = KiotaClientFactory.create_with_custom_middleware(middleware, client=client)

    async def close(self):
        await self._client.aclose()

    async def request(self, method, url, json_body=None, headers=None, operation=None, target=None, safe=None,
                      retry=True):
        """Send one request and return a Response with the JSON body decoded (None when empty).

        ``safe``: whether the request may be sent again when its answer is lost or it was
        answered 504 (default: the method is GET/HEAD/OPTIONS). A lost answer to an unsafe
        request raises OutcomeUnknownError, and so does a 504.

        Retries owned here (docs/reliability.md): an answer that says the request was not
        processed (429, 503; 504 when safe) is waited for as retry_after_seconds says and the
        request sent again, MAX_SENDS sends in all; the last answer is returned. A failed
        connection is tried again TRANSPORT_RETRIES times when nothing was sent or the request
        is safe. ``retry=False`` leaves the status retries and lost answers to the caller (a
        batch's round sender, which retries the items): the request is then sent once, and a
        lost answer raises TransportError with ``answer_lost``.
        """
        if safe is None:
            safe = method in SAFE_METHODS
        request_headers = {"client-request-id": str(uuid.uuid4()), "Accept": "application/json"}
        if headers:
            request_headers.update(headers)
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode("utf-8")
            request_headers["Content-Type"] = "application/json"
        sent_again_for = RETRYABLE_STATUS if safe else NOT_PROCESSED_STATUS
        refused = 0
        failed = 0
        while True:
            try:
                self.requests_sent += 1
                # msgraph-core's transport runs its middleware (redirect, telemetry) only for
                # requests that carry kiota request options; an empty set means the defaults.
                raw = await self._client.request(method, url, content=content, headers=request_headers,
                                                 extensions={REQUEST_OPTIONS_KEY: {}})
            except httpx.HTTPError as exc:
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                if _is_tls_failure(exc):
                    raise TransportError(
                        "the TLS certificate of %s is not trusted (%s); if it is issued by a private CA, "
                        "add that CA with ca_path" % (_origin(url), _exc_text(exc)),
                        operation=operation, target=target)
                failed += 1
                if failed <= TRANSPORT_RETRIES and (never_sent or (safe and retry)):
                    await asyncio.sleep(min(0.5 * 2 ** (failed - 1), 4.0))
                    continue
                if not never_sent and not safe:
                    raise OutcomeUnknownError(
                        "the connection to %s failed after the request was sent (%s); it may or may not "
                        "have been applied" % (_origin(url), _exc_text(exc)),
                        operation=operation, target=target)
                # The connection was made and the answer lost: a batch client may send the same
                # reads again in a later round.
                raise TransportError(
                    "could not reach %s at %s after %d attempts: %s"
                    % (self.service_name, _origin(url), failed, _exc_text(exc)),
                    answer_lost=not never_sent, operation=operation, target=target)
            if retry and raw.status_code in sent_again_for and refused + 1 < MAX_SENDS:
                refused += 1
                await raw.aread()
                await asyncio.sleep(retry_after_seconds(raw.headers, refused))
                request_headers["Retry-Attempt"] = str(refused)
                continue
            if not safe and raw.status_code == 504:
                raise OutcomeUnknownError(
                    "%s answered HTTP 504 (gateway timeout) after the request was sent; it may or may not "
                    "have been applied" % self.service_name, operation=operation, target=target, status=504)
            break
        text = raw.text
        body = None
        if text.strip():
            content_type = raw.headers.get("content-type", "")
            if "json" in content_type or text.lstrip()[:1] in ("{", "["):
                try:
                    body = json.loads(text)
                except ValueError:
                    body = None
            if body is None and raw.status_code < 400 and "text/plain" not in content_type:
                raise TransportError(
                    "%s answered HTTP %d with a body that is not JSON (%s): %s"
                    % (self.service_name, raw.status_code, content_type or "no content type", text[:200]),
                    operation=operation, target=target, status=raw.status_code)
        request_id = raw.headers.get("request-id") or raw.headers.get("x-ms-request-id")
        response = Response(raw.status_code, raw.headers, body, text, request_id, url)
        try:
            response.bearer = raw.request.headers.get("Authorization", "")[len("Bearer "):]
        except RuntimeError:  # a response built without a request (test doubles)
            response.bearer = ""
        return response

    async def token_refused(self, response):
        """Items of a batch were answered 401 although the envelope was accepted (the token
        expired while the batch ran): get a new token before those items are sent again."""
        await self._tokens.get(self._scope, reject=response.bearer)


def _origin(url):
    parts = url.split("/", 3)
    return "/".join(parts[:3]) if len(parts) >= 3 else url


def _exc_text(exc):
    text = str(exc) or exc.__class__.__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = "%s (%s)" % (text, cause)
    return text


def _is_tls_failure(exc):
    text = _exc_text(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text
