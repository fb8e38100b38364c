"""Exchange Online admin REST endpoint (reconstructed, exchange-facts.md section 6):

* ``POST /adminapi/beta/{tenant}/InvokeCommand`` with ``{"CmdletInput": {...}}``,
  optional ``?$select=``, ``Prefer: odata.maxpagesize=N`` (default/max 1000), paging by
  ``@odata.nextLink`` to which the client re-POSTs the *same* body, ``@adminapi.warnings``.
* ``POST /adminapi/beta/{tenant}/$batch`` with up to 10 InvokeCommand items.
* ``GET /adminapi/v1.0/{tenant}/EXOModuleFile`` (cmdlet manifest).

Access needs a token with the ``Exchange.ManageAsApp`` role plus an Entra role that
allows the cmdlet (Exchange/Global Administrator: everything; Global Reader: Get-*).
"""
import hashlib
import json
import re
from urllib.parse import parse_qsl, unquote, urlparse

from .apps import TENANT_ID
from .auth import AuthFailure, resolve_tenant
from .exo_cmdlets import CMDLETS
from .exo_objects import CmdletError
from .faults import exchange_exception_for
from .odata import decode_skiptoken, encode_skiptoken
from .wire import EXO_JSON, Headers, Request, Response, exo_error, exo_error_body

MAX_PAGE = 1000
PATH_RE = re.compile(r"^/adminapi/(?P<ver>[^/]+)/(?P<tenant>[^/]+)/(?P<op>[^/]+)/?$", re.IGNORECASE)


def is_exchange_path(path):
    return path.lower().startswith("/adminapi/")


def _headers(req, resp):
    resp.headers["request-id"] = req.request_id
    resp.headers["client-request-id"] = req.client_request_id
    resp.headers["Cache-Control"] = "private"
    resp.headers["X-CalculatedBETarget"] = "NAMPR12MB0001.namprd12.prod.outlook.com"
    return resp


def unauthorized(req, failure):
    resp = exo_error(401, "UnauthorizedAccessException", failure.message, "Ex401A01",
                     message="The access token is missing, invalid or expired.")
    resp.headers["WWW-Authenticate"] = (
        'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
        'trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
        'token_types="app_asserted_user_v1 service_asserted_app_v1", '
        'authorization_uri="%s/common/oauth2/authorize", error="invalid_token"' % req.origin
    )
    resp.headers["x-ms-diagnostics"] = '2000001;reason="%s";error_category="invalid_token"' % failure.message
    return resp


def role_refused(cmdlet_name):
    """A token that is valid but whose roles do not allow the cmdlet. Exchange Online answers
    this with 401, not 403, and names the cmdlet: a client that takes every 401 for an expired
    token gets a new token and is refused again."""
    return Response(401, obj={"error": {"code": "Unauthorized",
                                        "message": "User is not allowed to call %s" % cmdlet_name}},
                    content_type=EXO_JSON)


def _continue_on_error(req):
    prefer = req.headers.get("Prefer") or ""
    return any(part.strip().lower() == "odata.continue-on-error" for part in re.split(r"[;,]", prefer))


def handle(sim, req):
    m = PATH_RE.match(req.path)
    if not m:
        req.route = ("exchange", "%s /adminapi/unknown" % req.method)
        return _headers(req, exo_error(404, "ResourceNotFoundException",
                                       "The resource '%s' was not found." % req.path, "Ex404R01",
                                       message="Resource not found"))
    ver, tenant_seg, op = m.group("ver").lower(), m.group("tenant"), m.group("op")
    opl = op.lower()
    family = {"invokecommand": "POST /adminapi/InvokeCommand", "$batch": "POST /adminapi/$batch",
              "exomodulefile": "GET /adminapi/EXOModuleFile"}.get(opl, "%s /adminapi/unknown" % req.method)
    req.route = ("exchange", family)
    if opl == "exomodulefile":
        if req.method != "GET":
            return _headers(req, _method_not_allowed())
        resp = module_file(sim, req, tenant_seg)
    elif ver != "beta" or opl not in ("invokecommand", "$batch"):
        resp = exo_error(404, "ResourceNotFoundException", "The resource '%s' was not found." % req.path, "Ex404R01",
                         message="Resource not found")
    elif req.method != "POST":
        resp = _method_not_allowed()
    elif opl == "$batch":
        resp = batch(sim, req, tenant_seg)
    else:
        resp = invoke(sim, req, tenant_seg)
    if resp.drop:
        return resp
    return _headers(req, resp)


def _method_not_allowed():
    return exo_error(405, "HttpException", "The HTTP method is not allowed for this resource; use POST.", "Ex405M01",
                     message="Method not allowed")


def _authenticate(sim, req, tenant_seg):
    try:
        app, claims = sim.identity.authenticate(req)
    except AuthFailure as failure:
        return None, None, unauthorized(req, failure)
    req.app = app
    if resolve_tenant(tenant_seg) is None:
        return None, None, exo_error(404, "TenantNotFoundException",
                                     "The tenant '%s' could not be found. Use the tenant GUID or a verified domain of "
                                     "the organization." % tenant_seg, "Ex404T01", message="Tenant not found")
    return app, claims, None


def module_file(sim, req, tenant_seg):
    app, claims, err = _authenticate(sim, req, tenant_seg)
    if err:
        return err
    names = ",".join(c.name for c in CMDLETS.values())
    context = "%s/adminapi/v1.0/%s/$metadata#EXOModuleFile" % (req.origin, tenant_seg)
    return Response(200, obj={"@odata.context": context,
                              "value": {"exportedCmdlets": names, "version": "3.6.0"}},
                    content_type=EXO_JSON)


def _page_size(req):
    prefer = req.headers.get("Prefer") or ""
    for part in re.split(r"[;,]", prefer):
        k, _sep, v = part.strip().partition("=")
        if k.strip().lower() == "odata.maxpagesize":
            try:
                n = int(v.strip())
            except ValueError:
                return MAX_PAGE, False
            if n >= 1:
                return min(n, MAX_PAGE), True
    return MAX_PAGE, False


def _fingerprint(cmdlet_input, select):
    canon = json.dumps({"n": str(cmdlet_input.get("CmdletName", "")).lower(),
                        "p": cmdlet_input.get("Parameters") or {}, "s": select or ""}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


class _ExoCtx:
    def __init__(self, sim, app):
        self.sim = sim
        self.store = sim.store
        self.app = app


def invoke(sim, req, tenant_seg, authed=None):
    if authed is None:
        app, claims, err = _authenticate(sim, req, tenant_seg)
        if err:
            return err
    else:
        app, claims = authed
    verdict = sim.throttler.exchange(app)
    if not verdict.ok:
        sim.stats.note_throttle(verdict.reason)
        resp = exo_error(429, "ThrottlingException",
                         "The request was throttled because the application exceeded its request rate. Retry after "
                         "%s seconds." % verdict.retry_after, "Ex429T01", message="Too many requests")
        for k, v in verdict.headers.items():
            resp.headers[k] = v
        return resp
    try:
        payload = req.json()
    except (ValueError, UnicodeDecodeError):
        return exo_error(400, "ArgumentException", "The request body is not valid JSON.", "Ex400J01",
                         message="Invalid request body")
    if not isinstance(payload, dict) or not isinstance(payload.get("CmdletInput"), dict):
        return exo_error(400, "ArgumentException",
                         "The request body must be a JSON object with a 'CmdletInput' object.", "Ex400J02",
                         message="Invalid request body")
    cin = payload["CmdletInput"]
    name = cin.get("CmdletName")
    if not isinstance(name, str) or not name:
        return exo_error(400, "ArgumentException", "CmdletInput.CmdletName is required.", "Ex400J03",
                         message="Invalid request body")
    cmdlet = CMDLETS.get(name.lower())
    if cmdlet is None:
        return exo_error(400, "CommandNotFoundException",
                         "The term '%s' is not recognized as a name of a cmdlet, function, script file, or executable "
                         "program. Check the spelling of the name, or if a path was included, verify that the path is "
                         "correct and try again." % name, "Ex9A8F01")
    req.route = (req.route[0] if req.route else "exchange", "POST /adminapi/InvokeCommand")
    req.cmdlet = cmdlet.name
    roles = set(claims.get("roles") or [])
    wids = set(claims.get("wids") or [])
    if "Exchange.ManageAsApp" not in roles:
        return exo_error(403, "UnauthorizedAccessException",
                         "The application '%s' doesn't have the 'Exchange.ManageAsApp' application permission "
                         "(Office 365 Exchange Online) required to run cmdlets as an app." % app.client_id,
                         "Ex403A01", message="Access denied")
    if not wids & cmdlet.roles:
        return role_refused(cmdlet.name)
    query = dict((k.lower(), v) for k, v in parse_qsl(req.query_string, keep_blank_values=True))
    select = query.get("$select")
    fingerprint = _fingerprint(cin, select)
    offset = 0
    if "$skiptoken" in query:
        try:
            offset = decode_skiptoken(query["$skiptoken"], fingerprint)
        except Exception:  # noqa: BLE001
            return exo_error(400, "ArgumentException",
                             "The $skiptoken is not valid for this request. Re-send the same request body that "
                             "produced the @odata.nextLink.", "Ex400S01", message="Invalid skip token")
    try:
        bound = cmdlet.bind(cin.get("Parameters"))
        if cmdlet.write and offset:
            raise CmdletError(400, "ArgumentException", "Paging is only supported for cmdlets that return objects.",
                              "Ex400S02")
        with sim.store.lock:
            result = cmdlet.run_fn(_ExoCtx(sim, app), bound)
    except CmdletError as exc:
        return exo_error(exc.status, exc.exception, exc.text, exc.error_id)
    if cmdlet.write:
        sim.stats.note_write()
        if result.changed:
            sim.store.mark_dirty()
    page_size, applied = _page_size(req)
    with sim.store.lock:
        page = result.page(offset, page_size)
    more = offset + page_size < len(result.objects)
    if select:
        names = [s.strip() for s in select.split(",") if s.strip()]
        trimmed = []
        for obj in page:
            lower = {k.lower(): k for k in obj}
            trimmed.append({lower[n.lower()]: obj[lower[n.lower()]] for n in names if n.lower() in lower})
        page = trimmed
    body = {"@odata.context": "%s/adminapi/beta/%s/$metadata#Collection(Exchange.GenericHashTable)"
                              % (req.origin, tenant_seg)}
    if result.warnings and not more:
        body["@adminapi.warnings"] = list(result.warnings)
    if more:
        link = "%s/adminapi/beta/%s/InvokeCommand?" % (req.origin, tenant_seg)
        params = []
        if select:
            params.append("$select=" + select)
        params.append("$skiptoken=" + encode_skiptoken(offset + page_size, fingerprint))
        body["@odata.nextLink"] = link + "&".join(params)
    body["value"] = page
    resp = Response(200, obj=body, content_type=EXO_JSON)
    if applied:
        resp.headers["Preference-Applied"] = "odata.maxpagesize=%d" % page_size
    return resp


# ---------------------------------------------------------------------------------------
# $batch
# ---------------------------------------------------------------------------------------
def batch(sim, req, tenant_seg):
    app, claims, err = _authenticate(sim, req, tenant_seg)
    if err:
        return err
    sim.stats.note_batch("exchange")
    try:
        payload = req.json()
    except (ValueError, UnicodeDecodeError):
        return exo_error(400, "ArgumentException", "The batch request body is not valid JSON.", "Ex400B01",
                         message="Invalid batch request")
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list) or not payload["requests"]:
        return exo_error(400, "ArgumentException", "The batch request must contain a non-empty 'requests' array.",
                         "Ex400B02", message="Invalid batch request")
    items = payload["requests"]
    if len(items) > 10:
        return exo_error(400, "ArgumentException",
                         "The batch contains %d requests; at most 10 requests are allowed in one batch." % len(items),
                         "Ex400B03", message="Invalid batch request")
    seen = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item.get("id"):
            return exo_error(400, "ArgumentException", "Batch request #%d has no valid 'id'." % (i + 1), "Ex400B04",
                             message="Invalid batch request")
        if item["id"].lower() in seen:
            return exo_error(400, "ArgumentException", "Batch request id '%s' is used more than once." % item["id"],
                             "Ex400B05", message="Invalid batch request")
        seen.add(item["id"].lower())
    # OData batches stop at the first failed request unless the client sends
    # "Prefer: odata.continue-on-error" (what public clients of this endpoint send). The
    # requests after the failure are not run; they are answered 424 Failed Dependency, as
    # Microsoft Graph answers requests a batch did not run, rather than left out, so that every
    # id the client sent has an answer.
    keep_going = _continue_on_error(req)
    responses = []
    failed = False
    for item in items:
        if failed and not keep_going:
            sim.stats.note_batch_item("POST /adminapi/InvokeCommand (not run)", 424)
            responses.append({"id": item["id"], "status": 424, "headers": {"Content-Type": EXO_JSON},
                              "body": {"error": {"code": "FailedDependency",
                                                 "message": "The request was not run because an earlier request "
                                                            "in the batch failed and the batch was sent without "
                                                            "Prefer: odata.continue-on-error."}}})
            continue
        entry, drop = _batch_item(sim, req, tenant_seg, item, (app, claims))
        if drop:
            return Response.dropped()
        failed = failed or entry["status"] >= 400
        responses.append(entry)
    if keep_going:
        resp = Response(200, obj={"responses": responses}, content_type=EXO_JSON)
        resp.headers["Preference-Applied"] = "odata.continue-on-error"
        return resp
    return Response(200, obj={"responses": responses}, content_type=EXO_JSON)


def _batch_item(sim, envelope, tenant_seg, item, authed):
    item_id = item["id"]

    def fail(status, exception, text, error_id):
        sim.stats.note_batch_item("POST /adminapi/InvokeCommand (invalid item)", status)
        return {"id": item_id, "status": status, "headers": {"Content-Type": EXO_JSON},
                "body": exo_error_body(status, exception, text, error_id)}, False

    method = str(item.get("method", "")).upper()
    if method != "POST":
        return fail(400, "ArgumentException", "Batch items must use the POST method (got '%s')." % item.get("method"),
                    "Ex400B06")
    url = item.get("url")
    parsed = urlparse(url) if isinstance(url, str) else None
    m = PATH_RE.match(unquote(parsed.path)) if parsed and parsed.scheme in ("https", "http") else None
    if not m or m.group("op").lower() != "invokecommand" or m.group("ver").lower() != "beta":
        return fail(400, "ArgumentException",
                    "Batch item url must be the absolute InvokeCommand URL (https://<host>/adminapi/beta/<tenant>/"
                    "InvokeCommand) or an @odata.nextLink; got '%s'." % url, "Ex400B07")
    if resolve_tenant(m.group("tenant")) != TENANT_ID:
        return fail(404, "TenantNotFoundException", "The tenant '%s' could not be found." % m.group("tenant"),
                    "Ex404T01")
    body = item.get("body")
    if not isinstance(body, dict):
        return fail(400, "ArgumentException", "Batch item body must be an InvokeCommand request object.", "Ex400B08")
    headers = Headers(item.get("headers") if isinstance(item.get("headers"), dict) else {})
    if "Prefer" not in headers and envelope.headers.get("Prefer"):
        headers["Prefer"] = envelope.headers.get("Prefer")
    headers["Authorization"] = envelope.headers.get("Authorization") or ""
    target = parsed.path + ("?" + parsed.query if parsed.query else "")
    sub = Request("POST", target, headers=headers, origin=envelope.origin, batch_item=True)
    sub.json_body = body
    sub.route = ("exchange", "POST /adminapi/InvokeCommand")
    cmdlet_input = body.get("CmdletInput") if isinstance(body.get("CmdletInput"), dict) else {}
    cmdlet = cmdlet_input.get("CmdletName")
    identity = (cmdlet_input.get("Parameters") or {}).get("Identity") \
        if isinstance(cmdlet_input.get("Parameters"), dict) else None
    fault = sim.faults.pick(sub.match_key(), "exchange", cmdlet=cmdlet if isinstance(cmdlet, str) else None,
                            identity=identity)
    if fault is not None:
        sim.stats.note_fault(fault.kind)
        if fault.drop:
            return None, True
        resp = exchange_fault_response(sub, fault)
    else:
        resp = invoke(sim, sub, m.group("tenant"), authed=authed)
    sim.stats.note_batch_item("POST /adminapi/InvokeCommand", resp.status)
    entry = {"id": item_id, "status": resp.status}
    kept = ("content-type", "retry-after", "preference-applied")
    hdrs = {k: v for k, v in resp.headers.items() if k.lower() in kept}
    if hdrs:
        entry["headers"] = hdrs
    if resp.body:
        entry["body"] = resp.json()
    return entry, False


def exchange_fault_response(req, fault):
    exc = exchange_exception_for(fault)
    text = fault.message or {
        429: "The request was throttled. Retry after the interval given in Retry-After.",
        503: "The server is busy. Please try again later.",
    }.get(fault.status, "Active Directory operation failed on %s. This error is not retriable. Additional "
                        "information: The operation was aborted." % "NAMPR12A005DC003.NAMPR12A005.PROD.OUTLOOK.COM"
                        if "ADTransient" not in exc else
                        "Active Directory operation failed on NAMPR12A005DC003.NAMPR12A005.PROD.OUTLOOK.COM. This "
                        "error could have been caused by a transient condition; please retry.")
    resp = exo_error(fault.status, exc, text, "ExF417F0")
    if fault.retry_after is not None:
        resp.headers["Retry-After"] = str(fault.retry_after)
    return resp
