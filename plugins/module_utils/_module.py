# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""The base every m365.admin module is built on.

``M365Module`` composes the shared connection options with a module's own, checks that the
Python requirements are there, validates the connection before anything is sent, runs the
module's coroutine in one event loop (the HTTP pools belong to that loop), and turns every
typed error into one ``fail_json`` message. Only this file calls ``fail_json`` for errors
raised by the clients.
"""

from __future__ import annotations

import asyncio
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.m365.admin.plugins.module_utils._auth import (
    AZURE_IDENTITY_IMPORT_ERROR,
    CRYPTOGRAPHY_IMPORT_ERROR,
    TokenProvider,
    build_credential,
    token_claims,
)
from ansible_collections.m365.admin.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionSettings,
    is_guid,
)
from ansible_collections.m365.admin.plugins.module_utils._errors import ConfigurationError, M365Error, PartialResultError
from ansible_collections.m365.admin.plugins.module_utils._graph import GraphClient
from ansible_collections.m365.admin.plugins.module_utils._http import (
    HTTP_IMPORT_ERROR,
    CABundle,
    ServiceSession,
    build_ssl_context,
)

REQUIREMENTS = (
    ("msgraph-core and httpx", HTTP_IMPORT_ERROR),
    ("azure-identity", AZURE_IDENTITY_IMPORT_ERROR),
    ("cryptography", CRYPTOGRAPHY_IMPORT_ERROR),
)


class M365Connection(object):
    """Credential, token cache and service clients for one module run (one event loop)."""

    def __init__(self, settings, concurrency=4):
        self.settings = settings
        self.concurrency = concurrency
        self._ssl_context = build_ssl_context(settings.ca_path)
        self._bundle = CABundle(settings.ca_path)
        self.tokens = TokenProvider(build_credential(settings, connection_verify=self._bundle.path), settings)
        self._sessions = []
        self._graph = None
        self._exchange = None
        self._exchange_ready = None

    def graph(self):
        if self._graph is None:
            session = ServiceSession("Microsoft Graph", self.tokens, self.settings.graph_scope, self._ssl_context,
                                     self.settings.request_timeout, graph=True,
                                     max_connections=self.concurrency * 2)
            self._sessions.append(session)
            self._graph = GraphClient(session, self.settings.graph_url, concurrency=self.concurrency)
        return self._graph

    async def exchange(self):
        if self._exchange is None and self.settings.exchange_transport == "psrp":
            # Imported here: pypsrp (and its spnego, requests, ...) costs every other module
            # process tens of milliseconds at start for a transport it does not use.
            from ansible_collections.m365.admin.plugins.module_utils._psrp import (
                PYPSRP_IMPORT_ERROR,
                PsrpExchangeClient,
                PsrpSettings,
                resolve_organization,
            )

            if PYPSRP_IMPORT_ERROR is not None:
                raise ConfigurationError("exchange_transport=psrp needs the Python library pypsrp (%s)"
                                         % PYPSRP_IMPORT_ERROR, option="exchange_transport")
            psrp = PsrpSettings(**self.settings.psrp)
            self._exchange = PsrpExchangeClient(psrp)
            # Connect-ExchangeOnline -Organization needs the initial domain: a GUID or a vanity
            # domain is looked up in Graph once, before any cmdlet runs (every caller waits for it).
            self._exchange_ready = asyncio.ensure_future(resolve_organization(psrp, self.graph()))
        if self._exchange_ready is not None:
            await self._exchange_ready
        if self._exchange is None:
            # Imported here: modules that never call Exchange do not load its client.
            from ansible_collections.m365.admin.plugins.module_utils._exchange import ExchangeClient, permission_refusal

            scope = self.settings.exchange_scope
            tenant = self.settings.tenant_id
            if not is_guid(tenant):
                # The admin API is addressed by tenant GUID; the token names it.
                tenant = token_claims(await self.tokens.get(scope)).get("tid") or tenant
            session = ServiceSession("Exchange Online", self.tokens, scope, self._ssl_context,
                                     self.settings.request_timeout, max_connections=self.concurrency * 2,
                                     permission_refusal=permission_refusal)
            self._sessions.append(session)
            self._exchange = ExchangeClient(session, self.settings.exchange_url, tenant, concurrency=self.concurrency)
        return self._exchange

    async def close(self):
        if self._exchange is not None and self.settings.exchange_transport == "psrp":
            await self._exchange.close()
        for session in self._sessions:
            await session.close()
        self._bundle.cleanup()


class M365Module(object):
    """An AnsibleModule with the connection options, and the one place errors become fail_json."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec or {})
        self.ansible = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        for library, error in REQUIREMENTS:
            if error:
                self.ansible.fail_json(msg=missing_required_lib(library), exception=error)

    def validate(self, *checks):
        """Run input checks (functions of the params raising ConfigurationError) before any request."""
        try:
            for check in checks:
                check(self.params)
        except ConfigurationError as exc:
            self.fail(exc, option=exc.option)

    def run(self, main):
        """Validate the connection, run ``main(module, connection)`` and exit with its result dict."""
        try:
            settings = ConnectionSettings.from_params(self.params)
            result = asyncio.run(self._run(main, settings))
        except ConfigurationError as exc:
            self.fail(exc, option=exc.option)
        except M365Error as exc:
            self.fail(exc)
        self.ansible.exit_json(**result)

    async def _run(self, main, settings):
        connection = M365Connection(settings)
        try:
            return await main(self, connection)
        finally:
            await connection.close()

    def fail(self, exc, **extra):
        result = dict(extra)
        details = exc.to_result()
        if details:
            result["error"] = details
        if isinstance(exc, PartialResultError):
            result.update(exc.result)
        if not isinstance(exc, ConfigurationError) and exc.__traceback__ is not None:
            result["exception"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.ansible.fail_json(msg=exc.to_message(), **{k: v for k, v in result.items() if v is not None})
