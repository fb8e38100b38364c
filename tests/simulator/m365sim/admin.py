"""Test knobs under /_sim (no authentication):

GET  /_sim/state[?summary=1]          full tenant state (or a summary)
POST /_sim/reset                      re-seed; body optional {"users": N, "seed": S}
GET  /_sim/stats, POST /_sim/stats/reset
GET  /_sim/changes[?since=SEQ]        log of state-changing writes
GET  /_sim/config, POST /_sim/config  latency, token lifetime, throttling, faults, ...
GET  /_sim/users/{id-or-upn}          internal view of one user (MFA state, registration)
POST /_sim/users/{id-or-upn}/register-method
POST /_sim/save                       flush state.json now
GET  /_sim/health
"""
import json
from urllib.parse import parse_qsl

from .graph_policies import register_method
from .wire import PLAIN_JSON, Response


def _json(status, obj):
    return Response(status, obj=obj, content_type=PLAIN_JSON, headers={"Cache-Control": "no-store"})


def _error(status, message):
    return _json(status, {"error": {"code": "SimulatorError", "message": message}})


def summary(sim):
    d = sim.store.data
    rtd = {}
    for m in d["mailboxes"]:
        rtd[m["RecipientTypeDetails"]] = rtd.get(m["RecipientTypeDetails"], 0) + 1
    mfa = {}
    for u in d["users"]:
        mfa[u.get("_mfa", "disabled")] = mfa.get(u.get("_mfa", "disabled"), 0) + 1
    return {
        "params": d["params"],
        "seeded_at": d["seeded_at"],
        "tenant_id": d["tenant"]["id"],
        "counts": {
            "users": len(d["users"]),
            "guests": sum(1 for u in d["users"] if u.get("userType") == "Guest"),
            "groups": len(d["groups"]),
            "devices": len(d["devices"]),
            "mailboxes": len(d["mailboxes"]),
            "mailboxes_by_type": rtd,
            "ca_policies": len(d["ca_policies"]),
            "signins": len(d["signins"]),
            "changes": len(d["changes"]),
        },
        "per_user_mfa": mfa,
        "security_defaults": d["security_defaults"],
        "transport_config": {"SmtpClientAuthenticationDisabled": d["transport_config"]["SmtpClientAuthenticationDisabled"]},
        "legacy_users": d.get("legacy_users", []),
    }


def _body(req):
    if not req.body:
        return {}
    data = json.loads(req.body)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def handle(sim, req):
    path = req.path.rstrip("/")
    q = dict(parse_qsl(req.query_string))
    parts = path.split("/")[2:]
    try:
        if path == "/_sim/health" and req.method == "GET":
            return _json(200, {"status": "ok", "port": sim.port, "load": sim.load_result})
        if path == "/_sim/state" and req.method == "GET":
            with sim.store.lock:
                if q.get("summary") in ("1", "true"):
                    return _json(200, summary(sim))
                return Response(200, body=sim.store.snapshot_json(), content_type=PLAIN_JSON)
        if path == "/_sim/reset" and req.method == "POST":
            body = _body(req)
            users, seed = body.get("users"), body.get("seed")
            for name, value in (("users", users), ("seed", seed)):
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                    return _error(400, "%s must be a non-negative integer" % name)
            with sim.store.lock:
                sim.reset(users, seed)
                return _json(200, summary(sim))
        if path == "/_sim/stats" and req.method == "GET":
            return _json(200, sim.stats.snapshot())
        if path == "/_sim/stats/reset" and req.method == "POST":
            sim.stats.reset()
            return _json(200, sim.stats.snapshot())
        if path == "/_sim/changes" and req.method == "GET":
            since = int(q.get("since", "0") or 0)
            with sim.store.lock:
                changes = [c for c in sim.store.data["changes"] if c["seq"] > since]
            return _json(200, {"changes": changes, "last_seq": sim.store.data["change_seq"]})
        if path == "/_sim/config":
            if req.method == "GET":
                return _json(200, sim.describe_config())
            if req.method == "POST":
                return _json(200, sim.update_config(_body(req)))
        if path == "/_sim/save" and req.method == "POST":
            sim.store.save_now()
            return _json(200, {"saved": True, "saves": sim.store.saves})
        if len(parts) >= 2 and parts[0] == "users":
            with sim.store.lock:
                u = sim.store.user(parts[1])
                if u is None:
                    return _error(404, "user '%s' not found" % parts[1])
                if len(parts) == 2 and req.method == "GET":
                    mbx = sim.store.mbx_by_user.get(u["id"].lower())
                    return _json(200, {"id": u["id"], "userPrincipalName": u["userPrincipalName"],
                                       "perUserMfaState": u.get("_mfa", "disabled"),
                                       "hasRegisteredMethod": bool(u.get("_reg")), "user": u, "mailbox": mbx})
                if len(parts) == 3 and parts[2] == "register-method" and req.method == "POST":
                    after = register_method(sim.store, u)
                    return _json(200, {"id": u["id"], "userPrincipalName": u["userPrincipalName"], **after})
    except ValueError as exc:
        return _error(400, str(exc))
    return _error(404, "no /_sim endpoint for %s %s" % (req.method, req.path))
