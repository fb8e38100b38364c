# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    ConfigurationError,
    M365Error,
    PermissionDeniedError,
)


def test_message_says_what_to_what_and_the_answer():
    exc = M365Error("HTTP 404 Request_ResourceNotFound: no such user", operation="Read user",
                    target="bob@contoso.com", status=404)
    assert exc.to_message() == "Read user (bob@contoso.com) failed: HTTP 404 Request_ResourceNotFound: no such user"


def test_hint_is_appended():
    exc = PermissionDeniedError("HTTP 403", operation="List users", hint="Grant User.Read.All")
    assert exc.to_message() == "List users failed: HTTP 403. Grant User.Read.All"


def test_result_has_only_known_fields():
    exc = M365Error("x", operation="op", status=500, request_id="r1")
    assert exc.to_result() == {"operation": "op", "status": 500, "request_id": "r1"}


def test_configuration_error_is_the_plain_message():
    exc = ConfigurationError("tenant_id is required", option="tenant_id")
    assert exc.to_message() == "tenant_id is required"
    assert exc.option == "tenant_id"
