"""Microsoft Graph front end: routing, authentication, permission checks, throttling and
the shared list machinery (JSON batching lives in graph_batch.py).

Routes are matched on the path below the version segment; v1.0 and beta share handlers
unless a route is restricted to one version. Every request - top level or batch item -
goes through ``execute``.
"""
import json

from . import graph_directory as gd
from . import graph_policies as gp
from .auth import AuthFailure
from .faults import GRAPH_FAULT_CODES
from .odata import (
    QueryError,
    check_filter,
    decode_skiptoken,
    encode_skiptoken,
    evaluate,
    next_link,
    parse_count,
    parse_filter,
    parse_options,
    parse_orderby,
    parse_search,
    parse_select,
    parse_top,
    query_fingerprint,
    search_match,
)
from .wire import GRAPH_JSON, Response, graph_error

VERSIONS = ("v1.0", "beta")

# Application permissions accepted per operation: a list of alternatives, each a set of
# roles that must all be present (least privileged first, then higher ones).
USER_READ = [{"User.Read.All"}, {"User.ReadWrite.All"}, {"Directory.Read.All"}, {"Directory.ReadWrite.All"}]
GROUP_READ = [{"GroupMember.Read.All"}, {"Group.Read.All"}, {"GroupMember.ReadWrite.All"}, {"Group.ReadWrite.All"},
              {"Directory.Read.All"}, {"Directory.ReadWrite.All"}]
MEMBERS_READ = [{"GroupMember.ReadBasic.All"}] + GROUP_READ
ORG_READ = [{"Organization.Read.All"}, {"Organization.ReadWrite.All"}, {"Directory.Read.All"},
            {"Directory.ReadWrite.All"}]
MFA_READ = [{"Policy.Read.All"}, {"Policy.ReadWrite.AuthenticationMethod"}]
MFA_WRITE = [{"Policy.ReadWrite.AuthenticationMethod"}]
SECDEF_READ = [{"Policy.Read.All"}, {"Policy.ReadWrite.SecurityDefaults"}, {"Policy.ReadWrite.ConditionalAccess"}]
SECDEF_WRITE = [{"Policy.ReadWrite.SecurityDefaults"}]
CA_READ = [{"Policy.Read.All"}, {"Policy.ReadWrite.ConditionalAccess"}]
CA_WRITE = [{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}]
# "List signIns": AuditLog.Read.All and Directory.Read.All together (a documented known issue);
# either one alone is refused.
SIGNIN_READ = [{"AuditLog.Read.All", "Directory.Read.All"}]


class Route:
    def __init__(self, pattern, family, handlers, perms, category="identity", cost=1, versions=VERSIONS):
        self.pattern = pattern
        self.segments = pattern.split("/") if pattern else []
        self.family = family
        self.handlers = handlers
        self.perms = perms
        self.category = category
        self.cost = cost
        self.versions = versions

    def match(self, segs):
        if len(segs) != len(self.segments):
            return None
        params = {}
        for pat, seg in zip(self.segments, segs):
            if pat.startswith("{") and pat.endswith("}"):
                if not seg:
                    return None
                params[pat[1:-1]] = seg
            elif pat == "{cast:user}":
                pass
            elif pat.lower() != seg.lower():
                return None
        return params

    def prefix_len(self, segs):
        n = 0
        for pat, seg in zip(self.segments, segs):
            if pat.startswith("{") or pat.lower() == seg.lower():
                n += 1
            else:
                break
        return n


def _cast_variants(pattern):
    return [pattern + "/microsoft.graph.user", pattern + "/graph.user"]


ROUTES = [
    Route("users", "GET /users", {"GET": gd.list_users}, {"GET": USER_READ}, cost=2),
    Route("users/$count", "GET /users/$count", {"GET": gd.count_users}, {"GET": USER_READ}, cost=1),
    Route("users/{user}", "GET /users/{id}", {"GET": gd.get_user}, {"GET": USER_READ}, cost=2),
    Route("users/{user}/authentication/requirements", "/users/{id}/authentication/requirements",
          {"GET": gp.get_requirements, "PATCH": gp.patch_requirements}, {"GET": MFA_READ, "PATCH": MFA_WRITE},
          versions=("beta",)),
    Route("groups", "GET /groups", {"GET": gd.list_groups}, {"GET": GROUP_READ}, cost=1),
    Route("groups/$count", "GET /groups/$count", {"GET": gd.count_groups}, {"GET": GROUP_READ}, cost=1),
    Route("groups/{group}", "GET /groups/{id}", {"GET": gd.get_group}, {"GET": GROUP_READ}, cost=1),
    Route("groups/{group}/members", "GET /groups/{id}/members", {"GET": gd.list_members},
          {"GET": MEMBERS_READ}, cost=3),
    Route("groups/{group}/members/$count", "GET /groups/{id}/members/$count", {"GET": gd.count_members},
          {"GET": MEMBERS_READ}, cost=3),
    Route("groups/{group}/transitiveMembers", "GET /groups/{id}/transitiveMembers",
          {"GET": gd.list_transitive_members}, {"GET": MEMBERS_READ}, cost=5),
    Route("groups/{group}/transitiveMembers/$count", "GET /groups/{id}/transitiveMembers/$count",
          {"GET": gd.count_transitive_members}, {"GET": MEMBERS_READ}, cost=5),
    Route("organization", "GET /organization", {"GET": gd.list_organization}, {"GET": ORG_READ}, cost=1),
    Route("organization/{org}", "GET /organization/{id}", {"GET": gd.get_organization}, {"GET": ORG_READ}, cost=1),
    Route("policies/identitySecurityDefaultsEnforcementPolicy", "/policies/identitySecurityDefaultsEnforcementPolicy",
          {"GET": gp.get_security_defaults, "PATCH": gp.patch_security_defaults},
          {"GET": SECDEF_READ, "PATCH": SECDEF_WRITE}),
    Route("identity/conditionalAccess/policies", "/identity/conditionalAccess/policies",
          {"GET": gp.list_ca, "POST": gp.create_ca}, {"GET": CA_READ, "POST": CA_WRITE}, category="ca"),
    Route("identity/conditionalAccess/policies/{policy}", "/identity/conditionalAccess/policies/{id}",
          {"GET": gp.get_ca, "PATCH": gp.patch_ca, "DELETE": gp.delete_ca},
          {"GET": CA_READ, "PATCH": CA_WRITE, "DELETE": CA_WRITE}, category="ca"),
    Route("auditLogs/signIns", "GET /auditLogs/signIns", {"GET": gd.list_signins}, {"GET": SIGNIN_READ},
          category="reports"),
    Route("auditLogs/signIns/{signin}", "GET /auditLogs/signIns/{id}", {"GET": gd.get_signin},
          {"GET": SIGNIN_READ}, category="reports"),
]
for _base, _fam, _fn, _cnt in (
    ("groups/{group}/transitiveMembers", "GET /groups/{id}/transitiveMembers/microsoft.graph.user",
     gd.list_transitive_users, gd.count_transitive_users),
    ("groups/{group}/members", "GET /groups/{id}/members/microsoft.graph.user", gd.list_member_users,
     gd.count_member_users),
):
    for _p in _cast_variants(_base):
        ROUTES.append(Route(_p, _fam, {"GET": _fn}, {"GET": MEMBERS_READ}, cost=5 if "transitive" in _p else 3))
        ROUTES.append(Route(_p + "/$count", _fam + "/$count", {"GET": _cnt}, {"GET": MEMBERS_READ},
                            cost=5 if "transitive" in _p else 3))


class Ctx:
    """Everything a handler needs for one Graph request."""

    def __init__(self, sim, req, version, route, params, app, claims):
        self.sim = sim
        self.store = sim.store
        self.req = req
        self.version = version
        self.route = route
        self.params = params
        self.app = app
        self.claims = claims
        self.origin = req.origin
        self._opts = None

    @property
    def opts(self):
        if self._opts is None:
            self._opts = parse_options(self.req.query(), self.version)
        return self._opts

    @property
    def eventual(self):
        return (self.req.headers.get("ConsistencyLevel") or "").strip().lower() == "eventual"

    def context(self, fragment):
        return "%s/%s/$metadata#%s" % (self.origin, self.version, fragment)

    def json(self, obj, status=200, headers=None):
        return Response(status, obj=obj, headers=headers, content_type=GRAPH_JSON)

    def no_content(self):
        return Response(204)

    def error(self, status, code, message, headers=None):
        return graph_error(self.req, status, code, message, headers=headers)

    def not_found(self, key):
        return self.error(404, "Request_ResourceNotFound",
                          "Resource '%s' does not exist or one of its queried reference-property objects are not "
                          "present." % key)

    def body_json(self):
        """Decoded JSON body; raises QueryError-like BadRequest on syntax errors."""
        ctype = (self.req.headers.get("Content-Type") or "").lower()
        if not self.req.batch_item and "json" not in ctype:
            raise QueryError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type "
                                                "header is set and payload is of valid JSON format.")
        try:
            data = self.req.json()
        except (ValueError, UnicodeDecodeError):
            raise QueryError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type "
                                                "header is set and payload is of valid JSON format.") from None
        if data is None:
            raise QueryError(400, "BadRequest", "Empty Payload. JSON content expected.")
        if not isinstance(data, dict):
            raise QueryError(400, "BadRequest", "Invalid request body: a JSON object is expected.")
        return data

    def write_done(self):
        self.sim.stats.note_write()
        self.store.mark_dirty()

    # -- generic collection listing ------------------------------------------------------------
    def list_collection(self, items, type_name, props, getter, project, context_name, default_select=None,
                        default_top=100, max_top=999, extra_filter_ops=None, orderby_default_ok=(),
                        not_on_collection=(), directory=True, count_only=False, select_props=None,
                        advanced_only=False):
        """One page of ``items`` as Graph lists a collection.

        Directory collections follow Microsoft's advanced-query rules (aad-advanced-queries):
        ``?$count=true`` without ``ConsistencyLevel: eventual`` is silently ignored (no
        ``@odata.count``), ``/$count`` without it is refused, and a query that only advanced
        mode supports (``advanced_only``, e.g. an OData cast of ``transitiveMembers``, or the
        operators check_filter knows) is refused unless both the header and ``$count=true``
        are sent.
        """
        opts = self.opts
        if "$skip" in opts:
            raise QueryError(400, "Request_BadRequest", "'$skip' is not supported by the service.")
        if "$expand" in opts:
            raise QueryError(400, "Request_UnsupportedQuery",
                             "Unsupported Query. $expand is not supported on this collection by the simulator.")
        top = parse_top(opts, max_top)
        count = parse_count(opts)
        if count and directory and not self.eventual:
            # Documented: without the header, the $count query parameter is ignored, silently.
            count = False
        if count_only and not self.eventual:
            raise QueryError(400, "Request_BadRequest", "$count is not currently supported.")
        advanced = (not directory) or (self.eventual and (count or count_only))
        if advanced_only and not advanced:
            raise QueryError(400, "Request_UnsupportedQuery",
                             "This query is supported only with advanced query parameters, which might be missing: "
                             "add the $count=true query parameter and the ConsistencyLevel:eventual header. Refer to "
                             "https://aka.ms/graph-docs/advanced-queries for more information")
        select = parse_select(opts, select_props or [p for p, s in props.items() if s.get("kind") != "nav"],
                              type_name, not_on_collection)
        flt = None
        if "$filter" in opts and opts["$filter"].strip():
            flt = parse_filter(opts["$filter"])
            check_filter(flt, props, type_name, advanced, extra_filter_ops)
        search = None
        if "$search" in opts:
            if directory and not self.eventual:
                raise QueryError(400, "Request_UnsupportedQuery",
                                 "Search is not supported because the 'ConsistencyLevel:eventual' header is missing. "
                                 "Refer to https://aka.ms/graph-docs/advanced-queries for more information")
            search = parse_search(opts["$search"])
            for prop, _term in search[1]:
                spec = next((v for k, v in props.items() if k.lower() == prop.lower()), None)
                searchable = ("displayname", "mail", "userprincipalname")
                if spec is None or not (spec.get("search") or prop.lower() in searchable):
                    raise QueryError(400, "Request_UnsupportedQuery",
                                     "Search is not supported on property '%s'." % prop)
        order = parse_orderby(opts, props, type_name)
        if order:
            for name, _direction in order:
                if not advanced and (flt is not None or name not in orderby_default_ok):
                    raise QueryError(400, "Request_UnsupportedQuery",
                                     "Sorting not supported for current query.")
                spec = props.get(name, {})
                if advanced and not (spec.get("orderby") or spec.get("filter") or name in orderby_default_ok):
                    raise QueryError(400, "Request_UnsupportedQuery",
                                     "Sorting not supported for '%s'." % name)

        result = items
        if flt is not None:
            result = [o for o in result if evaluate(flt, o, getter)]
        if search is not None:
            result = [o for o in result if search_match(o, getter, search[0], search[1])]
        if order:
            result = list(result)
            for name, desc in reversed(order):
                result.sort(key=lambda o: _sort_key(getter(o, name)), reverse=desc)
        if count_only:
            return Response(200, body=str(len(result)), content_type="text/plain;charset=utf-8")

        fp = query_fingerprint(self.req.raw_path, self.req.query_string)
        offset = 0
        if "$skiptoken" in opts:
            offset = decode_skiptoken(opts["$skiptoken"], fp)
        page_size = top or default_top
        total = len(result)
        page = result[offset: offset + page_size]
        ctx_name = context_name
        if select:
            ctx_name = "%s(%s)" % (context_name, ",".join(select))
        body = {"@odata.context": self.context(ctx_name)}
        if count and offset == 0:
            body["@odata.count"] = total
        if offset + page_size < total:
            body["@odata.nextLink"] = next_link(self.origin, self.req.raw_path, self.req.query_string,
                                                encode_skiptoken(offset + page_size, fp))
        body["value"] = [project(o, select or default_select) for o in page]
        return self.json(body)


def _sort_key(value):
    if value is None:
        return (1, "")
    if isinstance(value, str):
        return (0, value.lower())
    return (0, value)


def compute_cost(route, req, opts_pairs):
    if req.method in ("POST", "PATCH", "PUT", "DELETE"):
        return 1, True
    cost = route.cost
    names = {k.lower() for k, _value in opts_pairs}
    if "$select" in names:
        cost -= 1
    if "$expand" in names:
        cost += 1
    for k, v in opts_pairs:
        if k.lower() == "$top":
            try:
                if int(v) < 20:
                    cost -= 1
            except ValueError:
                pass
    return max(1, cost), False


def resolve(version, rel_path):
    segs = [s for s in rel_path.split("/") if s != ""]
    for route in ROUTES:
        params = route.match(segs)
        if params is not None:
            if version not in route.versions:
                return None, segs, None
            return route, segs, params
    return None, segs, None


def unknown_segment(segs):
    best = 0
    for route in ROUTES:
        best = max(best, route.prefix_len(segs))
    if best >= len(segs):
        return segs[-1] if segs else ""
    return segs[best]


def standard_headers(req, resp):
    resp.headers["request-id"] = req.request_id
    resp.headers["client-request-id"] = req.client_request_id
    resp.headers["OData-Version"] = "4.0"
    resp.headers["x-ms-ags-diagnostic"] = json.dumps(
        {"ServerInfo": {"DataCenter": "Simulator", "Slice": "E", "Ring": "5", "ScaleUnit": "000",
                        "RoleInstance": "M365SIM00000001"}}, separators=(",", ":"))
    resp.headers["Strict-Transport-Security"] = "max-age=31536000"
    if "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "no-cache"
    return resp


def unauthorized(req, failure):
    resp = graph_error(req, 401, "InvalidAuthenticationToken", failure.message)
    resp.headers["WWW-Authenticate"] = (
        'Bearer realm="", authorization_uri="%s/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        % req.origin
    )
    return resp


def throttled(req, verdict):
    resp = graph_error(req, 429, "TooManyRequests", "Please retry again later.",
                       extra_inner={"code": "429", "message": "Please retry after", "status": "429"})
    for k, v in verdict.headers.items():
        resp.headers[k] = v
    resp.meta["throttle_reason"] = verdict.reason
    return resp


def fault_response(req, fault):
    code, message = GRAPH_FAULT_CODES.get(fault.status, ("serviceNotAvailable", "Injected fault."))
    extra = {"code": str(fault.status), "message": "Please retry after", "status": str(fault.status)} \
        if fault.status == 429 else None
    resp = graph_error(req, fault.status, fault.code or code, fault.message or message, extra_inner=extra)
    if fault.retry_after is not None:
        resp.headers["Retry-After"] = str(fault.retry_after)
    return resp


def execute(sim, req, version, rel_path):
    """Run one Graph request (top-level or batch item) through the full pipeline."""
    route, segs, params = resolve(version, rel_path)
    if route is None:
        if segs and segs[0].lower() == "me":
            return graph_error(req, 400, "BadRequest",
                               "/me request is only valid with delegated authentication flow.")
        if segs and segs[0] == "$batch":
            return graph_error(req, 400, "BadRequest", "Nested batch requests are not supported.")
        req.route = ("graph", "%s /%s" % (req.method, "unknown"))
        return graph_error(req, 400, "BadRequest", "Resource not found for the segment '%s'." % unknown_segment(segs))
    fam = route.family if route.family.startswith(("GET ", "POST ", "PATCH ", "DELETE ")) else \
        "%s %s" % (req.method, route.family)
    req.route = ("graph", fam)
    handler = route.handlers.get(req.method)
    if handler is None:
        return graph_error(req, 405, "Request_BadRequest",
                           "Specified HTTP method is not allowed for the request target.",
                           headers={"Allow": ", ".join(sorted(route.handlers))})
    try:
        app, claims = sim.identity.authenticate(req)
    except AuthFailure as failure:
        return unauthorized(req, failure)
    req.app = app
    try:
        pairs = req.query()
    except ValueError:
        pairs = []
    cost, is_write = compute_cost(route, req, pairs)
    verdict = sim.throttler.graph(app, route.category, cost, is_write)
    if not verdict.ok:
        sim.stats.note_throttle(verdict.reason)
        return throttled(req, verdict)
    roles = set(claims.get("roles") or [])
    if not any(alt <= roles for alt in route.perms.get(req.method, [])):
        resp = graph_error(req, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    else:
        ctx = Ctx(sim, req, version, route, params, app, claims)
        try:
            with sim.store.lock:
                resp = handler(ctx)
        except QueryError as exc:
            resp = graph_error(req, exc.status, exc.code, exc.message)
    for k, v in verdict.headers.items():
        resp.headers[k] = v
    return resp


# ---------------------------------------------------------------------------------------
# Top-level entry
# ---------------------------------------------------------------------------------------
def handle(sim, req):
    parts = req.path.split("/", 2)
    version = parts[1]
    rel = parts[2] if len(parts) > 2 else ""
    if rel.strip("/") == "$batch":
        req.route = ("graph", "POST /$batch")
        if req.method != "POST":
            resp = graph_error(req, 405, "Request_BadRequest",
                               "Specified HTTP method is not allowed for the request target.")
        else:
            from .graph_batch import batch

            resp = batch(sim, req, version)
    else:
        resp = execute(sim, req, version, rel)
    if resp.drop:
        return resp
    return standard_headers(req, resp)
