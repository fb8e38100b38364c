"""Identity platform: OpenID discovery, instance discovery, JWKS, the v2.0 (and v1.0)
token endpoint for the client-credentials grant, and access-token validation for the
protected services.

Client authentication: client secret (form field or HTTP Basic), certificate
(``client_assertion`` RS256/PS256 signed by the registered certificate, located by
``x5t`` / ``x5t#S256``) and federated credentials (assertion signed by the simulated
external IdP whose iss/sub/aud must match the app's federated identity credential).
Errors use Entra's body shape and AADSTS codes.
"""
import base64
import hmac
import time
import uuid
from urllib.parse import parse_qsl, unquote, urlparse

from . import jose
from .apps import (
    DEFAULT_DOMAIN,
    FEDERATED_AUDIENCE,
    FEDERATED_ISSUER,
    INITIAL_DOMAIN,
    MAIL_ROUTING_DOMAIN,
    TENANT_DISPLAY_NAME,
    TENANT_ID,
    app_by_client_id,
)
from .util import iso_from_epoch
from .wire import PLAIN_JSON, Response, entra_error

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
VERIFIED_DOMAINS = (INITIAL_DOMAIN, DEFAULT_DOMAIN, MAIL_ROUTING_DOMAIN)
CLOCK_SKEW = 300  # seconds tolerated on client assertions' nbf (as Entra does)


class AuthFailure(Exception):
    """Access-token validation failed; ``message`` is Graph's wording."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.message = message
        self.reason = reason


def resolve_tenant(segment):
    """Tenant GUID for a tenant path segment (GUID or verified domain), else None."""
    if not segment:
        return None
    s = segment.lower()
    if s == TENANT_ID or s in VERIFIED_DOMAINS:
        return TENANT_ID
    return None


class Identity:
    def __init__(self, sim):
        self.sim = sim

    # -- helpers --------------------------------------------------------------------------
    @property
    def keys(self):
        return self.sim.keys

    def resources(self):
        port = self.sim.port
        return {"https://localhost:%d" % port, "https://127.0.0.1:%d" % port}

    def token_endpoints(self):
        port = self.sim.port
        out = set()
        for host in ("localhost", "127.0.0.1"):
            for tenant in (TENANT_ID,) + VERIFIED_DOMAINS:
                for path in ("oauth2/v2.0/token", "oauth2/token"):
                    out.add("https://%s:%d/%s/%s" % (host, port, tenant, path))
        return out

    # -- routing ---------------------------------------------------------------------------
    def handle(self, req):
        parts = [p for p in req.path.split("/") if p != ""]
        if not parts:
            return None
        tenant_seg = parts[0]
        rest = "/".join(parts[1:]).lower()
        if req.method == "GET" and tenant_seg.lower() == "common" and rest == "discovery/instance":
            return self.instance_discovery(req)
        if req.method == "GET" and rest in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
            return self.openid_configuration(req, tenant_seg, v2=rest.startswith("v2.0"))
        if req.method == "GET" and rest in ("discovery/v2.0/keys", "discovery/keys"):
            return self.jwks(req, tenant_seg)
        if rest in ("oauth2/v2.0/token", "oauth2/token"):
            if req.method != "POST":
                return entra_error(400, "invalid_request", 900561,
                                   "The endpoint only accepts POST requests. Received a %s request." % req.method, req)
            return self.token(req, tenant_seg, v1=(rest == "oauth2/token"))
        return None

    @staticmethod
    def is_identity_path(path):
        parts = [p for p in path.split("/") if p]
        if len(parts) < 2:
            return False
        rest = "/".join(parts[1:]).lower()
        return rest in (
            "v2.0/.well-known/openid-configuration",
            ".well-known/openid-configuration",
            "discovery/v2.0/keys",
            "discovery/keys",
            "oauth2/v2.0/token",
            "oauth2/token",
            "discovery/instance",
        )

    # -- discovery ---------------------------------------------------------------------------
    def openid_configuration(self, req, tenant_seg, v2=True):
        origin = req.origin
        special = tenant_seg.lower() in ("common", "organizations", "consumers")
        tid = resolve_tenant(tenant_seg)
        if tid is None and not special:
            return entra_error(
                400, "invalid_tenant", 90002,
                "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the "
                "correct cloud. Check with your subscription administrator, this may happen if there are no active "
                "subscriptions for the tenant." % tenant_seg, req,
            )
        path_tenant = tenant_seg if special else tid
        issuer_tenant = "{tenantid}" if special else tid
        suffix = "/v2.0" if v2 else ""
        oauth = "oauth2/v2.0" if v2 else "oauth2"
        host = urlparse(origin).netloc
        doc = {
            "token_endpoint": "%s/%s/%s/token" % (origin, path_tenant, oauth),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": "%s/%s/discovery%s/keys" % (origin, path_tenant, "/v2.0" if v2 else ""),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": "%s/%s%s" % (origin, issuer_tenant, suffix) if v2 else "%s/%s/" % (origin, issuer_tenant),
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "%s/oidc/userinfo" % origin,
            "authorization_endpoint": "%s/%s/%s/authorize" % (origin, path_tenant, oauth),
            "device_authorization_endpoint": "%s/%s/%s/devicecode" % (origin, path_tenant, oauth),
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": "%s/%s/%s/logout" % (origin, path_tenant, oauth),
            "claims_supported": [
                "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
                "tid", "ver", "at_hash", "c_hash", "email",
            ],
            "kerberos_endpoint": "%s/%s/kerberos" % (origin, path_tenant),
            "tenant_region_scope": None if special else "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": host,
            "rbac_url": "https://pas.windows.net",
        }
        if special:
            doc["tenant_region_scope"] = None
        return Response(200, obj=doc, content_type=PLAIN_JSON,
                        headers={"Cache-Control": "max-age=86400, private", "Access-Control-Allow-Origin": "*"})

    def instance_discovery(self, req):
        params = dict(req.query())
        auth_ep = params.get("authorization_endpoint", "")
        parsed = urlparse(auth_ep) if auth_ep else None
        segs = [p for p in (parsed.path if parsed else "").split("/") if p]
        tenant = segs[0] if segs else "common"
        host = urlparse(req.origin).netloc
        body = {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (req.origin, tenant),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
        return Response(200, obj=body, content_type=PLAIN_JSON, headers={"Cache-Control": "max-age=86400, private"})

    def jwks(self, req, tenant_seg):
        if resolve_tenant(tenant_seg) is None and tenant_seg.lower() not in ("common", "organizations"):
            return entra_error(400, "invalid_tenant", 90002, "Tenant '%s' not found." % tenant_seg, req)
        key = jose.rsa_jwk(self.keys.signing_key.public_key(), self.keys.signing_kid)
        key["issuer"] = "%s/%s/v2.0" % (req.origin, TENANT_ID)
        return Response(200, obj={"keys": [key]}, content_type=PLAIN_JSON,
                        headers={"Cache-Control": "max-age=86400, private"})

    # -- token endpoint ---------------------------------------------------------------------
    def token(self, req, tenant_seg, v1=False):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        form = {}
        if ctype == "application/x-www-form-urlencoded":
            try:
                for k, v in parse_qsl(req.body.decode("utf-8"), keep_blank_values=True):
                    form.setdefault(k, v)
            except UnicodeDecodeError:
                form = {}
        special = tenant_seg.lower() in ("common", "organizations", "consumers")
        tid = resolve_tenant(tenant_seg)
        if tid is None and not special:
            return entra_error(
                400, "invalid_request", 90002,
                "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the "
                "correct cloud. Check with your subscription administrator, this may happen if there are no active "
                "subscriptions for the tenant." % tenant_seg, req,
            )
        grant = form.get("grant_type")
        if not grant:
            return entra_error(400, "invalid_request", 900144,
                               "The request body must contain the following parameter: 'grant_type'.", req)
        if grant != "client_credentials":
            return entra_error(
                400, "unsupported_grant_type", 70003,
                "The app requested an unsupported grant type '%s'. The simulator implements the "
                "client_credentials grant only." % grant, req,
            )
        # HTTP Basic client authentication (RFC 6749 2.3.1: form-urlencoded id and secret).
        basic_id = basic_secret = None
        authz = req.headers.get("Authorization") or ""
        if authz[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authz[6:].strip()).decode("utf-8")
                raw_id, _sep, raw_secret = decoded.partition(":")
                basic_id, basic_secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
            except Exception:  # noqa: BLE001
                return entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.", req)
        client_id = form.get("client_id") or basic_id
        assertion = form.get("client_assertion")
        secret = form.get("client_secret") if "client_secret" in form else basic_secret
        if not client_id and assertion:
            try:
                _header, claims, _signing_input, _signature = jose.split(assertion)
                client_id = claims.get("sub") if claims.get("iss") == claims.get("sub") else None
            except jose.JWTError:
                client_id = None
        if not client_id:
            return entra_error(400, "invalid_request", 900144,
                               "The request body must contain the following parameter: 'client_id'.", req)
        if special:
            return entra_error(
                400, "invalid_request", 50059,
                "No tenant-identifying information found in either the request or implied by any provided "
                "credentials.", req,
            )
        app = app_by_client_id(client_id)
        if app is None:
            return entra_error(
                400, "unauthorized_client", 700016,
                "Application with identifier '%s' was not found in the directory '%s'. This can happen if the "
                "application has not been installed by the administrator of the tenant or consented to by any user "
                "in the tenant. You may have sent your authentication request to the wrong tenant."
                % (client_id, TENANT_DISPLAY_NAME), req,
            )
        if assertion is not None:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return entra_error(
                    400, "invalid_request", 700023,
                    "The 'client_assertion_type' parameter must be '%s' when a client_assertion is sent."
                    % ASSERTION_TYPE, req,
                )
            failure = self.check_assertion(req, app, assertion)
            if failure is not None:
                return failure
            method = "assertion"
        elif secret is not None:
            if not hmac.compare_digest(secret.encode("utf-8"), app.client_secret.encode("utf-8")):
                return entra_error(
                    401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                    "value, not the client secret ID, for a secret added to app '%s'." % app.client_id, req,
                )
            method = "secret"
        else:
            return entra_error(
                401, "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", req,
            )
        # Scope / resource
        if v1:
            resource = (form.get("resource") or "").rstrip("/")
            if not resource:
                return entra_error(400, "invalid_request", 900144,
                                   "The request body must contain the following parameter: 'resource'.", req)
        else:
            scope = form.get("scope")
            if not scope:
                return entra_error(400, "invalid_request", 900144,
                                   "The request body must contain the following parameter: 'scope'.", req)
            scopes = scope.split()
            defaults = [s for s in scopes if s.endswith("/.default")]
            if len(scopes) != 1:
                return entra_error(
                    400, "invalid_scope", 70011,
                    "The provided request must include a 'scope' input parameter. The provided value for the input "
                    "parameter 'scope' is not valid. The scope %s is not valid. Only one resource may be requested "
                    "with the client credentials grant." % scope, req,
                )
            if not defaults:
                return entra_error(
                    400, "invalid_scope", 1002012,
                    "The provided value for scope %s is not valid. Client credential flows must have a scope value "
                    "with /.default suffixed to the resource identifier (application ID URI)." % scope, req,
                )
            resource = scope[: -len("/.default")].rstrip("/")
        if resource not in self.resources():
            return entra_error(
                400, "invalid_resource", 500011,
                "The resource principal named %s was not found in the tenant named %s. This can happen if the "
                "application has not been installed by the administrator of the tenant or consented to by any user "
                "in the tenant. You might have sent your authentication request to the wrong tenant."
                % (resource, TENANT_DISPLAY_NAME), req,
            )
        lifetime = int(self.sim.config["token_lifetime"])
        token, claims = self.issue(app, resource, method)
        if v1:
            body = {
                "token_type": "Bearer",
                "expires_in": str(lifetime),
                "ext_expires_in": str(lifetime),
                "expires_on": str(claims["exp"]),
                "not_before": str(claims["nbf"]),
                "resource": resource,
                "access_token": token,
            }
        else:
            body = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        self.sim.stats.note_token(app.name, method)
        return Response(200, obj=body, content_type=PLAIN_JSON,
                        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def check_assertion(self, req, app, assertion):
        try:
            header, claims, signing_input, signature = jose.split(assertion)
        except jose.JWTError as exc:
            return entra_error(401, "invalid_client", 700027,
                               "Client assertion failed signature validation. [Reason - %s]" % exc, req)
        now = time.time()
        iss = claims.get("iss")
        if iss == app.client_id or (isinstance(iss, str) and iss.lower() == app.client_id):
            return self._check_certificate_assertion(req, app, header, claims, signing_input, signature, now)
        if iss is not None and app_by_client_id(iss) is not None:
            return entra_error(
                401, "invalid_client", 700021,
                "Client assertion application identifier doesn't match 'client_id' parameter. Review the "
                "documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/"
                "active-directory-certificate-credentials .", req,
            )
        return self._check_federated_assertion(req, app, header, claims, signing_input, signature, now)

    def _time_failure(self, req, claims, now, skew):
        exp = claims.get("exp")
        nbf = claims.get("nbf", claims.get("iat"))
        if not isinstance(exp, (int, float)) or exp <= now or (isinstance(nbf, (int, float)) and nbf > now + skew):
            return entra_error(
                401, "invalid_client", 700024,
                "Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, "
                "expiry time of assertion %s. Review the documentation at "
                "https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
                % (
                    iso_from_epoch(now),
                    iso_from_epoch(nbf) if isinstance(nbf, (int, float)) else "null",
                    iso_from_epoch(exp) if isinstance(exp, (int, float)) else "null",
                ),
                req,
            )
        return None

    def _check_certificate_assertion(self, req, app, header, claims, signing_input, signature, now):
        if str(claims.get("sub", "")).lower() != app.client_id:
            return entra_error(
                401, "invalid_client", 700021,
                "Client assertion application identifier doesn't match 'client_id' parameter. Review the "
                "documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/"
                "active-directory-certificate-credentials .", req,
            )
        cred = self.keys.app_credentials[app.name]
        # base64url with or without '=' padding (MSAL keeps the padding).
        x5t = header.get("x5t").rstrip("=") if isinstance(header.get("x5t"), str) else None
        x5t256 = header.get("x5t#S256").rstrip("=") if isinstance(header.get("x5t#S256"), str) else None
        used = x5t256 or x5t
        if header.get("alg") not in ("RS256", "PS256"):
            return entra_error(
                401, "invalid_client", 700027,
                "Client assertion failed signature validation. [Reason - '%s' is not a supported signature "
                "algorithm. Supported signing algorithms are: 'RS256, PS256'.]" % header.get("alg"), req,
            )
        if not ((x5t and x5t == cred.x5t) or (x5t256 and x5t256 == cred.x5t_s256)):
            return entra_error(
                401, "invalid_client", 700027,
                "The certificate with identifier used to sign the client assertion is not registered on application. "
                "[Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure "
                "Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'. Review the "
                "documentation at https://docs.microsoft.com/en-us/graph/deployments#app-registration-and-token-"
                "service-root-endpoints to learn about certificate credential]" % (_thumb_hex(used), app.client_id),
                req,
            )
        if not jose.verify_signature(header, signing_input, signature, cred.public_key):
            return entra_error(
                401, "invalid_client", 700027,
                "Client assertion contains an invalid signature. [Reason - The key was found but the signature "
                "could not be verified., Thumbprint of key used by client: '%s', Found key 'Start=..., End=...']"
                % cred.thumbprint_hex, req,
            )
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        endpoints = self.token_endpoints()
        if not any(isinstance(a, str) and a in endpoints for a in auds):
            return entra_error(
                401, "invalid_client", 700027,
                "Client assertion failed signature validation. [Reason - The audience claim '%s' of the client "
                "assertion does not match the token endpoint of this tenant.]" % aud, req,
            )
        return self._time_failure(req, claims, now, CLOCK_SKEW)

    def _check_federated_assertion(self, req, app, header, claims, signing_input, signature, now):
        if header.get("kid") != self.keys.idp_kid or not jose.verify_signature(
            header, signing_input, signature, self.keys.idp_key.public_key()
        ):
            return entra_error(
                401, "invalid_client", 700027,
                "Client assertion failed signature validation. [Reason - The key was not found.]", req,
            )
        iss, sub, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        hint = " Check your federated identity credential Subject, Audience and Issuer against the presented assertion. " \
               "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
        if iss != FEDERATED_ISSUER:
            return entra_error(401, "invalid_client", 700211,
                               "No matching federated identity record found for presented assertion issuer '%s'.%s"
                               % (iss, hint), req)
        if FEDERATED_AUDIENCE not in auds:
            return entra_error(401, "invalid_client", 700212,
                               "No matching federated identity record found for presented assertion audience '%s'.%s"
                               % (aud, hint), req)
        if sub != app.federated_subject:
            return entra_error(401, "invalid_client", 700213,
                               "No matching federated identity record found for presented assertion subject '%s'.%s"
                               % (sub, hint), req)
        return self._time_failure(req, claims, now, 0)

    def issue(self, app, resource, method):
        now = int(time.time())
        lifetime = int(self.sim.config["token_lifetime"])
        claims = {
            "aud": resource,
            "iss": "https://sts.windows.net/%s/" % TENANT_ID,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "aio": base64.b64encode(uuid.uuid4().bytes).decode(),
            "app_displayname": app.display_name,
            "appid": app.client_id,
            "appidacr": "1" if method == "secret" else "2",
            "idp": "https://sts.windows.net/%s/" % TENANT_ID,
            "idtyp": "app",
            "oid": app.service_principal_id,
            "sub": app.service_principal_id,
            "tenant_region_scope": "NA",
            "tid": TENANT_ID,
            "uti": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
            "ver": "1.0",
        }
        if app.roles:
            claims["roles"] = list(app.roles)
        if app.wids:
            claims["wids"] = list(app.wids)
        token = jose.encode(claims, self.keys.signing_key, "RS256",
                            {"kid": self.keys.signing_kid, "x5t": self.keys.signing_kid})
        return token, claims

    # -- validation of bearer tokens -----------------------------------------------------------
    def _signature_ok(self, token, header, signing_input, signature):
        """RS256 check, remembered for the few tokens in use: every item of a $batch carries the
        envelope's token, and one RSA verification per item made the simulator's CPU time per
        request, not the client, the limit of tenant-scale benchmarks. Expiry, audience and
        tenant are still checked on every request."""
        cache = self.__dict__.setdefault("_verified", {})
        key = (self.keys.signing_kid, token)
        if key in cache:
            return True
        if not jose.verify_signature(header, signing_input, signature, self.keys.signing_key.public_key()):
            return False
        if len(cache) >= 64:
            cache.clear()
        cache[key] = True
        return True

    def authenticate(self, req):
        """Return (app, claims) for the request's bearer token or raise AuthFailure."""
        authz = req.headers.get("Authorization")
        if not authz or not authz.strip():
            raise AuthFailure("Access token is empty.", "missing")
        scheme, _sep, token = authz.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthFailure("Access token is empty.", "missing")
        try:
            header, claims, signing_input, signature = jose.split(token)
        except jose.JWTError:
            raise AuthFailure(
                "IDX14100: JWT is not well formed, there are no dots (.).\n"
                "The token needs to be in JWS or JWE Compact Serialization Format. (JWS): "
                "'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): "
                "'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext."
                "EncodedAuthenticationTag'.", "malformed") from None
        if header.get("kid") != self.keys.signing_kid or not self._signature_ok(token, header, signing_input, signature):
            raise AuthFailure("Access token validation failure. Invalid signature.", "signature")
        now = time.time()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, (int, float)) or now >= exp or (isinstance(nbf, (int, float)) and now < nbf):
            raise AuthFailure("Access token has expired or is not yet valid.", "expired")
        if claims.get("aud") not in self.resources():
            raise AuthFailure("Access token validation failure. Invalid audience.", "audience")
        if claims.get("tid") != TENANT_ID:
            raise AuthFailure("Access token validation failure. Invalid tenant.", "tenant")
        app = app_by_client_id(claims.get("appid"))
        if app is None:
            raise AuthFailure("Access token validation failure. Unknown application.", "app")
        return app, claims


def _thumb_hex(b64):
    if not b64:
        return ""
    try:
        from .util import b64url_decode

        return b64url_decode(b64).hex().upper()
    except Exception:  # noqa: BLE001
        return str(b64)
