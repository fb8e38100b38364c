# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Microsoft Graph client: raw JSON with $select, paging, JSON batching, and name resolution.

Bulk modules need a handful of properties of thousands of objects, so this client works on
plain JSON rather than the SDK's typed models. Two pieces are written here rather than taken
from msgraph-core, on purpose:

* Batch envelopes. msgraph-core 1.5.2's BatchRequestContent writes ``depends_on`` instead of
  ``dependsOn`` and keeps the version segment in item URLs (``/beta/users/...`` inside a
  ``/beta/$batch``), which Graph resolves to the wrong path. An envelope is a few lines of
  documented JSON; items here always carry URLs relative to the version root.
* Per-item retry. A batch's items are retried by the round sender (``_rounds.py``), whatever
  refused them: the item (429 with its own Retry-After, 503, 504, 401, an answer missing) or
  the whole envelope (429, 503, 504, a lost answer to reads). Envelopes are sent with the
  HTTP pipeline's retries off, so no item is sent more than ITEM_MAX_ATTEMPTS times in all.
  Who retries what, and how often, is in docs/reliability.md.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from ansible_collections.m365.admin.plugins.module_utils._connection import is_guid
from ansible_collections.m365.admin.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    ThrottledError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._http import retry_after_seconds
from ansible_collections.m365.admin.plugins.module_utils._rounds import (
    ITEM_MAX_ATTEMPTS,
    RETRYABLE_ITEM_STATUS,
    EnvelopeRounds,
    Pressure,
)

BATCH_SIZE = 20
PAGE_SIZE = 999
# The header that, with $count=true, makes a directory query an advanced query.
ADVANCED_QUERY_HEADERS = {"ConsistencyLevel": "eventual"}
UPN_RE = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def graph_error_parts(body, text=""):
    """code, message and request id of a Graph error body (innerError or innererror)."""
    error = (body or {}).get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", (text or "").strip()[:300], None
    inner = error.get("innerError") or error.get("innererror") or {}
    return error.get("code") or "", error.get("message") or "", inner.get("request-id")


def raise_for_status(status, body, operation, target=None, permission=None, text="", request_id=None):
    """Raise the typed error for a Graph answer that is not a success."""
    if status < 400:
        return
    code, message, inner_request_id = graph_error_parts(body, text)
    request_id = request_id or inner_request_id
    described = "HTTP %d %s: %s" % (status, code, message) if code else "HTTP %d: %s" % (status, message)
    common = dict(operation=operation, target=target, status=status, code=code or None,
                  service_message=message or None, request_id=request_id)
    if status == 401:
        raise AuthenticationError("Microsoft Graph refused the access token (%s)" % described, **common)
    if status == 403:
        hint = None
        if permission:
            hint = ("The app needs the Microsoft Graph application permission %s, with admin consent granted"
                    % permission)
        raise PermissionDeniedError(described, hint=hint, **common)
    if status == 404:
        raise NotFoundError(described, **common)
    if status == 429:
        raise ThrottledError("still throttled after every retry (%s)" % described, **common)
    raise ServiceError(described, **common)


class BatchRequest(object):
    """One request inside a Graph $batch: method, URL relative to the version root, body."""

    __slots__ = ("method", "url", "body", "headers")

    def __init__(self, method, url, body=None, headers=None):
        if url.startswith("http://") or url.startswith("https://"):
            raise ValueError("batch item URLs are relative to the version root, got %s" % url)
        self.method = method.upper()
        self.url = url if url.startswith("/") else "/" + url
        self.body = body
        self.headers = headers


class BatchResult(object):
    """The answer to one batch item."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers or {}
        self.body = body

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def outcome_unknown(self):
        """The item was sent but its answer was lost (status 0)."""
        return self.status == 0

    def error_parts(self):
        return graph_error_parts(self.body)

    def describe(self):
        code, message, _request_id = self.error_parts()
        return "HTTP %d %s: %s" % (self.status, code, message) if code else "HTTP %d: %s" % (self.status, message)


class GraphClient(object):
    """Graph calls for one module run. Every method raises typed errors from _errors."""

    def __init__(self, session, graph_url, concurrency=4):
        self.session = session
        self.graph_url = graph_url.rstrip("/")
        self.concurrency = max(1, concurrency)
        self.batch_requests_sent = 0
        self._origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.graph_url)).lower()

    def url(self, path, version="v1.0"):
        return "%s/%s/%s" % (self.graph_url, version, path.lstrip("/"))

    async def request(self, method, path, version="v1.0", body=None, params=None, headers=None,
                      operation=None, target=None, permission=None, safe=None):
        """One call; returns the decoded JSON body (None for 204)."""
        url = path if path.startswith("https://") else self.url(path, version)
        if params:
            url = "%s%s%s" % (url, "&" if "?" in url else "?", encode_query(params))
        response = await self.session.request(method, url, json_body=body, headers=headers,
                                              operation=operation or "%s %s" % (method, path),
                                              target=target, safe=safe)
        raise_for_status(response.status, response.body, operation or "%s %s" % (method, path), target,
                         permission, response.text, response.request_id)
        return response.body

    async def get(self, path, **kwargs):
        return await self.request("GET", path, **kwargs)

    async def get_all(self, path, version="v1.0", params=None, headers=None, operation=None, target=None,
                      permission=None, max_items=None):
        """Every item of a collection, following @odata.nextLink verbatim."""
        items = []
        async for page in self.iter_pages(path, version, params, headers, operation, target, permission):
            items.extend(page)
            if max_items is not None and len(items) >= max_items:
                return items[:max_items]
        return items

    async def iter_pages(self, path, version="v1.0", params=None, headers=None, operation=None, target=None,
                         permission=None):
        params = dict(params or {})
        params.setdefault("$top", PAGE_SIZE)
        body = await self.get(path, version=version, params=params, headers=headers, operation=operation,
                              target=target, permission=permission)
        while True:
            yield (body or {}).get("value", [])
            next_link = (body or {}).get("@odata.nextLink")
            if not next_link:
                return
            self._check_same_origin(next_link)
            # Headers (ConsistencyLevel) are not carried by the link: send them again.
            body = await self.get(next_link, headers=headers, operation=operation, target=target,
                                  permission=permission)

    def _check_same_origin(self, link):
        parts = urlsplit(link)
        if "{0.scheme}://{0.netloc}".format(parts).lower() != self._origin:
            raise TransportError("Graph returned a next link to another host (%s); the token is not sent there"
                                 % parts.netloc)

    async def batch(self, requests, version="v1.0", operation="Graph batch", idempotent=None):
        """Send requests through $batch, 20 per envelope, several envelopes in flight.

        Returns one BatchResult per request, in order. Items answered 429/503/504, or in an
        envelope answered so, are sent again after the Retry-After (or a back-off), up to
        ITEM_MAX_ATTEMPTS sends in all; what still fails is returned as it was answered, for
        the caller to report per item.
        """
        if idempotent is None:
            idempotent = all(r.method == "GET" for r in requests)
        rounds = EnvelopeRounds(len(requests), BATCH_SIZE, self.concurrency, pressure=Pressure())
        results, attempts = rounds.results, rounds.attempts
        batch_url = self.url("$batch", version)

        async def post(envelope):
            self.batch_requests_sent += 1
            return await self.session.request("POST", batch_url, json_body=envelope, operation=operation,
                                              safe=idempotent, retry=False)

        async def send(indices):
            envelope = {"requests": []}
            for position, index in enumerate(indices):
                request = requests[index]
                item = {"id": str(position + 1), "method": request.method, "url": request.url}
                headers = dict(request.headers or {})
                if request.body is not None:
                    headers.setdefault("Content-Type", "application/json")
                    item["body"] = request.body
                if headers:
                    item["headers"] = headers
                envelope["requests"].append(item)
            response, again = await rounds.post(
                indices, lambda: post(envelope),
                lost_write=lambda exc: BatchResult(0, {}, {"error": {"code": "outcomeUnknown", "message": exc.message}}),
                refused=lambda refusal: BatchResult(refusal.status, dict(refusal.headers or {}), refusal.body))
            if response is None:
                return again
            raise_for_status(response.status, response.body, operation, text=response.text,
                             request_id=response.request_id)
            answered = {}
            for item in (response.body or {}).get("responses") or []:
                answered[str(item.get("id"))] = item
            retry = []
            if any(int(item.get("status") or 0) == 401 for item in answered.values()):
                await self.session.token_refused(response)
            for position, index in enumerate(indices):
                item = answered.get(str(position + 1))
                attempts[index] += 1
                if item is None:
                    results[index] = BatchResult(502, {}, {"error": {"code": "missingBatchItem",
                                                                     "message": "the batch answer had no item"}})
                    if attempts[index] < ITEM_MAX_ATTEMPTS:
                        retry.append((index, retry_after_seconds({}, attempts[index]), False))
                    continue
                result = BatchResult(int(item.get("status") or 0), item.get("headers"), item.get("body"))
                results[index] = result
                rounds.pressure.note(result.headers)
                if result.status == 401 and attempts[index] < ITEM_MAX_ATTEMPTS:
                    # The token expired while the batch ran (the envelope was accepted with it).
                    retry.append((index, 0.0, False))
                elif result.status in RETRYABLE_ITEM_STATUS and attempts[index] < ITEM_MAX_ATTEMPTS:
                    retry.append((index, retry_after_seconds(result.headers, attempts[index]), result.status == 429))
            return retry

        return await rounds.run(send)

    async def resolve_users(self, identifiers, select, operation="Resolve users"):
        """Look users up by UPN or object id. Returns ({identifier: user}, [missing identifiers])."""
        for identifier in identifiers:
            if not (is_guid(identifier) or UPN_RE.match(identifier)):
                raise ConfigurationError(
                    "%r is neither a user principal name (name@domain) nor an object id (GUID)" % identifier)
        unique = list(dict.fromkeys(identifiers))
        query = encode_query({"$select": ",".join(select)})
        requests = [BatchRequest("GET", "/users/%s?%s" % (quote_key(identifier), query)) for identifier in unique]
        found, missing = {}, []
        for identifier, result in zip(unique, await self.batch(requests, operation=operation)):
            if result.ok:
                found[identifier] = result.body
            elif result.status == 404:
                missing.append(identifier)
            else:
                raise_for_status(result.status, result.body, operation, target=identifier,
                                 permission="User.Read.All")
        return found, missing

    async def resolve_groups(self, identifiers, operation="Resolve groups"):
        """Look groups up by object id or display name. Returns ({identifier: group}, [missing])."""
        unique = list(dict.fromkeys(identifiers))
        requests = []
        for identifier in unique:
            if is_guid(identifier):
                requests.append(BatchRequest("GET", "/groups/%s?$select=id,displayName" % identifier))
            else:
                query = encode_query({"$filter": "displayName eq %s" % odata_string(identifier),
                                      "$select": "id,displayName"})
                requests.append(BatchRequest("GET", "/groups?%s" % query))
        found, missing = {}, []
        for identifier, result in zip(unique, await self.batch(requests, operation=operation)):
            if result.status == 404:
                missing.append(identifier)
                continue
            if not result.ok:
                raise_for_status(result.status, result.body, operation, target=identifier,
                                 permission="GroupMember.Read.All")
            if "value" not in (result.body or {}):
                found[identifier] = result.body
                continue
            matches = result.body["value"]
            if not matches:
                missing.append(identifier)
            elif len(matches) > 1:
                raise ConfigurationError(
                    "more than one group is named %r (ids %s): name the group by its id instead"
                    % (identifier, ", ".join(sorted(g["id"] for g in matches))))
            else:
                found[identifier] = matches[0]
        return found, missing

    async def transitive_user_members(self, group_id, select, operation="List group members"):
        """Every user in the group, through nested groups.

        The OData cast of ``transitiveMembers`` is an advanced query: Graph answers it only
        with ``ConsistencyLevel: eventual`` and ``$count=true``, and refuses it otherwise
        (400 ``Request_UnsupportedQuery``). The header is sent again with every next link.
        Advanced queries read an index that can lag recent membership changes by a little.
        """
        return await self.get_all(
            "/groups/%s/transitiveMembers/microsoft.graph.user" % group_id,
            params={"$count": "true", "$select": ",".join(select)}, headers=dict(ADVANCED_QUERY_HEADERS),
            operation=operation, target=group_id, permission="GroupMember.Read.All")


def quote_key(identifier):
    """A user id or UPN as a path segment (#EXT# guests and other reserved characters encoded)."""
    return quote(identifier, safe="@")


def odata_string(value):
    """An OData string literal: single quotes doubled."""
    return "'%s'" % value.replace("'", "''")


def encode_query(params):
    """Query string with OData's $-names kept readable and values percent-encoded."""
    parts = []
    for key, value in params.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append("%s=%s" % (key, quote(str(value), safe="$,()'=/:@")))
    return "&".join(parts)
