"""Key material kept in the state directory.

* A CA (trustme) and a TLS server certificate for ``localhost`` / ``127.0.0.1``;
  ``ca.pem`` is what clients pass as ``verify``.
* Per app: a self-signed client certificate as PEM (cert + unencrypted key), PKCS#12
  (password protected) and PEM with an encrypted key.
* The access-token signing key (RS256; published on the jwks endpoint).
* The "external identity provider" key that signs federated (workload identity) tokens.

Everything is generated once and reused on later starts, so credentials stay stable.
"""
import datetime as _dt
import hashlib
import os
import ssl

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from . import jose
from .apps import APPS, FEDERATED_AUDIENCE, FEDERATED_ISSUER, TENANT_ID
from .util import atomic_write, b64url_encode


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key, password=None):
    enc = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _load_key(path):
    with open(path, "rb") as fh:
        return serialization.load_pem_private_key(fh.read(), password=None)


def _self_signed(key, common_name):
    now = _dt.datetime.now(_dt.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1))
        .not_valid_after(now + _dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class AppCredential:
    def __init__(self, app, cert, paths):
        self.app = app
        self.cert = cert
        self.public_key = cert.public_key()
        self.x5t, self.x5t_s256 = jose.cert_thumbprints(cert)
        der = cert.public_bytes(serialization.Encoding.DER)
        self.thumbprint_hex = hashlib.sha1(der).hexdigest().upper()
        self.paths = paths


class KeyMaterial:
    def __init__(self, state_dir):
        self.dir = os.path.abspath(state_dir)
        self.ca_path = os.path.join(self.dir, "ca.pem")
        self.ca_key_path = os.path.join(self.dir, "ca-key.pem")
        self.server_pem_path = os.path.join(self.dir, "server.pem")
        self.signing_key_path = os.path.join(self.dir, "token-signing-key.pem")
        self.idp_key_path = os.path.join(self.dir, "idp-key.pem")
        self.app_credentials = {}
        self.signing_key = None
        self.signing_kid = None
        self.idp_key = None
        self.idp_kid = None

    # -- set-up ---------------------------------------------------------------------
    def ensure(self):
        os.makedirs(self.dir, exist_ok=True)
        self._ensure_tls()
        self.signing_key = self._ensure_key(self.signing_key_path)
        self.signing_kid = self._kid(self.signing_key)
        self.idp_key = self._ensure_key(self.idp_key_path)
        self.idp_kid = self._kid(self.idp_key)
        for name, app in APPS.items():
            self.app_credentials[name] = self._ensure_app(app)
        return self

    def _kid(self, key):
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return b64url_encode(hashlib.sha1(der).digest())

    def _ensure_key(self, path):
        if os.path.exists(path):
            return _load_key(path)
        key = _new_key()
        atomic_write(path, _key_pem(key))
        return key

    def _ensure_tls(self):
        if os.path.exists(self.ca_path) and os.path.exists(self.server_pem_path):
            return
        ca = trustme.CA(organization_name="m365sim test CA")
        leaf = ca.issue_cert("localhost", "127.0.0.1", "::1")
        atomic_write(self.ca_path, ca.cert_pem.bytes(), mode=0o644)
        atomic_write(self.ca_key_path, ca.private_key_pem.bytes())
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        atomic_write(self.server_pem_path, leaf.private_key_pem.bytes() + chain)

    def _ensure_app(self, app):
        base = os.path.join(self.dir, "app-" + app.name)
        paths = {
            "pem": base + ".pem",
            "pfx": base + ".pfx",
            "encrypted_pem": base + "-encrypted.pem",
            "key": base + "-key.pem",
            "federated_token": os.path.join(self.dir, "federated-token-" + app.name + ".jwt"),
        }
        if all(os.path.exists(paths[k]) for k in ("pem", "pfx", "encrypted_pem", "key")):
            with open(paths["pem"], "rb") as fh:
                cert = x509.load_pem_x509_certificate(fh.read())
            return AppCredential(app, cert, paths)
        key = _new_key()
        cert = _self_signed(key, "m365sim-" + app.name)
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        atomic_write(paths["key"], _key_pem(key))
        atomic_write(paths["pem"], cert_pem + _key_pem(key))
        atomic_write(paths["encrypted_pem"], cert_pem + _key_pem(key, app.pem_password))
        pfx = pkcs12.serialize_key_and_certificates(
            name=("m365sim-" + app.name).encode(),
            key=key,
            cert=cert,
            cas=None,
            encryption_algorithm=serialization.BestAvailableEncryption(app.pfx_password.encode()),
        )
        atomic_write(paths["pfx"], pfx)
        return AppCredential(app, cert, paths)

    # -- use ------------------------------------------------------------------------
    def ssl_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.server_pem_path)
        return ctx

    def write_federated_tokens(self, lifetime=86400):
        """(Re)write one federated JWT per app, signed by the external IdP key."""
        import time
        import uuid

        now = int(time.time())
        for name, cred in self.app_credentials.items():
            claims = {
                "iss": FEDERATED_ISSUER,
                "sub": cred.app.federated_subject,
                "aud": FEDERATED_AUDIENCE,
                "iat": now,
                "nbf": now - 60,
                "exp": now + lifetime,
                "jti": str(uuid.uuid4()),
                "tid": TENANT_ID,
            }
            token = jose.encode(claims, self.idp_key, "RS256", {"kid": self.idp_kid})
            atomic_write(cred.paths["federated_token"], token)

    def federated_token(self, name, lifetime=86400, **overrides):
        """A fresh federated token (used by tests to craft mismatching assertions)."""
        import time
        import uuid

        now = int(time.time())
        cred = self.app_credentials[name]
        claims = {
            "iss": FEDERATED_ISSUER,
            "sub": cred.app.federated_subject,
            "aud": FEDERATED_AUDIENCE,
            "iat": now,
            "nbf": now - 60,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return jose.encode(claims, self.idp_key, "RS256", {"kid": self.idp_kid})
