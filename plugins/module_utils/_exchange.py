# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Exchange Online admin REST client: cmdlets through ``adminapi/beta/{tenant}/InvokeCommand``.

This is the endpoint the ExchangeOnlineManagement v3 module itself uses. Microsoft does not
document its wire format; what is implemented follows the public clients that use it (body
``{"CmdletInput": {"CmdletName", "Parameters"}}``, paging by POSTing the same body to
``@odata.nextLink``, warnings in ``@adminapi.warnings``, errors whose
``details[].message`` is ``<id>|<exception type>|<text>``, $batch of 10 with absolute URLs).

An app whose Exchange role does not allow a cmdlet is refused with HTTP 401 and a body such as
``{"error": {"code": "Unauthorized", "message": "User is not allowed to call Get-Mailbox"}}``,
although its token is good: ``permission_refusal`` tells that answer from an expired token, so
that it becomes one PermissionDeniedError naming the cmdlet and the role to assign, with no new
token and no retry.
"""

from __future__ import annotations

import asyncio
import json
import re

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    ThrottledError,
)
from ansible_collections.m365.admin.plugins.module_utils._http import retry_after_seconds
from ansible_collections.m365.admin.plugins.module_utils._rounds import ITEM_MAX_ATTEMPTS, EnvelopeRounds

BATCH_SIZE = 10
PAGE_SIZE = 1000
TRANSIENT_EXCEPTIONS = frozenset(["ADTransientException", "TransientException", "DataSourceTransientException",
                                  "ServerBusyException", "ConnectionFailedTransientException"])
RETRYABLE_STATUS = frozenset([429, 503, 504])
# Sends of one cmdlet that failed with a transient cmdlet error (HTTP 500 ADTransientException and
# the like). Throttling and 503/504 of a single call are the HTTP pipeline's to retry, and every
# failure of a $batch item the round sender's, ITEM_MAX_ATTEMPTS sends for every reason together
# (docs/reliability.md).
MAX_ATTEMPTS = 6
# The system mailbox the module anchors organization-level app-only calls to.
SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
PERMISSION_HINT = ("The app needs the Office 365 Exchange Online application permission Exchange.ManageAsApp "
                   "(admin consent granted) and an Exchange role assigned to its service principal, "
                   "such as Exchange Administrator (Global Reader only allows Get- cmdlets)")
# Microsoft documents neither the status nor the text of a refused role. Exchange Online answers
# 401 "User is not allowed to call <cmdlet>"; Exchange's RBAC has also been seen answering 403
# CmdletAccessDeniedException "... isn't assigned to any management roles that allow running the
# cmdlet <cmdlet>". Both are read as the same refusal, at either status.
REFUSAL_RE = re.compile(r"(?:not allowed to call|allow running the cmdlet)\s+[\"']?([A-Za-z]+-[A-Za-z0-9]+)",
                        re.IGNORECASE)
REFUSAL_STATUS = frozenset([401, 403])
# Cmdlets that Exchange Recipient Administrator may run (recipient settings); the others that
# change anything need Exchange Administrator.
RECIPIENT_WRITE_CMDLETS = frozenset(["set-casmailbox", "set-mailbox"])


def refused_cmdlet(status, body):
    """The cmdlet an answer says the app's Exchange role does not allow, or None."""
    if status not in REFUSAL_STATUS or not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    texts = [error.get("message")]
    texts.extend((detail or {}).get("message") for detail in error.get("details") or [] if isinstance(detail, dict))
    inner = error.get("innererror") or error.get("innerError") or {}
    if isinstance(inner, dict):
        internal = inner.get("internalexception") or inner.get("internalException") or {}
        texts.extend([inner.get("message"), internal.get("message") if isinstance(internal, dict) else None])
    for text in texts:
        match = REFUSAL_RE.search(text) if isinstance(text, str) else None
        if match:
            return match.group(1)
    return None


def permission_refusal(status, text):
    """For the HTTP session: whether a 401 refuses the app's role rather than its token (a new
    token would be refused the same way, so none is asked for)."""
    try:
        body = json.loads(text or "")
    except ValueError:
        return False
    return refused_cmdlet(status, body) is not None


def role_hint(cmdlet):
    """Which role to assign so that the app may run ``cmdlet`` (docs/getting-started.md, section 5)."""
    if cmdlet.lower().startswith("get-"):
        roles = ("the Microsoft Entra role Global Reader, or the Exchange role group View-Only Organization "
                 "Management (Exchange Administrator allows it too)")
    elif cmdlet.lower() in RECIPIENT_WRITE_CMDLETS:
        roles = "Exchange Recipient Administrator or Exchange Administrator"
    else:
        roles = "Exchange Administrator"
    return ("The app needs an Exchange role assigned to its service principal that allows %s, such as %s; "
            "a new assignment can take some minutes to reach Exchange Online" % (cmdlet, roles))


class CmdletError(object):
    """An Exchange error answer, split into its parts."""

    __slots__ = ("status", "code", "exception", "text", "error_id", "_refused")

    def __init__(self, status, code, exception, text, error_id, refused=None):
        self.status = status
        self.code = code
        self.exception = exception
        self.text = text
        self.error_id = error_id
        self._refused = refused

    @classmethod
    def from_body(cls, status, body, raw_text=""):
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(status, "", "", (raw_text or "").strip()[:300] or "HTTP %d" % status, None)
        exception, text, error_id = "", "", None
        for detail in error.get("details") or []:
            message = (detail or {}).get("message") or ""
            if message:
                parts = message.split("|", 2)
                if len(parts) == 3:
                    error_id, exception, text = parts
                else:
                    text = message
                break
        if not text:
            inner = error.get("innererror") or error.get("innerError") or {}
            internal = inner.get("internalexception") or inner.get("internalException") or {}
            text = internal.get("message") or error.get("message") or ""
            exception = exception or internal.get("type") or ""
        return cls(status, error.get("code") or "", exception.rsplit(".", 1)[-1], text, error_id,
                   refused=refused_cmdlet(status, body))

    @property
    def refused(self):
        """The cmdlet the app's Exchange role does not allow (a 401 or 403 that says so), or None."""
        if self._refused is None and self.status in REFUSAL_STATUS:
            match = REFUSAL_RE.search(self.text or "")
            return match.group(1) if match else None
        return self._refused

    @property
    def transient(self):
        return self.status in RETRYABLE_STATUS or (self.status >= 500 and self.exception in TRANSIENT_EXCEPTIONS)

    def may_send_again(self, safe):
        """Whether the command may be sent again, on either transport: a throttled answer (the
        cmdlet did not run) always; another transient failure only when ``safe`` (a Get- cmdlet,
        or a write of absolute values), because the cmdlet may have run."""
        return self.transient and (safe or self.status in RETRYABLE_STATUS)

    def cmdlet_transient(self, safe):
        """Whether a single REST call may be sent again by the Exchange client itself: a transient
        cmdlet error only. A 429, 503 or 504 reaches it after the HTTP pipeline has already sent the
        call as often as it may (or, for a write answered 504, as an unknown outcome)."""
        return self.status not in RETRYABLE_STATUS and self.may_send_again(safe)

    def describe(self):
        if self.exception:
            return "%s: %s" % (self.exception, self.text)
        return self.text

    def raise_error(self, cmdlet, target=None):
        common = dict(operation=cmdlet, target=target, status=self.status, code=self.exception or self.code or None,
                      service_message=self.text or None)
        if self.refused:
            raise PermissionDeniedError("Exchange Online does not allow the app to run %s (%s)"
                                        % (self.refused, self.describe()), hint=role_hint(self.refused), **common)
        if self.status == 401:
            raise AuthenticationError("Exchange Online refused the access token (%s)" % self.describe(), **common)
        if self.status == 403 or self.exception in ("UnauthorizedAccessException", "AccessDeniedException"):
            raise PermissionDeniedError(self.describe(), hint=PERMISSION_HINT, **common)
        if self.exception == "ManagementObjectNotFoundException" or self.status == 404:
            raise NotFoundError(self.describe(), **common)
        if self.status == 429:
            raise ThrottledError("still throttled after every retry (%s)" % self.describe(), **common)
        raise ServiceError(self.describe(), **common)


NO_OP_WARNING = "completed successfully but no settings of"


class CmdletResult(object):
    """Output of one cmdlet run: its objects and warnings, or its error."""

    __slots__ = ("values", "warnings", "error")

    def __init__(self, values=None, warnings=None, error=None):
        self.values = values or []
        self.warnings = warnings or []
        self.error = error

    @property
    def ok(self):
        return self.error is None

    @property
    def no_op(self):
        """A Set- cmdlet's warning that every value already matched (nothing was modified)."""
        return any(NO_OP_WARNING in (warning or "") for warning in self.warnings)


class ExchangeClient(object):
    """Cmdlets over the admin REST endpoint for one module run."""

    def __init__(self, session, exchange_url, tenant, concurrency=4):
        self.session = session
        self.tenant = tenant
        self.root = "%s/adminapi/beta/%s" % (exchange_url.rstrip("/"), tenant)
        self.invoke_url = self.root + "/InvokeCommand"
        self.batch_url = self.root + "/$batch"
        self.concurrency = max(1, concurrency)
        self.batch_requests_sent = 0

    def _headers(self, parameters):
        identity = (parameters or {}).get("Identity")
        if isinstance(identity, str) and "@" in identity:
            anchor = "UPN:%s" % identity
        else:
            anchor = "APP:%s@%s" % (SYSTEM_MAILBOX, self.tenant)
        return {"Prefer": "odata.maxpagesize=%d" % PAGE_SIZE, "X-AnchorMailbox": anchor, "X-ResponseFormat": "json"}

    @staticmethod
    def body(cmdlet, parameters=None):
        return {"CmdletInput": {"CmdletName": cmdlet, "Parameters": dict(parameters or {})}}

    async def invoke(self, cmdlet, parameters=None, select=None, target=None, safe=None):
        """Run one cmdlet, following every page. Raises the typed error of a failure."""
        result = await self._invoke(cmdlet, parameters, select, safe)
        if result.error is not None:
            result.error.raise_error(cmdlet, target or (parameters or {}).get("Identity"))
        return result

    async def _invoke(self, cmdlet, parameters, select, safe, url=None):
        if safe is None:
            safe = cmdlet.startswith("Get-")
        body = self.body(cmdlet, parameters)
        headers = self._headers(parameters)
        if url is None:
            url = self.invoke_url
            if select:
                url += "?$select=" + ",".join(select)
        values, warnings = [], []
        attempt = 0
        while url:
            response = await self.session.request("POST", url, json_body=body, headers=headers,
                                                  operation=cmdlet, target=(parameters or {}).get("Identity"),
                                                  safe=safe)
            if response.status >= 400:
                error = CmdletError.from_body(response.status, response.body, response.text)
                attempt += 1
                if error.cmdlet_transient(safe) and attempt < MAX_ATTEMPTS:
                    await asyncio.sleep(retry_after_seconds(response.headers, attempt))
                    continue
                return CmdletResult(values, warnings, error)
            page = response.body or {}
            values.extend(page.get("value") or [])
            warnings.extend(page.get("@adminapi.warnings") or [])
            # Paging: POST the same body again to the next link.
            url = page.get("@odata.nextLink")
            attempt = 0
        return CmdletResult(values, warnings)

    async def invoke_many(self, commands, operation="Exchange batch", idempotent=False):
        """Run (cmdlet, parameters) pairs through $batch, 10 per envelope, several in flight.

        ``idempotent``: the commands set absolute values, so an item answered with a transient
        error may be sent again (Get- cmdlets always may). An envelope of writes whose answer
        was lost is never sent again: its commands are returned with an error of status 0
        (outcome unknown), for the caller to verify by reading back.

        Returns one CmdletResult per command, in order; failures are returned, not raised,
        except when the whole envelope is refused, or when Exchange refuses a cmdlet to the app's
        role: then no command of that cmdlet is sent again or any further, and one
        PermissionDeniedError names the cmdlet and the role to assign. Items answered with a
        transient error, or 424 (not run because an earlier item failed), are sent again after
        their Retry-After or a back-off; a page link inside an item answer is followed with
        single calls.
        """
        rounds = EnvelopeRounds(len(commands), BATCH_SIZE, self.concurrency, jitter=0.2)
        results, attempts = rounds.results, rounds.attempts
        follow_ups = []
        refused = {}  # lower-case cmdlet name -> the CmdletError that refused it

        async def post(envelope, reads):
            self.batch_requests_sent += 1
            # Without continue-on-error an OData batch stops at its first failed item, and one
            # throttled or missing mailbox would leave the rest of the envelope unrun.
            return await self.session.request("POST", self.batch_url, json_body=envelope,
                                              headers={"Prefer": "odata.continue-on-error"},
                                              operation=operation, safe=reads, retry=False)

        async def send(indices):
            indices = [index for index in indices if commands[index][0].lower() not in refused]
            if not indices:
                return []
            envelope = {"requests": []}
            for position, index in enumerate(indices):
                cmdlet, parameters = commands[index]
                headers = self._headers(parameters)
                headers["Content-Type"] = "application/json"
                envelope["requests"].append({"id": str(position + 1), "method": "POST", "url": self.invoke_url,
                                             "headers": headers, "body": self.body(cmdlet, parameters)})
            reads = all(commands[i][0].startswith("Get-") for i in indices)
            safe = idempotent or reads
            response, again = await rounds.post(
                indices, lambda: post(envelope, reads),
                lost_write=lambda exc: CmdletResult(error=CmdletError(0, "outcomeUnknown", "", exc.message, None)),
                refused=lambda refusal: CmdletResult(error=CmdletError.from_body(refusal.status, refusal.body,
                                                                                 refusal.text)))
            if response is None:
                return again
            if response.status >= 400:
                CmdletError.from_body(response.status, response.body, response.text).raise_error(operation)
            answered = {str(item.get("id")): item for item in (response.body or {}).get("responses") or []}
            retry = []
            if any(int(item.get("status") or 0) == 401 and not refused_cmdlet(401, item.get("body"))
                   for item in answered.values()):
                # The token expired while the batch ran: a new one for the items sent again.
                await self.session.token_refused(response)
            for position, index in enumerate(indices):
                item = answered.get(str(position + 1))
                attempts[index] += 1
                status = int((item or {}).get("status") or 502)
                body = (item or {}).get("body") or {}
                if status >= 400 or item is None:
                    error = CmdletError.from_body(status, body)
                    results[index] = CmdletResult(error=error)
                    if error.refused:
                        refused.setdefault(commands[index][0].lower(), error)
                        continue
                    # 424: an earlier item failed and this one was not run (a batch sent without
                    # continue-on-error), so even a write may be sent again.
                    retryable = status in (401, 424) or error.may_send_again(safe)
                    if (retryable or item is None) and attempts[index] < ITEM_MAX_ATTEMPTS:
                        retry.append((index, retry_after_seconds((item or {}).get("headers"), attempts[index]),
                                      status == 429))
                    continue
                results[index] = CmdletResult(body.get("value"), body.get("@adminapi.warnings"))
                if body.get("@odata.nextLink"):
                    follow_ups.append((index, body["@odata.nextLink"]))
            return retry

        await rounds.run(send)
        for error in refused.values():
            error.raise_error(operation)

        for index, next_link in follow_ups:
            cmdlet, parameters = commands[index]
            rest = await self._invoke(cmdlet, parameters, None, True, url=next_link)
            results[index].values.extend(rest.values)
            results[index].warnings.extend(rest.warnings)
            if rest.error is not None:
                results[index].error = rest.error
        return results
