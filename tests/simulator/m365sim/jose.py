"""Minimal JWT (JWS compact) support built on ``cryptography``.

Only what the simulator needs: RS256 signing/verification, PS256 verification and
HS256, with helpers to compute certificate thumbprints the way Entra expects them.
"""
import hashlib
import hmac
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .util import b64url_decode, b64url_encode


class JWTError(Exception):
    """Malformed or unverifiable token."""


def _json_b64(obj):
    return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


def encode(claims, key, alg="RS256", headers=None):
    header = {"typ": "JWT", "alg": alg}
    if headers:
        header.update(headers)
    signing_input = (_json_b64(header) + "." + _json_b64(claims)).encode("ascii")
    if alg == "RS256":
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        sig = key.sign(
            signing_input,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
            hashes.SHA256(),
        )
    elif alg == "HS256":
        sig = hmac.new(key, signing_input, hashlib.sha256).digest()
    else:
        raise ValueError("unsupported alg " + alg)
    return signing_input.decode("ascii") + "." + b64url_encode(sig)


def split(token):
    """Return (header, claims, signing_input, signature) without verifying."""
    if not isinstance(token, str):
        raise JWTError("token is not a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("JWT is not well formed, there are no dots (.) or the wrong number of them")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except Exception as exc:  # noqa: BLE001 - any decoding problem is a malformed token
        raise JWTError("JWT is not well formed: " + str(exc)) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("JWT header or payload is not a JSON object")
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), signature


def verify_signature(header, signing_input, signature, key):
    """Verify with a public key (RSA) or shared secret (bytes) according to ``alg``."""
    alg = header.get("alg")
    try:
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            return True
        if alg == "PS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(
                signature,
                signing_input,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                hashes.SHA256(),
            )
            return True
        if alg == "HS256" and isinstance(key, (bytes, bytearray)):
            expected = hmac.new(bytes(key), signing_input, hashlib.sha256).digest()
            return hmac.compare_digest(expected, signature)
    except InvalidSignature:
        return False
    return False


def cert_thumbprints(cert):
    """(x5t, x5t#S256) of a certificate: base64url SHA-1 / SHA-256 of the DER encoding."""
    der = cert.public_bytes(_der())
    return b64url_encode(hashlib.sha1(der).digest()), b64url_encode(hashlib.sha256(der).digest())


def _der():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def rsa_jwk(public_key, kid, x5t=None):
    numbers = public_key.public_numbers()

    def _int(value):
        return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    jwk = {"kty": "RSA", "use": "sig", "kid": kid, "n": _int(numbers.n), "e": _int(numbers.e)}
    if x5t:
        jwk["x5t"] = x5t
    return jwk
