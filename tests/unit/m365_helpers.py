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

from ansible_collections.m365.admin.plugins.module_utils._http import Response

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


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

    async def request(self, method, url, json_body=None, headers=None, operation=None, target=None, safe=None):
        self.requests_sent += 1
        self.calls.append(dict(method=method, url=url, body=json_body, headers=dict(headers or {}), safe=safe))
        answer = self.handler(method, url, json_body, headers or {})
        status, body = answer[0], answer[1]
        response_headers = answer[2] if len(answer) > 2 else {}
        text = "" if body is None else json.dumps(body)
        return Response(status, response_headers, body, text, "req-%d" % self.requests_sent, url)

    def calls_to(self, pattern):
        return [c for c in self.calls if re.search(pattern, c["url"])]


def graph_error(code, message):
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": "2026-11-22T10:00:00", "request-id": "rid-1"}}}


def exchange_error(exception, text, code="NotFound"):
    return {"error": {"code": code, "message": "Error executing cmdlet",
                      "details": [{"code": "Client", "target": "",
                                   "message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.%s|%s" % (exception, text)}]}}
