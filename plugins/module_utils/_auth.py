# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Sign-in: azure-identity credentials built from the connection settings, and a token cache.

azure-identity (with MSAL underneath) does the OAuth work: client secret, certificate
assertion, managed identity, workload identity federation, Azure CLI. This file only picks
the credential class, checks certificates before any request so that a wrong password or
a missing key is reported against its option, and turns sign-in failures into
AuthenticationError with the identity platform's own AADSTS text.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import traceback

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    TransportError,
)

AZURE_IDENTITY_IMPORT_ERROR = None
try:
    from azure.core.exceptions import AzureError, ClientAuthenticationError
    from azure.identity import (
        AzureCliCredential,
        CertificateCredential,
        ClientSecretCredential,
        CredentialUnavailableError,
        ManagedIdentityCredential,
        WorkloadIdentityCredential,
    )
except ImportError:
    AZURE_IDENTITY_IMPORT_ERROR = traceback.format_exc()

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from cryptography.hazmat.primitives.serialization.pkcs12 import load_key_and_certificates
    from cryptography.x509 import load_pem_x509_certificate
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

# Refresh a cached token this many seconds before it expires, or at half its lifetime when
# that is shorter (a token that lives a minute would otherwise be fetched for every request).
REFRESH_MARGIN = 300

_AADSTS_RE = re.compile(r"(AADSTS\d+:[^\r\n]*)")
_AADSTS_HINTS = {
    "AADSTS7000215": "The client secret is wrong or expired: check client_secret.",
    "AADSTS7000222": "The client secret has expired: create a new one and update client_secret.",
    "AADSTS700016": "No application with this client_id exists in the tenant: check client_id and tenant_id.",
    "AADSTS700027": "The certificate was not accepted: upload its public part to the app registration "
                    "(Certificates & secrets) or check client_certificate_path.",
    "AADSTS90002": "The tenant does not exist in this cloud: check tenant_id and cloud.",
    "AADSTS900023": "tenant_id is not a valid tenant identifier.",
    "AADSTS70011": "The scope is not valid for this cloud: check cloud, graph_url and exchange_url.",
    "AADSTS500011": "The resource is not known in this tenant: check cloud, graph_url and exchange_url.",
    "AADSTS70021": "No federated credential on the app matches the token's issuer and subject: "
                   "check the app's federated credentials and federated_token_file.",
    "AADSTS700213": "No federated credential on the app matches the token's issuer and subject.",
    "AADSTS700024": "The federated token has expired: check federated_token_file.",
}


def describe_auth_error(text):
    """Pick the AADSTS line out of an azure-identity error, with a hint when we know one."""
    if "Unable to get authority configuration" in (text or ""):
        # MSAL reads {authority}/{tenant}/v2.0/.well-known/openid-configuration before asking
        # for a token; for an unknown tenant that read fails (AADSTS90002) and MSAL says this.
        return ("the identity platform does not know this tenant (no OpenID configuration for it)",
                _AADSTS_HINTS["AADSTS90002"])
    if "CERTIFICATE_VERIFY_FAILED" in (text or "") or "certificate verify failed" in (text or ""):
        return (text.replace("Authentication failed: ", "").strip().splitlines()[0],
                "The sign-in host's TLS certificate is not trusted; if a private CA issued it, add that CA with ca_path")
    match = _AADSTS_RE.search(text or "")
    line = match.group(1).strip() if match else (text or "").strip().splitlines()[0] if text else ""
    # The identity platform appends trace and correlation ids after the sentence; keep them,
    # they are what Microsoft support asks for, but drop the timestamp noise.
    hint = None
    if match:
        code = line.split(":", 1)[0]
        hint = _AADSTS_HINTS.get(code)
    return line, hint


def load_client_certificate(path, password):
    """Read a PEM or PFX client certificate and return its bytes for azure-identity.

    Raises ConfigurationError naming client_certificate_path or client_certificate_password.
    """
    option = "client_certificate_path"
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise ConfigurationError("%s %s cannot be read: %s" % (option, path, exc), option=option)
    if not data.strip():
        raise ConfigurationError("%s %s is empty" % (option, path), option=option)
    if CRYPTOGRAPHY_IMPORT_ERROR:
        return data
    password_bytes = password.encode("utf-8") if password else None
    if b"-----BEGIN" in data:
        if b"PRIVATE KEY-----" not in data:
            raise ConfigurationError(
                "%s %s holds no private key: the PEM file must contain the certificate and its private key"
                % (option, path), option=option)
        if b"CERTIFICATE-----" not in data:
            raise ConfigurationError("%s %s holds no certificate, only a key" % (option, path), option=option)
        try:
            key = load_pem_private_key(data, password=password_bytes)
        except TypeError as exc:
            # cryptography says "Password was not given but private key is encrypted" or the reverse.
            if password_bytes:
                raise ConfigurationError(
                    "client_certificate_password was given but the private key in %s is not encrypted" % path,
                    option="client_certificate_password")
            raise ConfigurationError(
                "the private key in %s is encrypted: set client_certificate_password (%s)" % (path, exc),
                option="client_certificate_password")
        except ValueError:
            if password_bytes:
                raise ConfigurationError(
                    "client_certificate_password is wrong for the private key in %s" % path,
                    option="client_certificate_password")
            raise ConfigurationError("%s %s holds a private key that cannot be read" % (option, path),
                                     option=option)
        try:
            load_pem_x509_certificate(data)
        except ValueError as exc:
            raise ConfigurationError("%s %s holds no readable certificate: %s" % (option, path, exc),
                                     option=option)
    else:
        try:
            key, cert, _chain = load_key_and_certificates(data, password_bytes)
        except ValueError:
            raise ConfigurationError(
                "%s %s is neither a PEM file nor a PFX that opens with the given "
                "client_certificate_password (wrong or missing password, or not a certificate)" % (option, path),
                option="client_certificate_password" if password_bytes else option)
        if key is None or cert is None:
            raise ConfigurationError("%s %s must hold both a certificate and its private key" % (option, path),
                                     option=option)
    if not isinstance(key, RSAPrivateKey):
        raise ConfigurationError(
            "%s %s: the private key must be RSA (the identity platform signs client assertions with RS256)"
            % (option, path), option=option)
    return data


def build_credential(settings, connection_verify=None):
    """Return the azure-identity credential for the connection settings."""
    common = {}
    if connection_verify:
        common["connection_verify"] = connection_verify
    method = settings.auth_method
    if method in ("client_secret", "certificate", "workload_identity"):
        common["authority"] = settings.authority_url
        if not settings.is_known_cloud_authority:
            # MSAL's instance discovery asks login.microsoftonline.com about the authority;
            # a custom authority (a sovereign deployment, a test double) is trusted as given.
            common["disable_instance_discovery"] = True
    if method == "client_secret":
        return ClientSecretCredential(settings.tenant_id, settings.client_id, settings.client_secret, **common)
    if method == "certificate":
        data = load_client_certificate(settings.client_certificate_path, settings.client_certificate_password)
        return CertificateCredential(settings.tenant_id, settings.client_id, certificate_data=data,
                                     password=settings.client_certificate_password or None, **common)
    if method == "workload_identity":
        return WorkloadIdentityCredential(tenant_id=settings.tenant_id, client_id=settings.client_id,
                                          token_file_path=settings.federated_token_file, **common)
    if method == "managed_identity":
        kwargs = dict(common)
        if settings.client_id:
            kwargs["client_id"] = settings.client_id
        return ManagedIdentityCredential(**kwargs)
    if method == "azure_cli":
        return AzureCliCredential(tenant_id=settings.tenant_id)
    raise ConfigurationError("unknown auth_method %r" % method, option="auth_method")


def token_claims(token):
    """Claims of a JWT access token, unverified (only used to read tid for routing)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (IndexError, ValueError, UnicodeDecodeError):
        return {}


class TokenProvider(object):
    """Access tokens per scope, cached until shortly before they expire.

    azure-identity's credentials are synchronous here (no aiohttp needed); a token is asked for
    at most once per scope at a time, in a worker thread so that requests in flight go on.
    """

    def __init__(self, credential, settings):
        self._credential = credential
        self._settings = settings
        self._tokens = {}
        self._locks = {}
        self.requests = 0

    def _lock(self, scope):
        if scope not in self._locks:
            self._locks[scope] = asyncio.Lock()
        return self._locks[scope]

    def _cached(self, scope, reject):
        cached = self._tokens.get(scope)
        if cached and cached[0] != reject and cached[1] > time.time():
            return cached[0]
        return None

    async def get(self, scope, reject=None):
        """A valid token for scope; ``reject`` is a token the service just refused (401)."""
        token = self._cached(scope, reject)
        if token:
            return token
        async with self._lock(scope):
            token = self._cached(scope, reject)
            if token:
                return token
            token = await asyncio.to_thread(self._acquire, scope)
            if token.token == reject:
                # The credential's own cache handed back the refused token: ask past it.
                token = await asyncio.to_thread(self._acquire, scope, True)
            now = time.time()
            margin = min(REFRESH_MARGIN, max(0.0, (token.expires_on - now) / 2.0))
            # Kept as (token, the time to stop using it).
            self._tokens[scope] = (token.token, token.expires_on - margin)
            return token.token

    def _acquire(self, scope, fresh=False):
        self.requests += 1
        settings = self._settings
        try:
            if fresh:
                # A claims challenge makes MSAL skip its cache; an empty one changes nothing else.
                return self._credential.get_token(scope, claims='{"access_token":{}}')
            return self._credential.get_token(scope)
        except ClientAuthenticationError as exc:
            line, hint = describe_auth_error(str(exc))
            raise AuthenticationError(
                line or "the identity platform refused to issue a token",
                operation="Sign-in to tenant %s as %s (%s)" % (settings.tenant_id, settings.client_id or "-",
                                                               settings.auth_method),
                target=settings.authority_url, service_message=str(exc).splitlines()[0] if str(exc) else None,
                hint=hint)
        except CredentialUnavailableError as exc:
            raise AuthenticationError(
                str(exc).splitlines()[0] if str(exc) else "credential unavailable",
                operation="Sign-in with auth_method=%s" % settings.auth_method)
        except AzureError as exc:
            # ServiceRequestError and friends: the identity platform was not reached at all.
            text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            hint = None
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
                hint = "If the sign-in host uses a certificate from a private CA, add that CA with ca_path"
            raise TransportError("could not reach the identity platform at %s: %s" % (settings.authority_url, text),
                                 operation="Sign-in to tenant %s" % settings.tenant_id, hint=hint)
        except ValueError as exc:
            raise ConfigurationError("sign-in with auth_method=%s cannot start: %s" % (settings.auth_method, exc),
                                     option="auth_method")
