# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Typed errors raised by the m365.admin clients.

Clients never call ``fail_json``: they raise one of these, and the module base class turns
it into a single clear message. Every error says what was being done (``operation``), to
what (``target``), and what the service answered (``service_message``).
"""

from __future__ import annotations

import copy


class M365Error(Exception):
    """Base class for every error the collection raises on purpose."""

    def __init__(self, message, operation=None, target=None, status=None, code=None,
                 service_message=None, request_id=None, hint=None):
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.target = target
        self.status = status
        self.code = code
        self.service_message = service_message
        self.request_id = request_id
        self.hint = hint

    def to_message(self):
        """One sentence (or a few) for ``fail_json(msg=...)``."""
        parts = []
        if self.operation:
            what = self.operation
            if self.target:
                what = "%s (%s)" % (what, self.target)
            parts.append("%s failed" % what)
        if self.message and self.message not in parts:
            parts.append(self.message)
        text = ": ".join(parts)
        if self.hint:
            text = "%s. %s" % (text.rstrip("."), self.hint)
        return text

    def amended(self, **fields):
        """A new error like this one with some fields replaced (a hint, the service's own words):
        an error that was raised is not changed afterwards."""
        error = copy.copy(self)
        for name, value in fields.items():
            if not hasattr(self, name):
                raise AttributeError("%s has no field %s" % (type(self).__name__, name))
            setattr(error, name, value)
        error.args = (error.message,)
        return error

    def to_result(self):
        """Structured details returned beside ``msg``."""
        details = {}
        for key in ("operation", "target", "status", "code", "service_message", "request_id"):
            value = getattr(self, key)
            if value is not None:
                details[key] = value
        return details


class ConfigurationError(M365Error):
    """Bad module input, found before anything is sent."""

    def __init__(self, message, option=None, **kwargs):
        super().__init__(message, **kwargs)
        self.option = option

    def to_message(self):
        return self.message


class AuthenticationError(M365Error):
    """The identity platform refused to issue a token, or a token was rejected (401)."""


class PermissionDeniedError(M365Error):
    """The token is valid but lacks a permission or role (403)."""


class NotFoundError(M365Error):
    """The object addressed does not exist (404, Exchange ManagementObjectNotFoundException)."""


class ThrottledError(M365Error):
    """Still throttled (429) after every retry the client was allowed."""


class ServiceError(M365Error):
    """Any other error answer from Graph or Exchange (4xx/5xx)."""


class TransportError(M365Error):
    """No usable HTTP answer: connection refused or dropped, TLS failure, timeout, not JSON.

    ``answer_lost``: the connection was made and the request sent, but its answer was lost
    (a batch sender may send the same reads again in a later round).
    """

    def __init__(self, message, answer_lost=False, **kwargs):
        super().__init__(message, **kwargs)
        self.answer_lost = answer_lost


class OutcomeUnknownError(TransportError):
    """A write was sent but its answer was lost: it may or may not have been applied."""


class PartialResultError(M365Error):
    """The task failed after doing part of its work: ``result`` is the full result (what was
    changed and what failed), returned beside the message."""

    def __init__(self, message, result, **kwargs):
        super().__init__(message, **kwargs)
        self.result = result
