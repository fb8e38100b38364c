"""Graph JSON batching (``POST /{version}/$batch``, graph-facts.md section 8).

The envelope is checked as a whole (JSON, 1..20 items, unique ids compared
case-insensitively, known dependsOn ids, no cycles); each item then runs through the same
pipeline as a top-level request (faults, auth with the envelope's token, throttling,
permissions, handler). Failed dependencies give 424, 204 items carry no body, responses
come back in a deterministic shuffled order. A dropped item drops the whole connection.
"""
import hashlib
import json
import random
import re
from urllib.parse import urlparse

from . import graph
from .auth import AuthFailure
from .wire import Headers, Request, Response, graph_error, graph_error_body

BATCH_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
ABSOLUTE_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def _batch_error(req, message):
    return graph_error(req, 400, "BadRequest", message)


def batch(sim, req, version):
    try:
        app, claims = sim.identity.authenticate(req)
    except AuthFailure as failure:
        return graph.unauthorized(req, failure)
    req.app = app
    sim.stats.note_batch("graph")
    try:
        payload = req.json()
    except (ValueError, UnicodeDecodeError):
        return _batch_error(req, "Invalid batch payload format.")
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list):
        return _batch_error(req, "Invalid batch payload format: a 'requests' array is required.")
    items = payload["requests"]
    if not items:
        return _batch_error(req, "Invalid batch payload format: the 'requests' array is empty.")
    if len(items) > 20:
        return _batch_error(req, "The number of requests in the batch (%d) exceeds the limit of 20." % len(items))
    seen = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return _batch_error(req, "Invalid batch payload format: request #%d is not an object." % (i + 1))
        for field in ("id", "method", "url"):
            if not isinstance(item.get(field), str) or not item.get(field):
                return _batch_error(req, "Invalid batch payload format: request #%d has no valid '%s'." % (i + 1, field))
        key = item["id"].lower()
        if key in seen:
            return _batch_error(req, "Batch request contains duplicate request id '%s'. Request ids must be unique "
                                     "(compared case-insensitively)." % item["id"])
        seen[key] = item
        deps = item.get("dependsOn")
        if deps is not None and (not isinstance(deps, list) or not all(isinstance(d, str) for d in deps)):
            return _batch_error(req, "Invalid batch payload format: 'dependsOn' of request '%s' must be an array of "
                                     "request ids." % item["id"])
    for item in items:
        for dep in item.get("dependsOn") or []:
            if dep.lower() not in seen:
                return _batch_error(req, "Request '%s' depends on unknown request id '%s'." % (item["id"], dep))
            if dep.lower() == item["id"].lower():
                return _batch_error(req, "Request '%s' cannot depend on itself." % item["id"])
    order = _topological(items)
    if order is None:
        return _batch_error(req, "The dependsOn references of the batch form a cycle.")

    results = {}
    dropped = False
    for item in order:
        item_id = item["id"]
        deps = [d.lower() for d in item.get("dependsOn") or []]
        failed = [d for d in deps if results[d]["status"] >= 400]
        if failed:
            entry = {"id": item_id, "status": 424, "headers": {"Content-Type": "application/json"},
                     "body": graph_error_body(req, "FailedDependency",
                                              "The request could not be processed because a request it depends on "
                                              "(id '%s') failed." % seen[failed[0]]["id"])}
            results[item_id.lower()] = entry
            sim.stats.note_batch_item("%s (424)" % item["method"].upper(), 424)
            continue
        entry, drop = run_batch_item(sim, req, version, item)
        dropped = dropped or drop
        results[item_id.lower()] = entry
    if dropped:
        return Response.dropped()
    responses = [results[item["id"].lower()] for item in items]
    if sim.config.get("batch_shuffle", True):
        seed = hashlib.sha256("|".join(i["id"] for i in items).encode()).hexdigest()
        random.Random(seed).shuffle(responses)
    return Response(200, obj={"responses": responses}, content_type="application/json")


def _topological(items):
    by_id = {i["id"].lower(): i for i in items}
    state, out = {}, []

    def visit(item):
        key = item["id"].lower()
        if state.get(key) == 1:
            return False
        if state.get(key) == 2:
            return True
        state[key] = 1
        for dep in item.get("dependsOn") or []:
            if not visit(by_id[dep.lower()]):
                return False
        state[key] = 2
        out.append(item)
        return True

    for item in items:
        if not visit(item):
            return None
    return out


def run_batch_item(sim, envelope, version, item):
    """Execute one Graph batch item; returns (response entry, dropped?)."""
    method = item["method"].upper()
    url = item["url"]
    headers = item.get("headers") or {}
    item_id = item["id"]
    sub_headers = Headers(headers if isinstance(headers, dict) else {})
    fake = Request(method, "/", headers=sub_headers, origin=envelope.origin, batch_item=True)
    fake.client_request_id = envelope.client_request_id

    def reject(status, code, message):
        resp = graph_error(fake, status, code, message)
        sim.stats.note_batch_item("%s (invalid item)" % method, status)
        return _entry(item_id, resp), False

    if not isinstance(headers, dict):
        return reject(400, "BadRequest", "The 'headers' of a batch request must be a JSON object.")
    if method not in BATCH_METHODS:
        return reject(400, "BadRequest", "Method '%s' is not supported in a batch request." % item["method"])
    if ABSOLUTE_URL.match(url):
        return reject(400, "BadRequest",
                      "Invalid request URI '%s': batch request URLs must be relative to the version root "
                      "(for example '/users?$top=5')." % url)
    has_body = "body" in item and item["body"] is not None
    if has_body and not any(k.lower() == "content-type" for k in headers):
        return reject(400, "BadRequest",
                      "A 'Content-Type' header is required in the 'headers' of a batch request that has a body.")
    rel = url.lstrip("/")
    target = "/%s/%s" % (version, rel)
    sub_headers["Authorization"] = envelope.headers.get("Authorization") or ""
    body = item.get("body") if has_body else None
    sub = Request(method, target, headers=sub_headers, origin=envelope.origin, batch_item=True)
    if body is not None:
        if isinstance(body, (dict, list)):
            sub.json_body = body
            sub.body = json.dumps(body).encode()
        elif isinstance(body, str):
            sub.body = body.encode()
    fault = sim.faults.pick(sub.match_key(), "graph")
    if fault is not None:
        sim.stats.note_fault(fault.kind)
        if fault.drop:
            sim.stats.note_batch_item("%s (dropped)" % method, 0)
            return {"id": item_id, "status": 0}, True
        resp = graph.fault_response(sub, fault)
        sub.route = sub.route or ("graph", "%s %s" % (method, urlparse(target).path))
    else:
        rel_path = sub.path.split("/", 2)[2] if sub.path.count("/") >= 2 else ""
        resp = graph.execute(sim, sub, version, rel_path)
    family = sub.route[1] if sub.route else "%s unknown" % method
    sim.stats.note_batch_item(family, resp.status)
    return _entry(item_id, resp), False


def _entry(item_id, resp):
    headers = {}
    for k, v in resp.headers.items():
        if k.lower() in ("content-type", "retry-after", "location", "odata-version", "cache-control",
                         "x-ms-resource-unit", "x-ms-throttle-scope", "x-ms-throttle-information",
                         "x-ms-throttle-limit-percentage", "preference-applied"):
            headers[k] = v
    entry = {"id": item_id, "status": resp.status, "headers": headers}
    if resp.status != 204 and resp.body:
        ctype = (resp.headers.get("Content-Type") or "").lower()
        entry["body"] = resp.json() if "json" in ctype else resp.body.decode("utf-8")
    return entry
