# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)
from ansible_collections.m365.admin.plugins.module_utils import _http
from ansible_collections.m365.admin.plugins.module_utils._exchange import (
    CmdletError,
    ExchangeClient,
    permission_refusal,
    refused_cmdlet,
)
from ansible_collections.m365.admin.tests.unit.m365_helpers import ScriptedSession, exchange_error

EXO = "https://outlook.test"
TENANT = "5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"
INVOKE = EXO + "/adminapi/beta/" + TENANT + "/InvokeCommand"
BATCH = EXO + "/adminapi/beta/" + TENANT + "/$batch"


pytestmark = pytest.mark.usefixtures("no_sleep")


def run(coro):
    return asyncio.run(coro)


def test_invoke_posts_cmdletinput_with_routing_headers():
    session = ScriptedSession(lambda m, u, b, h: (200, {"value": [{"Identity": "Alice"}]}))
    result = run(ExchangeClient(session, EXO, TENANT).invoke("Get-CASMailbox", {"Identity": "alice@contoso.com"}))
    assert result.values == [{"Identity": "Alice"}]
    call = session.calls[0]
    assert call["method"] == "POST" and call["url"] == INVOKE
    assert call["body"] == {"CmdletInput": {"CmdletName": "Get-CASMailbox",
                                            "Parameters": {"Identity": "alice@contoso.com"}}}
    assert call["headers"]["X-AnchorMailbox"] == "UPN:alice@contoso.com"
    assert call["headers"]["Prefer"] == "odata.maxpagesize=1000"
    assert call["safe"] is True


def test_org_level_cmdlets_anchor_to_the_system_mailbox():
    session = ScriptedSession(lambda m, u, b, h: (200, {"value": [{}]}))
    run(ExchangeClient(session, EXO, TENANT).invoke("Get-TransportConfig"))
    assert session.calls[0]["headers"]["X-AnchorMailbox"] == \
        "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@" + TENANT


def test_paging_reposts_the_same_body_to_the_next_link():
    pages = [
        {"value": [{"n": 1}], "@odata.nextLink": INVOKE + "?$skiptoken=a"},
        {"value": [{"n": 2}], "@odata.nextLink": INVOKE + "?$skiptoken=b"},
        {"value": [{"n": 3}]},
    ]
    session = ScriptedSession(lambda m, u, b, h: (200, pages[len(session.calls) - 1]))
    client = ExchangeClient(session, EXO, TENANT)
    result = run(client.invoke("Get-Mailbox", {"ResultSize": "Unlimited"}, select=["RecipientTypeDetails"]))
    assert [v["n"] for v in result.values] == [1, 2, 3]
    assert session.calls[0]["url"] == INVOKE + "?$select=RecipientTypeDetails"
    assert [c["url"] for c in session.calls[1:]] == [INVOKE + "?$skiptoken=a", INVOKE + "?$skiptoken=b"]
    assert all(c["body"] == session.calls[0]["body"] for c in session.calls)


def test_no_op_warning_is_returned():
    warning = "The command completed successfully but no settings of 'Alice' have been modified."
    session = ScriptedSession(lambda m, u, b, h: (200, {"value": [], "@adminapi.warnings": [warning]}))
    client = ExchangeClient(session, EXO, TENANT)
    result = run(client.invoke("Set-CASMailbox", {"Identity": "a@c.com", "ImapEnabled": False}))
    assert result.warnings == [warning]
    assert session.calls[0]["safe"] is False


def test_error_details_are_split_into_exception_and_text():
    body = exchange_error("ManagementObjectNotFoundException",
                          "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found.")
    error = CmdletError.from_body(404, body)
    assert error.exception == "ManagementObjectNotFoundException"
    assert error.error_id == "Ex6F9304"
    assert error.text.startswith("The operation couldn't be performed")


def test_unknown_identity_raises_not_found_with_the_cmdlet_text():
    body = exchange_error("ManagementObjectNotFoundException", "object 'nobody@contoso.com' couldn't be found")
    session = ScriptedSession(lambda m, u, b, h: (404, body))
    with pytest.raises(NotFoundError) as info:
        run(ExchangeClient(session, EXO, TENANT).invoke("Get-CASMailbox", {"Identity": "nobody@contoso.com"}))
    message = info.value.to_message()
    assert "Get-CASMailbox" in message and "nobody@contoso.com" in message
    assert "ManagementObjectNotFoundException" in message


def test_bad_parameter_is_a_service_error_with_the_binding_message():
    body = exchange_error("ParameterBindingException",
                          "A parameter cannot be found that matches parameter name 'ImapEnabledd'.", code="BadRequest")
    session = ScriptedSession(lambda m, u, b, h: (400, body))
    with pytest.raises(ServiceError) as info:
        client = ExchangeClient(session, EXO, TENANT)
        run(client.invoke("Set-CASMailbox", {"Identity": "a@c.com", "ImapEnabledd": True}))
    assert "matches parameter name 'ImapEnabledd'" in info.value.to_message()


def test_forbidden_names_the_permission_and_role():
    session = ScriptedSession(lambda m, u, b, h: (403, {"error": {"code": "Forbidden", "message": "Access denied"}}))
    with pytest.raises(PermissionDeniedError) as info:
        run(ExchangeClient(session, EXO, TENANT).invoke("Get-Mailbox"))
    assert "Exchange.ManageAsApp" in info.value.to_message()
    assert "Exchange Administrator" in info.value.to_message()


def test_transient_500_is_retried_for_reads():
    answers = [(500, exchange_error("ADTransientException", "Active Directory is busy", code="InternalServerError")),
               (200, {"value": [{"ok": True}]})]
    session = ScriptedSession(lambda m, u, b, h: answers[len(session.calls) - 1])
    result = run(ExchangeClient(session, EXO, TENANT).invoke("Get-CASMailbox"))
    assert result.values == [{"ok": True}]
    assert len(session.calls) == 2


@pytest.mark.parametrize("status, exception, safe, again", [
    (429, "", False, True),                                # throttled: the cmdlet did not run
    (503, "", False, True),
    (500, "ADTransientException", True, True),             # transient, and safe to repeat
    (500, "ADTransientException", False, False),           # a write that may have run
    (500, "InvalidOperationException", True, False),       # not transient
    (400, "ParameterBindingException", True, False),
])
def test_the_send_again_rule_shared_by_rest_and_psrp(status, exception, safe, again):
    assert CmdletError(status, "", exception, "text", None).may_send_again(safe) is again


def test_fallback_message_from_inner_exception():
    body = {"error": {"code": "InternalServerError", "message": "Error executing cmdlet",
                      "innererror": {"internalexception": {"message": "deep reason", "type": "X.Y.Boom"}}}}
    error = CmdletError.from_body(500, body)
    assert error.text == "deep reason" and error.exception == "Boom"


def batch_handler(item_answer):
    def handler(method, url, body, headers):
        assert url == BATCH
        handler.sizes.append(len(body["requests"]))
        responses = []
        for item in body["requests"]:
            assert item["url"] == INVOKE and item["method"] == "POST"
            handler.seen[item["body"]["CmdletInput"]["Parameters"]["Identity"]] = \
                handler.seen.get(item["body"]["CmdletInput"]["Parameters"]["Identity"], 0) + 1
            answer = item_answer(item, handler.seen[item["body"]["CmdletInput"]["Parameters"]["Identity"]])
            response = {"id": item["id"], "status": answer[0], "body": answer[1]}
            if len(answer) > 2:
                response["headers"] = answer[2]
            responses.append(response)
        return 200, {"responses": responses}
    handler.sizes = []
    handler.seen = {}
    return handler


def test_invoke_many_sends_10_per_batch_and_keeps_order():
    handler = batch_handler(lambda item, n: (200, {"value": [], "@adminapi.warnings": []}))
    client = ExchangeClient(ScriptedSession(handler), EXO, TENANT)
    commands = [("Set-CASMailbox", {"Identity": "u%d@c.com" % i, "ImapEnabled": False}) for i in range(25)]
    results = run(client.invoke_many(commands))
    assert len(results) == 25 and all(r.ok for r in results)
    assert sorted(handler.sizes) == [5, 10, 10]


def test_invoke_many_retries_throttled_and_transient_items_and_reports_permanent_ones():
    def answer(item, attempt):
        identity = item["body"]["CmdletInput"]["Parameters"]["Identity"]
        if identity == "throttled@c.com" and attempt == 1:
            return 429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": "2"}
        if identity == "transient@c.com" and attempt == 1:
            return 500, exchange_error("ADTransientException", "try again", code="InternalServerError")
        if identity == "gone@c.com":
            return 404, exchange_error("ManagementObjectNotFoundException", "object 'gone@c.com' couldn't be found")
        return 200, {"value": []}

    handler = batch_handler(answer)
    client = ExchangeClient(ScriptedSession(handler), EXO, TENANT)
    names = ["ok@c.com", "throttled@c.com", "transient@c.com", "gone@c.com"]
    results = run(client.invoke_many([("Set-CASMailbox", {"Identity": n, "PopEnabled": False}) for n in names],
                                     idempotent=True))
    assert [r.ok for r in results] == [True, True, True, False]
    assert results[3].error.exception == "ManagementObjectNotFoundException"
    assert handler.seen == {"ok@c.com": 1, "throttled@c.com": 2, "transient@c.com": 2, "gone@c.com": 1}


def test_invoke_many_follows_item_next_links():
    def handler(method, url, body, headers):
        if url == BATCH:
            return 200, {"responses": [{"id": "1", "status": 200,
                                        "body": {"value": [{"n": 1}], "@odata.nextLink": INVOKE + "?$skiptoken=z"}}]}
        assert url == INVOKE + "?$skiptoken=z"
        return 200, {"value": [{"n": 2}]}

    client = ExchangeClient(ScriptedSession(handler), EXO, TENANT)
    results = run(client.invoke_many([("Get-CASMailbox", {"Identity": "a@c.com"})]))
    assert [v["n"] for v in results[0].values] == [1, 2]


def test_non_idempotent_write_is_not_repeated_after_a_transient_error_but_throttling_is():
    def answer(item, attempt):
        identity = item["body"]["CmdletInput"]["Parameters"]["Identity"]
        if attempt == 1 and identity == "transient@c.com":
            return 500, exchange_error("ADTransientException", "try again", code="InternalServerError")
        if attempt == 1 and identity == "throttled@c.com":
            return 429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": "1"}
        return 200, {"value": []}

    handler = batch_handler(answer)
    client = ExchangeClient(ScriptedSession(handler), EXO, TENANT)
    results = run(client.invoke_many([("New-Thing", {"Identity": "transient@c.com"}),
                                      ("New-Thing", {"Identity": "throttled@c.com"})]))
    assert [r.ok for r in results] == [False, True]
    assert results[0].error.exception == "ADTransientException"
    assert handler.seen == {"transient@c.com": 1, "throttled@c.com": 2}


def role_refusal(cmdlet):
    # What Exchange Online answers a valid token whose role does not allow the cmdlet.
    return {"error": {"code": "Unauthorized", "message": "User is not allowed to call %s" % cmdlet}}


@pytest.mark.parametrize("cmdlet, role", [
    ("Set-CASMailbox", "Exchange Recipient Administrator"),
    ("Set-TransportConfig", "Exchange Administrator"),
    ("Get-CASMailbox", "Global Reader"),
])
def test_a_401_refusing_the_role_is_one_permission_error_naming_cmdlet_and_role(cmdlet, role):
    session = ScriptedSession(lambda m, u, b, h: (401, role_refusal(cmdlet)))
    with pytest.raises(PermissionDeniedError) as info:
        run(ExchangeClient(session, EXO, TENANT).invoke(cmdlet, {"Identity": "a@c.com"}))
    message = info.value.to_message()
    assert "does not allow the app to run %s" % cmdlet in message
    assert "User is not allowed to call %s" % cmdlet in message
    assert role in message and "refused the access token" not in message
    assert info.value.status == 401
    assert len(session.calls) == 1


def test_refusal_is_recognised_at_either_status_and_in_any_part_of_the_body():
    assert refused_cmdlet(401, role_refusal("Get-Mailbox")) == "Get-Mailbox"
    in_details = exchange_error("CmdletAccessDeniedException", "The user \"app\" isn't assigned to any management "
                                "roles that allow running the cmdlet \"Set-CASMailbox\".", code="Forbidden")
    assert refused_cmdlet(403, in_details) == "Set-CASMailbox"
    # An expired token is not a refused role; neither is another status.
    expired = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}
    assert refused_cmdlet(401, expired) is None
    assert refused_cmdlet(400, role_refusal("Get-Mailbox")) is None
    assert permission_refusal(401, json.dumps(role_refusal("Get-Mailbox"))) is True
    assert permission_refusal(401, json.dumps(expired)) is False
    assert permission_refusal(401, "<html>not json</html>") is False


class Tokens(object):
    def __init__(self):
        self.issued = 0

    async def get(self, scope, reject=None):
        self.issued += 1
        return "tok%d" % self.issued


@pytest.mark.parametrize("body, refusal, requests, tokens", [
    # A refused role: the answer is final, no new token is asked for.
    (role_refusal("Get-Mailbox"), permission_refusal, 1, 1),
    # An expired token still gets a new one (twice at most).
    ({"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}, permission_refusal, 3, 3),
    # Without the predicate every 401 was taken for an expired token.
    (role_refusal("Get-Mailbox"), None, 3, 3),
])
def test_bearer_auth_asks_no_new_token_for_a_refused_role(body, refusal, requests, tokens):
    seen = []

    def handler(request):
        seen.append(request.headers["Authorization"])
        return httpx.Response(401, json=body)

    provider = Tokens()

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler),
                                     auth=_http.BearerAuth(provider, "s", refusal)) as client:
            return await client.post(INVOKE, json={})
    assert run(scenario()).status_code == 401
    assert len(seen) == requests and provider.issued == tokens


def test_batch_refused_role_raises_once_and_stops_sending_that_cmdlet():
    handler = batch_handler(lambda item, n: (401, role_refusal("Set-CASMailbox")))
    session = ScriptedSession(handler)
    client = ExchangeClient(session, EXO, TENANT)
    commands = [("Set-CASMailbox", {"Identity": "u%d@c.com" % i, "ImapEnabled": False}) for i in range(1000)]
    with pytest.raises(PermissionDeniedError) as info:
        run(client.invoke_many(commands, operation="Set-CASMailbox", idempotent=True))
    message = info.value.to_message()
    assert message.count("not allowed to call Set-CASMailbox") == 1
    assert "Exchange Recipient Administrator" in message
    # The scripted session answers each envelope before the next is sent: once the refusal is
    # known, not one more envelope goes out (and none is sent twice, and no new token is asked).
    assert len(session.calls) == 1 and max(handler.seen.values()) == 1
    assert getattr(session, "tokens_refused", 0) == 0


def test_batch_asks_to_continue_on_error():
    session = ScriptedSession(batch_handler(lambda item, n: (200, {"value": []})))
    run(ExchangeClient(session, EXO, TENANT).invoke_many([("Get-CASMailbox", {"Identity": "a@c.com"})]))
    assert session.calls[0]["url"] == BATCH
    assert session.calls[0]["headers"]["Prefer"] == "odata.continue-on-error"


def test_batch_items_not_run_424_are_sent_again_even_writes():
    def answer(item, attempt):
        identity = item["body"]["CmdletInput"]["Parameters"]["Identity"]
        if identity == "b@c.com" and attempt == 1:
            return 424, {"error": {"code": "FailedDependency", "message": "not run"}}
        return 200, {"value": []}

    handler = batch_handler(answer)
    client = ExchangeClient(ScriptedSession(handler), EXO, TENANT)
    results = run(client.invoke_many([("New-Thing", {"Identity": "a@c.com"}), ("New-Thing", {"Identity": "b@c.com"})]))
    assert [r.ok for r in results] == [True, True]
    assert handler.seen == {"a@c.com": 1, "b@c.com": 2}
