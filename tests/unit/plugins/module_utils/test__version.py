# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
import re
import ssl

import httpx

from ansible_collections.m365.admin.plugins.module_utils import _http
from ansible_collections.m365.admin.plugins.module_utils._version import COLLECTION_VERSION, USER_AGENT


class Tokens(object):
    async def get(self, scope, reject=None):
        return "token"


def test_the_version_is_semantic_and_named_in_the_user_agent():
    assert re.match(r"^\d+\.\d+\.\d+$", COLLECTION_VERSION)
    assert USER_AGENT == "m365.admin-ansible-collection/" + COLLECTION_VERSION


def test_every_request_carries_the_user_agent():
    seen = []

    def handler(request):
        seen.append(request.headers.get("User-Agent"))
        return httpx.Response(200, json={"value": []})

    async def call():
        session = _http.ServiceSession("Microsoft Graph", Tokens(), "s", ssl.create_default_context(), 5, graph=True,
                                       transport=httpx.MockTransport(handler))
        try:
            await session.request("GET", "https://graph.test/v1.0/users")
        finally:
            await session.close()
    asyncio.run(call())
    assert len(seen) == 1 and seen[0].startswith(USER_AGENT)
