# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import asyncio
import base64
import datetime
import json
import time
from unittest import mock

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.m365.admin.plugins.module_utils import _auth
from ansible_collections.m365.admin.plugins.module_utils._connection import CONNECTION_ARGUMENT_SPEC, ConnectionSettings
from ansible_collections.m365.admin.plugins.module_utils._errors import AuthenticationError, ConfigurationError

TENANT = "5b3c2a10-7d4e-4f6a-9b8c-1d2e3f4a5b6c"
CLIENT = "8e1b9b4c-9f37-4a5e-a7f2-0b7d1c2e3f40"


def make_cert(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "m365-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


@pytest.fixture(scope="module")
def rsa_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, make_cert(key)


def pem(key, cert, password=None):
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return (cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_plain_pem(tmp_path, rsa_pair):
    path = write(tmp_path, "c.pem", pem(*rsa_pair))
    assert b"BEGIN CERTIFICATE" in _auth.load_client_certificate(path, None)


def test_encrypted_pem_with_right_password(tmp_path, rsa_pair):
    path = write(tmp_path, "c.pem", pem(*rsa_pair, password=b"pw"))
    assert _auth.load_client_certificate(path, "pw")


def test_encrypted_pem_without_password(tmp_path, rsa_pair):
    path = write(tmp_path, "c.pem", pem(*rsa_pair, password=b"pw"))
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(path, None)
    assert info.value.option == "client_certificate_password"
    assert "encrypted" in info.value.message


def test_encrypted_pem_with_wrong_password(tmp_path, rsa_pair):
    path = write(tmp_path, "c.pem", pem(*rsa_pair, password=b"pw"))
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(path, "wrong")
    assert info.value.option == "client_certificate_password"
    assert "wrong" in info.value.message
    assert "pw" not in info.value.message.replace(path, "")


def test_pfx_right_and_wrong_password(tmp_path, rsa_pair):
    key, cert = rsa_pair
    data = pkcs12.serialize_key_and_certificates(b"m365", key, cert, None,
                                                 serialization.BestAvailableEncryption(b"pfxpw"))
    path = write(tmp_path, "c.pfx", data)
    assert _auth.load_client_certificate(path, "pfxpw") == data
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(path, "nope")
    assert info.value.option == "client_certificate_password"


def test_pem_without_key(tmp_path, rsa_pair):
    path = write(tmp_path, "c.pem", rsa_pair[1].public_bytes(serialization.Encoding.PEM))
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(path, None)
    assert "no private key" in info.value.message


def test_garbage_file(tmp_path):
    path = write(tmp_path, "c.pem", b"this is not a certificate")
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(path, None)
    assert info.value.option == "client_certificate_path"


def test_empty_file(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(write(tmp_path, "c.pem", b""), None)
    assert "empty" in info.value.message


def test_ec_key_is_refused(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = write(tmp_path, "c.pem", pem(key, make_cert(key)))
    with pytest.raises(ConfigurationError) as info:
        _auth.load_client_certificate(path, None)
    assert "RSA" in info.value.message


def test_describe_auth_error_picks_the_aadsts_line_and_hint():
    text = ("Authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
            "in the request is the client secret value. Trace ID: 1\nCorrelation ID: 2")
    line, hint = _auth.describe_auth_error(text)
    assert line.startswith("AADSTS7000215: Invalid client secret provided.")
    assert "client_secret" in hint


def test_token_claims():
    payload = base64.urlsafe_b64encode(json.dumps({"tid": TENANT}).encode()).decode().rstrip("=")
    assert _auth.token_claims("h.%s.s" % payload)["tid"] == TENANT
    assert _auth.token_claims("opaque") == {}


def settings(**overrides):
    params = {name: spec.get("default") for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
    params.update(tenant_id=TENANT, client_id=CLIENT, client_secret="s3cret", cloud="custom",
                  graph_url="https://localhost:1", exchange_url="https://localhost:1",
                  authority_url="https://localhost:1")
    params.update(overrides)
    return ConnectionSettings.from_params(params)


def test_build_credential_classes(tmp_path, rsa_pair):
    assert isinstance(_auth.build_credential(settings()), _auth.ClientSecretCredential)
    path = write(tmp_path, "c.pem", pem(*rsa_pair))
    assert isinstance(_auth.build_credential(settings(client_certificate_path=path)), _auth.CertificateCredential)
    token_file = write(tmp_path, "token", b"eyJ.x.y")
    credential = _auth.build_credential(settings(auth_method="workload_identity", federated_token_file=token_file))
    assert isinstance(credential, _auth.WorkloadIdentityCredential)
    assert isinstance(_auth.build_credential(settings(auth_method="azure_cli")), _auth.AzureCliCredential)


class FakeCredential(object):
    def __init__(self, lifetime=3600, error=None):
        self.calls = []
        self.lifetime = lifetime
        self.error = error

    def get_token(self, scope, **kwargs):
        self.calls.append((scope, kwargs))
        if self.error:
            raise self.error
        return AccessToken("token-%d" % len(self.calls), int(time.time()) + self.lifetime)


def test_tokens_are_cached_per_scope():
    credential = FakeCredential()
    provider = _auth.TokenProvider(credential, settings())

    async def scenario():
        a = await provider.get("https://g/.default")
        b = await provider.get("https://g/.default")
        c = await provider.get("https://e/.default")
        return a, b, c
    a, b, c = asyncio.run(scenario())
    assert a == b and a != c
    assert [scope for scope, _kw in credential.calls] == ["https://g/.default", "https://e/.default"]


def test_concurrent_callers_share_one_token_request():
    credential = FakeCredential()
    provider = _auth.TokenProvider(credential, settings())

    async def scenario():
        return await asyncio.gather(*(provider.get("https://g/.default") for _attempt in range(10)))
    assert len(set(asyncio.run(scenario()))) == 1
    assert len(credential.calls) == 1


def test_token_close_to_expiry_is_renewed():
    credential = FakeCredential(lifetime=60)
    provider = _auth.TokenProvider(credential, settings())
    now = time.time()

    async def scenario():
        await provider.get("s")
        await provider.get("s")
        # A one-minute token is used for half its life, then renewed before it expires.
        with mock.patch.object(_auth.time, "time", return_value=now + 31):
            await provider.get("s")
    asyncio.run(scenario())
    assert len(credential.calls) == 2


def test_rejected_token_is_replaced():
    credential = FakeCredential()
    provider = _auth.TokenProvider(credential, settings())

    async def scenario():
        first = await provider.get("s")
        return first, await provider.get("s", reject=first)
    first, second = asyncio.run(scenario())
    assert first != second


def test_sign_in_failure_becomes_authentication_error_without_secret():
    error = ClientAuthenticationError("ClientSecretCredential.get_token failed: AADSTS7000215: Invalid client "
                                      "secret provided. Trace ID: x")
    provider = _auth.TokenProvider(FakeCredential(error=error), settings())
    with pytest.raises(AuthenticationError) as info:
        asyncio.run(provider.get("s"))
    message = info.value.to_message()
    assert "AADSTS7000215" in message and "client_secret" in message
    assert "s3cret" not in message
    assert TENANT in message


def test_identity_platform_unreachable_is_a_transport_error():
    from azure.core.exceptions import ServiceRequestError
    error = ServiceRequestError("<urllib3.connection.HTTPSConnection>: Failed to establish a new connection: "
                                "[Errno 111] Connection refused")
    provider = _auth.TokenProvider(FakeCredential(error=error), settings())
    with pytest.raises(_auth.TransportError) as info:
        asyncio.run(provider.get("s"))
    assert "could not reach the identity platform at https://localhost:1" in info.value.to_message()
    assert "Connection refused" in info.value.to_message()


def test_untrusted_identity_platform_points_at_ca_path():
    from azure.core.exceptions import ServiceRequestError
    error = ServiceRequestError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate")
    provider = _auth.TokenProvider(FakeCredential(error=error), settings())
    with pytest.raises(_auth.TransportError) as info:
        asyncio.run(provider.get("s"))
    assert "ca_path" in info.value.to_message()


def test_unknown_tenant_seen_by_msal_discovery():
    line, hint = _auth.describe_auth_error(
        "Authentication failed: Unable to get authority configuration for https://login.test/nosuch.example.com. "
        "Authority would typically be in a format of https://login.microsoftonline.com/your_tenant")
    assert "does not know this tenant" in line
    assert "tenant_id" in hint and "cloud" in hint


def test_tls_failure_during_sign_in_points_at_ca_path():
    line, hint = _auth.describe_auth_error(
        "Authentication failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
        "issuer certificate (_ssl.c:1006)")
    assert line.startswith("[SSL: CERTIFICATE_VERIFY_FAILED]")
    assert "ca_path" in hint
