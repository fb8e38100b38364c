# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the unit tests: module arguments, exit capture, a scripted HTTP session."""

from __future__ import annotations

import contextlib
import json
import re
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.m365.admin.plugins.module_utils._errors import OutcomeUnknownError
from ansible_collections.m365.admin.plugins.module_utils._http import Response

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


def instant_sleep():
    """asyncio.sleep returns at once (the clients' back-offs and Retry-After waits)."""
    async def instant(_seconds):
        return None
    return mock.patch("asyncio.sleep", instant)


@contextlib.contextmanager
def set_module_args(args):
    """Module arguments for AnsibleModule, on every supported ansible-core."""
    args = dict(args)
    args.setdefault("_ansible_remote_tmp", "/tmp")
    args.setdefault("_ansible_keep_remote_files", False)
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
    else:
        with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))):
            yield


class AnsibleExitJson(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class AnsibleFailJson(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def _fail_json(self, **kwargs):
    kwargs["failed"] = True
    raise AnsibleFailJson(kwargs)


@contextlib.contextmanager
def capture_exit():
    with mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json):
        yield


def run_module(main, args):
    """Run a module's main() and return (result, failed)."""
    with capture_exit(), set_module_args(args):
        try:
            main()
        except AnsibleExitJson as exc:
            return exc.result, False
        except AnsibleFailJson as exc:
            return exc.result, True
    raise AssertionError("the module neither exited nor failed")


class ScriptedSession(object):
    """Stands in for _http.ServiceSession: answers requests from a handler, records them.

    ``handler(method, url, body, headers)`` returns (status, body) or (status, body, headers).
    """

    def __init__(self, handler):
        self.handler = handler
        self.calls = []
        self.requests_sent = 0

    async def request(self, method, url, json_body=None, headers=None, operation=None, target=None, safe=None,
                      retry=True):
        self.requests_sent += 1
        self.calls.append(dict(method=method, url=url, body=json_body, headers=dict(headers or {}), safe=safe,
                               retry=retry))
        answer = self.handler(method, url, json_body, headers or {})
        status, body = answer[0], answer[1]
        response_headers = answer[2] if len(answer) > 2 else {}
        text = "" if body is None else json.dumps(body)
        return Response(status, response_headers, body, text, "req-%d" % self.requests_sent, url)

    async def token_refused(self, response):
        self.tokens_refused = getattr(self, "tokens_refused", 0) + 1

    def calls_to(self, pattern):
        return [c for c in self.calls if re.search(pattern, c["url"])]


def losing_the_answer(fake, matches, applied, operation):
    """The handler ``fake``, losing the answer to each request ``matches(method, url, body)``
    accepts, as a connection dropped after the request was sent does: the request reaches
    ``fake`` first when ``applied``, then OutcomeUnknownError is raised."""
    def handler(method, url, body, headers):
        if matches(method, url, body):
            if applied:
                fake(method, url, body, headers)
            raise OutcomeUnknownError("the connection was lost after the request was sent", operation=operation)
        return fake(method, url, body, headers)
    return handler


def graph_error(code, message):
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": "2026-11-22T10:00:00", "request-id": "rid-1"}}}


def exchange_error(exception, text, code="NotFound"):
    return {"error": {"code": code, "message": "Error executing cmdlet",
                      "details": [{"code": "Client", "target": "",
                                   "message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.%s|%s" % (exception, text)}]}}


class FakeGraphTenant(object):
    """A minimal Graph tenant for unit tests, answering the wire calls the modules make.

    users: list of dicts (id, userPrincipalName, userType, accountEnabled, state).
    groups: {display name: (id, [member user ids])}.
    item_faults: {(method, user id): [status, ...]} consumed one per batch item call.
    """

    def __init__(self, users, groups=None, item_faults=None):
        self.users = dict((u["id"], dict(u)) for u in users)
        self.groups = groups or {}
        self.item_faults = dict((k, list(v)) for k, v in (item_faults or {}).items())
        self.patches = []

    def _user(self, key):
        key = key.replace("%23", "#").replace("%40", "@")
        for user in self.users.values():
            if key in (user["id"], user["userPrincipalName"]):
                return user
        return None

    def _public(self, user):
        return dict((k, v) for k, v in user.items() if k != "state")

    def item(self, method, url, body):
        path = url.split("?")[0]
        parts = [p for p in path.split("/") if p]
        if parts[0] == "users" and len(parts) == 2:
            user = self._user(parts[1])
            return (200, self._public(user)) if user else (404, graph_error("Request_ResourceNotFound", "no user"))
        if parts[0] == "users" and parts[2:] == ["authentication", "requirements"]:
            user = self._user(parts[1])
            faults = self.item_faults.get((method, parts[1]))
            if faults:
                status = faults.pop(0)
                headers = {"Retry-After": "1"} if status == 429 else {}
                return status, graph_error("Fault", "scripted %d" % status), headers
            if user is None:
                return 404, graph_error("Request_ResourceNotFound", "no user")
            if method == "GET":
                return 200, {"perUserMfaState": user["state"]}
            self.patches.append((user["userPrincipalName"], body["perUserMfaState"]))
            user["state"] = body["perUserMfaState"]
            return 204, None
        if parts[0] == "groups" and len(parts) == 1:
            name = url.split("displayName%20eq%20'", 1)[1].split("'", 1)[0].replace("%20", " ")
            return 200, {"value": [{"id": gid, "displayName": name}
                                   for n, (gid, _m) in self.groups.items() if n == name]}
        if parts[0] == "groups" and len(parts) == 2:
            for name, (gid, _members) in self.groups.items():
                if gid == parts[1]:
                    return 200, {"id": gid, "displayName": name}
            return 404, graph_error("Request_ResourceNotFound", "no group")
        raise AssertionError("unexpected batch item %s %s" % (method, url))

    def __call__(self, method, url, body, headers):
        if url.endswith("/$batch"):
            responses = []
            for item in body["requests"]:
                answer = self.item(item["method"], item["url"], item.get("body"))
                response = {"id": item["id"], "status": answer[0], "body": answer[1]}
                if len(answer) > 2:
                    response["headers"] = answer[2]
                responses.append(response)
            return 200, {"responses": responses}
        if "/transitiveMembers/" in url:
            # As Graph: the OData cast of transitiveMembers is an advanced query.
            if headers.get("ConsistencyLevel") != "eventual" or "$count=true" not in url:
                return 400, graph_error("Request_UnsupportedQuery", "advanced query parameters missing")
            gid = url.split("/groups/")[1].split("/")[0]
            for _name, (group_id, members) in self.groups.items():
                if group_id == gid:
                    return 200, {"value": [self._public(self.users[m]) for m in members]}
        if "/v1.0/users?" in url:
            return 200, {"value": [self._public(u) for u in self.users.values()]}
        raise AssertionError("unexpected call %s %s" % (method, url))


def make_users(count, guests=(), states=None):
    users = []
    for index in range(count):
        user_id = "00000000-0000-4000-8000-%012d" % index
        users.append(dict(id=user_id, userPrincipalName="user%d@contoso.com" % index,
                          userType="Guest" if index in guests else "Member", accountEnabled=True,
                          state=(states or {}).get(index, "disabled")))
    return users


class FakeExchangeTenant(object):
    """A minimal Exchange admin API for unit tests: InvokeCommand and $batch for the CAS cmdlets.

    mailboxes: list of CAS objects (Guid, PrimarySmtpAddress, ExternalDirectoryObjectId,
    RecipientTypeDetails and settings). item_faults: {(cmdlet, identity): [status, ...]}.
    """

    NO_OP = "The command completed successfully but no settings of '%s' have been modified."

    def __init__(self, mailboxes, plans=None, org_smtp_disabled=True, item_faults=None, org_ews=None):
        self.mailboxes = [dict(m) for m in mailboxes]
        self.plans = [dict(p) for p in plans or []]
        self.org = {"SmtpClientAuthenticationDisabled": org_smtp_disabled, "Identity": "Transport Settings"}
        self.organization = {"Identity": "contoso", "EwsEnabled": org_ews}
        self.item_faults = dict((k, list(v)) for k, v in (item_faults or {}).items())
        self.sets = []
        self.listings = []

    def _find(self, identity):
        identity = str(identity).lower()
        return [m for m in self.mailboxes
                if identity in (m["Guid"].lower(), m["PrimarySmtpAddress"].lower(),
                                m.get("ExternalDirectoryObjectId", "").lower(), m.get("Name", "").lower())]

    def cmdlet(self, name, parameters):
        identity = parameters.get("Identity")
        faults = self.item_faults.get((name, identity))
        if faults:
            status = faults.pop(0)
            exception = "ADTransientException" if status >= 500 else "ManagementObjectNotFoundException"
            return status, exchange_error(exception, "scripted %d for %s" % (status, identity))
        if name == "Get-CASMailbox":
            if identity is None:
                types = parameters.get("RecipientTypeDetails")
                self.listings.append(types)
                return 200, {"value": [dict(m) for m in self.mailboxes
                                       if not types or m["RecipientTypeDetails"] in types]}
            found = self._find(identity)
            if not found:
                return 404, exchange_error("ManagementObjectNotFoundException",
                                           "The operation couldn't be performed because object '%s' couldn't be found."
                                           % identity)
            return 200, {"value": [dict(m) for m in found]}
        if name == "Set-CASMailbox":
            target = self._find(identity)[0]
            changes = dict((k, v) for k, v in parameters.items() if k != "Identity" and target.get(k) != v)
            self.sets.append((target["PrimarySmtpAddress"], dict(parameters)))
            target.update(changes)
            if not changes:
                return 200, {"value": [], "@adminapi.warnings": [self.NO_OP % target["PrimarySmtpAddress"]]}
            return 200, {"value": []}
        if name == "Get-CASMailboxPlan":
            return 200, {"value": [dict(p) for p in self.plans]}
        if name == "Set-CASMailboxPlan":
            plan = [p for p in self.plans if p["Name"] == identity][0]
            self.sets.append((plan["Name"], dict(parameters)))
            plan.update(dict((k, v) for k, v in parameters.items() if k != "Identity"))
            return 200, {"value": []}
        if name == "Get-TransportConfig":
            return 200, {"value": [dict(self.org)]}
        if name == "Get-OrganizationConfig":
            return 200, {"value": [dict(self.organization)]}
        if name == "Set-TransportConfig":
            self.sets.append(("organization", dict(parameters)))
            self.org.update(parameters)
            return 200, {"value": []}
        raise AssertionError("unexpected cmdlet %s" % name)

    def __call__(self, method, url, body, headers):
        if url.endswith("/$batch"):
            responses = []
            for item in body["requests"]:
                cmdlet = item["body"]["CmdletInput"]
                status, answer = self.cmdlet(cmdlet["CmdletName"], cmdlet.get("Parameters") or {})
                responses.append({"id": item["id"], "status": status, "body": answer})
            return 200, {"responses": responses}
        cmdlet = body["CmdletInput"]
        return self.cmdlet(cmdlet["CmdletName"], cmdlet.get("Parameters") or {})


def make_mailboxes(count, kinds=None, **settings):
    mailboxes = []
    for index in range(count):
        mailbox = dict(Guid="aaaaaaaa-0000-4000-8000-%012d" % index, Name="user%d" % index,
                       PrimarySmtpAddress="user%d@contoso.com" % index, DisplayName="User %d" % index,
                       ExternalDirectoryObjectId="00000000-0000-4000-8000-%012d" % index,
                       RecipientTypeDetails=(kinds or {}).get(index, "UserMailbox"),
                       ImapEnabled=True, PopEnabled=True, ActiveSyncEnabled=True, MAPIEnabled=True, OWAEnabled=True,
                       EwsEnabled=True, OutlookMobileEnabled=True, MacOutlookEnabled=True,
                       UniversalOutlookEnabled=True, OneWinNativeOutlookEnabled=True,
                       SmtpClientAuthenticationDisabled=None)
        for key, values in settings.items():
            if index in values:
                mailbox[key] = values[index]
        mailboxes.append(mailbox)
    return mailboxes
