"""Transport-neutral request/response objects and the error body builders for the three
services (Entra token endpoint, Graph, Exchange admin API).

Top-level HTTP requests and the items of ``$batch`` calls are both represented as
``Request`` so that they run through exactly the same pipeline.
"""
import json
import uuid
from urllib.parse import parse_qsl, unquote

from .util import dumps, entra_timestamp, inner_error_date

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
EXO_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
PLAIN_JSON = "application/json; charset=utf-8"


class Headers:
    """Case-insensitive, single-valued header map that remembers original spelling."""

    def __init__(self, items=None):
        self._d = {}
        for k, v in (items.items() if isinstance(items, dict) else items or []):
            self[k] = v

    def __setitem__(self, key, value):
        self._d[key.lower()] = (key, str(value))

    def __getitem__(self, key):
        return self._d[key.lower()][1]

    def get(self, key, default=None):
        item = self._d.get(key.lower())
        return item[1] if item else default

    def __contains__(self, key):
        return key.lower() in self._d

    def pop(self, key, default=None):
        item = self._d.pop(key.lower(), None)
        return item[1] if item else default

    def items(self):
        return list(self._d.values())

    def as_dict(self):
        return dict(self._d.values())


class Request:
    def __init__(self, method, target, headers=None, body=b"", origin="https://localhost", batch_item=False,
                 client_address=None, arrived=None):
        self.method = method.upper()
        self.target = target
        path, _sep, query = target.partition("?")
        self.raw_path = path
        self.path = unquote(path)
        self.query_string = query
        self.headers = headers if isinstance(headers, Headers) else Headers(headers or {})
        self.body = body or b""
        self.origin = origin
        self.batch_item = batch_item
        self.client_address = client_address
        self.request_id = str(uuid.uuid4())
        self.client_request_id = self.headers.get("client-request-id") or self.request_id
        self.route = None  # filled by the dispatcher: (service, family)
        self.app = None  # authenticated app (apps.App) once known
        self.json_body = None  # batch items carry an already-decoded body
        # When the request arrived (time.monotonic()), if the server knows: the latency counts
        # from then.
        self.arrived = arrived

    def query(self):
        """Query options as an ordered list of (name, value), %-decoded."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    def json(self):
        if self.json_body is not None:
            return self.json_body
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8-sig"))

    def match_key(self):
        return "%s %s" % (self.method, self.path)


class Response:
    DROP = object()

    def __init__(self, status=200, body=None, headers=None, content_type=None, obj=None):
        self.status = status
        self.headers = Headers(headers or {})
        self.obj = obj
        if obj is not None and body is None:
            body = dumps(obj).encode("utf-8")
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        if content_type and body is not None:
            self.headers["Content-Type"] = content_type
        self.drop = False
        self.meta = {}

    @classmethod
    def dropped(cls):
        r = cls(status=0)
        r.drop = True
        return r

    def json(self):
        if self.obj is not None:
            return self.obj
        if self.body:
            try:
                return json.loads(self.body)
            except ValueError:
                return self.body.decode("utf-8", "replace")
        return None


# ---------------------------------------------------------------------------------------
# Graph
# ---------------------------------------------------------------------------------------
def graph_error_body(req, code, message, extra_inner=None, details=None, target=None):
    inner = {"date": inner_error_date(), "request-id": req.request_id, "client-request-id": req.client_request_id}
    if extra_inner:
        inner = {**extra_inner, **inner}
    err = {"code": code, "message": message}
    if target is not None:
        err["target"] = target
    if details:
        err["details"] = details
    err["innerError"] = inner
    return {"error": err}


def graph_error(req, status, code, message, headers=None, extra_inner=None):
    return Response(status, obj=graph_error_body(req, code, message, extra_inner), headers=headers,
                    content_type="application/json")


def graph_json(status, obj, headers=None):
    return Response(status, obj=obj, headers=headers, content_type=GRAPH_JSON)


# ---------------------------------------------------------------------------------------
# Exchange
# ---------------------------------------------------------------------------------------
EXCEPTION_NAMESPACES = {
    "ManagementObjectNotFoundException": "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    "ManagementObjectAmbiguousException": "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
    "ParameterBindingException": "System.Management.Automation.ParameterBindingException",
    "CommandNotFoundException": "System.Management.Automation.CommandNotFoundException",
    "ADTransientException": "Microsoft.Exchange.Data.Directory.ADTransientException",
    "CmdletAccessDeniedException": "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException",
    "UnauthorizedAccessException": "System.UnauthorizedAccessException",
    "ArgumentException": "System.ArgumentException",
    "ValidationException": "Microsoft.Exchange.Data.DataValidationException",
    "ThrottlingException": "Microsoft.Exchange.Diagnostics.ThrottlingException",
    "ServerBusyException": "Microsoft.Exchange.Data.Storage.ServerBusyException",
    "RecipientTaskException": "Microsoft.Exchange.Configuration.Tasks.RecipientTaskException",
}

EXO_STATUS_CODES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                    429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


def qualify_exception(name):
    if "." in name:
        return name
    return EXCEPTION_NAMESPACES.get(name, "Microsoft.Exchange.Management.Tasks." + name)


def exo_error_body(status, exception, text, error_id="Ex0000", message="Error executing cmdlet"):
    qualified = qualify_exception(exception)
    return {
        "error": {
            "code": EXO_STATUS_CODES.get(status, "InternalServerError"),
            "message": message,
            "details": [
                {"code": "Client" if status < 500 else "Server", "target": "",
                 "message": "%s|%s|%s" % (error_id, qualified, text)}
            ],
            "innererror": {
                "message": message,
                "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                "stacktrace": "",
                "internalexception": {
                    "message": text,
                    "type": qualified,
                    "stacktrace": "",
                },
            },
        }
    }


def exo_error(status, exception, text, error_id="Ex0000", headers=None, message="Error executing cmdlet"):
    return Response(status, obj=exo_error_body(status, exception, text, error_id, message), headers=headers,
                    content_type=EXO_JSON)


# ---------------------------------------------------------------------------------------
# Entra (token endpoint and discovery)
# ---------------------------------------------------------------------------------------
def entra_error(status, error, code, text, req=None, headers=None):
    trace = str(uuid.uuid4())
    corr = req.client_request_id if req is not None else str(uuid.uuid4())
    ts = entra_timestamp()
    description = "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (code, text, trace, corr, ts)
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": "%s/error?code=%d" % (req.origin if req is not None else "https://localhost", code),
    }
    hdrs = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
    hdrs.update(headers or {})
    return Response(status, obj=body, headers=hdrs, content_type=PLAIN_JSON)
