"""Identity platform: discovery, token endpoint errors in Entra's shape, real azure-identity
credentials (secret, certificate PEM/PFX/encrypted PEM, workload identity), hand-made client
assertions (RS256 + x5t, PS256 + x5t#S256) and access-token validation/expiry."""
import base64
import time
import uuid

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential, WorkloadIdentityCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from m365sim import jose
from m365sim.apps import ROLE_EXCHANGE_ADMIN, ROLE_GLOBAL_READER


def _claims(token):
    _header, claims, _signing_input, _signature = jose.split(token)
    return claims


def _kw(sim):
    return dict(authority=sim.url, disable_instance_discovery=True, connection_verify=sim.ca)


def test_openid_configuration_by_guid_domain_and_common(sim):
    for tenant in (sim.tid, "contoso.onmicrosoft.com", "contoso.com"):
        r = sim.http.get("%s/%s/v2.0/.well-known/openid-configuration" % (sim.url, tenant))
        assert r.status_code == 200
        doc = r.json()
        assert doc["issuer"] == "%s/%s/v2.0" % (sim.url, sim.tid)
        assert doc["token_endpoint"] == "%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid)
        assert doc["authorization_endpoint"].endswith("/oauth2/v2.0/authorize")
        assert doc["jwks_uri"].startswith(sim.url)
        for extra in ("tenant_region_scope", "cloud_instance_name", "msgraph_host", "cloud_graph_host_name"):
            assert extra in doc
        assert "max-age=86400" in r.headers["Cache-Control"]
    r = sim.http.get("%s/organizations/v2.0/.well-known/openid-configuration" % sim.url)
    assert r.status_code == 200
    assert r.json()["issuer"] == "%s/{tenantid}/v2.0" % sim.url
    keys = sim.http.get(r.json()["jwks_uri"]).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA"


def test_unknown_tenant_discovery_and_token(sim):
    r = sim.http.get("%s/nosuch.onmicrosoft.com/v2.0/.well-known/openid-configuration" % sim.url)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nosuch.onmicrosoft.com' not found.")
    assert body["error_codes"] == [90002]
    for key in ("timestamp", "trace_id", "correlation_id"):
        assert key in body
    a = sim.info["apps"]["admin"]
    r = sim.http.post("%s/nosuch.example/oauth2/v2.0/token" % sim.url, data={
        "grant_type": "client_credentials", "client_id": a["client_id"], "client_secret": a["client_secret"],
        "scope": sim.url + "/.default"})
    assert r.status_code == 400 and r.json()["error_codes"] == [90002]


def test_instance_discovery_is_tolerated(sim):
    r = sim.http.get("%s/common/discovery/instance" % sim.url, params={
        "api-version": "1.1", "authorization_endpoint": "%s/%s/oauth2/v2.0/authorize" % (sim.url, sim.tid)})
    assert r.status_code == 200
    assert r.json()["tenant_discovery_endpoint"].endswith("/%s/v2.0/.well-known/openid-configuration" % sim.tid)


def test_client_secret_credential_and_token_claims(sim):
    a = sim.info["apps"]["admin"]
    cred = ClientSecretCredential(sim.tid, a["client_id"], a["client_secret"], **_kw(sim))
    tok = cred.get_token(sim.url + "/.default")
    claims = _claims(tok.token)
    assert claims["aud"] == sim.url
    assert claims["tid"] == sim.tid and claims["appid"] == a["client_id"]
    assert "Policy.ReadWrite.AuthenticationMethod" in claims["roles"] and "Exchange.ManageAsApp" in claims["roles"]
    assert claims["wids"] == [ROLE_EXCHANGE_ADMIN]
    assert claims["exp"] - claims["iat"] == 3599
    r = sim.http.get(sim.url + "/v1.0/users?$top=1", headers={"Authorization": "Bearer " + tok.token})
    assert r.status_code == 200


def test_token_response_shape_and_basic_auth(sim):
    a = sim.info["apps"]["reader"]
    basic = base64.b64encode(("%s:%s" % (a["client_id"], a["client_secret"])).encode()).decode()
    r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, "contoso.onmicrosoft.com"),
                      data={"grant_type": "client_credentials", "scope": "https://127.0.0.1:%d/.default" % sim.info["port"]},
                      headers={"Authorization": "Basic " + basic})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and isinstance(body["ext_expires_in"], int)
    claims = _claims(body["access_token"])
    assert claims["wids"] == [ROLE_GLOBAL_READER]
    assert "Policy.ReadWrite.AuthenticationMethod" not in claims["roles"]
    noperm = sim.info["apps"]["noperm"]
    r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), data={
        "grant_type": "client_credentials", "client_id": noperm["client_id"], "client_secret": noperm["client_secret"],
        "scope": sim.url + "/.default"})
    assert r.status_code == 200 and "roles" not in _claims(r.json()["access_token"])


def test_wrong_secret_raises_client_authentication_error(sim):
    a = sim.info["apps"]["admin"]
    cred = ClientSecretCredential(sim.tid, a["client_id"], "not-the-secret", **_kw(sim))
    with pytest.raises(ClientAuthenticationError) as err:
        cred.get_token(sim.url + "/.default")
    assert "AADSTS7000215" in str(err.value)
    r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), data={
        "grant_type": "client_credentials", "client_id": a["client_id"], "client_secret": "nope",
        "scope": sim.url + "/.default"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.json()["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_unknown_client_and_bad_scopes(sim):
    base = {"grant_type": "client_credentials", "client_id": str(uuid.uuid4()), "client_secret": "x",
            "scope": sim.url + "/.default"}
    r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), data=base)
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    assert r.json()["error_description"].startswith("AADSTS700016: Application with identifier '%s' was not found"
                                                    % base["client_id"])
    a = sim.info["apps"]["admin"]
    good = dict(base, client_id=a["client_id"], client_secret=a["client_secret"])
    cases = [
        ("https://graph.microsoft.com/.default", 400, "invalid_resource", 500011),
        (sim.url + "/User.Read.All", 400, "invalid_scope", 1002012),
        ("%s/.default https://graph.microsoft.com/.default" % sim.url, 400, "invalid_scope", 70011),
    ]
    for scope, status, error, code in cases:
        r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), data=dict(good, scope=scope))
        assert (r.status_code, r.json()["error"], r.json()["error_codes"]) == (status, error, [code]), scope
    r = sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), data=dict(good, grant_type="password"))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("variant", ["pem", "pfx", "encrypted_pem"])
def test_certificate_credential(sim, variant):
    a = sim.info["apps"]["admin"]
    if variant == "pem":
        cred = CertificateCredential(sim.tid, a["client_id"], a["certificate_pem_path"], **_kw(sim))
    elif variant == "pfx":
        cred = CertificateCredential(sim.tid, a["client_id"], a["certificate_pfx_path"],
                                     password=a["certificate_pfx_password"], **_kw(sim))
    else:
        cred = CertificateCredential(sim.tid, a["client_id"], a["certificate_encrypted_pem_path"],
                                     password=a["certificate_encrypted_pem_password"], **_kw(sim))
    tok = cred.get_token(sim.url + "/.default")
    assert _claims(tok.token)["appidacr"] == "2"


def test_workload_identity_federated_credential(sim):
    a = sim.info["apps"]["reader"]
    cred = WorkloadIdentityCredential(tenant_id=sim.tid, client_id=a["client_id"],
                                      token_file_path=a["federated_token_path"], **_kw(sim))
    tok = cred.get_token(sim.url + "/.default")
    assert _claims(tok.token)["appid"] == a["client_id"]


def _load_app_key(info, app):
    with open(info["apps"][app]["certificate_pem_path"], "rb") as fh:
        data = fh.read()
    return serialization.load_pem_private_key(data, None), x509.load_pem_x509_certificate(data)


def _assertion(sim, app="admin", alg="RS256", key=None, cert=None, aud=None, exp_delta=600, x5t_kind="sha1"):
    own_key, own_cert = _load_app_key(sim.info, app)
    key = key or own_key
    cert = cert or own_cert
    der = cert.public_bytes(serialization.Encoding.DER)
    headers = {}
    if x5t_kind == "sha1":
        headers["x5t"] = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).decode()  # padded, like MSAL
    else:
        headers["x5t#S256"] = jose.b64url_encode(cert.fingerprint(hashes.SHA256()))
    assert der
    now = int(time.time())
    client_id = sim.info["apps"][app]["client_id"]
    claims = {"aud": aud or "%s/%s/oauth2/v2.0/token" % (sim.url, sim.tid), "iss": client_id, "sub": client_id,
              "jti": str(uuid.uuid4()), "nbf": now, "iat": now, "exp": now + exp_delta}
    return jose.encode(claims, key, alg, headers)


def _assertion_token(sim, assertion, app="admin", tenant=None):
    return sim.http.post("%s/%s/oauth2/v2.0/token" % (sim.url, tenant or sim.tid), data={
        "grant_type": "client_credentials", "client_id": sim.info["apps"][app]["client_id"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion, "scope": sim.url + "/.default"})


def test_handmade_assertions_rs256_ps256_and_failures(sim):
    assert _assertion_token(sim, _assertion(sim)).status_code == 200
    assert _assertion_token(sim, _assertion(sim, alg="PS256", x5t_kind="sha256")).status_code == 200
    # tenant-domain form of the audience is accepted as well
    aud = "%s/contoso.onmicrosoft.com/oauth2/v2.0/token" % sim.url
    assert _assertion_token(sim, _assertion(sim, aud=aud), tenant="contoso.onmicrosoft.com").status_code == 200

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = _assertion_token(sim, _assertion(sim, key=other))  # right x5t, wrong key
    assert r.status_code == 401 and r.json()["error"] == "invalid_client" and r.json()["error_codes"] == [700027]
    _reader_key, reader_cert = _load_app_key(sim.info, "reader")
    r = _assertion_token(sim, _assertion(sim, cert=reader_cert))  # certificate of another app
    assert r.status_code == 401 and r.json()["error_codes"] == [700027]
    assert "not registered on application" in r.json()["error_description"]
    r = _assertion_token(sim, _assertion(sim, aud="https://login.microsoftonline.com/x/oauth2/v2.0/token"))
    assert r.status_code == 401 and r.json()["error_codes"] == [700027]
    r = _assertion_token(sim, _assertion(sim, exp_delta=-60))
    assert r.status_code == 401 and r.json()["error_codes"] == [700024]
    r = _assertion_token(sim, "not-a-jwt")
    assert r.status_code == 401 and r.json()["error_codes"] == [700027]


def test_federated_assertion_mismatch(sim):
    from m365sim.certs import KeyMaterial

    keys = KeyMaterial(sim.info["ca_path"].rsplit("/", 1)[0]).ensure()
    good = keys.federated_token("admin")
    assert _assertion_token(sim, good).status_code == 200
    r = _assertion_token(sim, keys.federated_token("admin", sub="system:serviceaccount:other:sa"))
    assert r.status_code == 401 and r.json()["error_codes"] == [700213]
    r = _assertion_token(sim, keys.federated_token("admin", aud="api://Other"))
    assert r.json()["error_codes"] == [700212]
    r = _assertion_token(sim, keys.federated_token("admin", iss="https://evil.example"))
    assert r.json()["error_codes"] == [700211]
    r = _assertion_token(sim, keys.federated_token("admin"), app="reader")  # subject of another app
    assert r.json()["error_codes"] == [700213]


def test_missing_invalid_and_expired_access_tokens(sim):
    r = sim.graph("GET", "users", app=None)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    r = sim.graph("GET", "users", app=None, headers={"Authorization": "Bearer abc"})
    assert r.status_code == 401 and r.json()["error"]["message"].startswith("IDX14100")
    token = sim.token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    r = sim.graph("GET", "users", app=None, headers={"Authorization": "Bearer " + forged})
    assert r.status_code == 401

    sim.config(token_lifetime=2)
    short = sim.token(fresh=True)
    assert _claims(short)["exp"] - _claims(short)["iat"] == 2
    h = {"Authorization": "Bearer " + short}
    assert sim.graph("GET", "users?$top=1", app=None, headers=h).status_code == 200
    time.sleep(2.2)
    r = sim.graph("GET", "users?$top=1", app=None, headers=h)
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "Access token has expired or is not yet valid."
    assert "WWW-Authenticate" in r.headers
    r = sim.http.post(sim.exo_url(), json={"CmdletInput": {"CmdletName": "Get-TransportConfig"}}, headers=h)
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    sim._tokens.clear()
