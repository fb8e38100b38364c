"""The simulator core: owns the store, keys, configuration, stats, faults and throttling,
and dispatches transport-neutral requests to the identity, Graph, Exchange and /_sim
handlers. Latency and fault injection happen here for top-level requests (batch items
get theirs in graph.py / exchange.py)."""
import copy
import json
import os
import threading
import time

from . import admin, exchange, graph, wsman
from .apps import APPS
from .auth import Identity
from .certs import KeyMaterial
from .faults import Faults
from .state import Store
from .stats import Stats
from .throttling import Throttler
from .wire import PLAIN_JSON, Response, entra_error

DEFAULT_CONFIG = {
    "latency_ms": 0,
    "token_lifetime": 3599,
    "throttling": False,
    "ca_throttling": True,
    "graph_ru_per_10s": None,
    "graph_writes_per_150s": 3000,
    "ca_requests_per_s": 1,
    "reports_per_10s": 5,
    "exchange_rate_per_s": 10,
    "exchange_burst": None,
    "batch_shuffle": True,
    "entra_premium": True,
    "psrp_properties": "auto",
    "exchange_environment": "O365Default",
}
CONFIG_TYPES = {
    "latency_ms": (int, float),
    "token_lifetime": int,
    "throttling": bool,
    "ca_throttling": bool,
    "graph_ru_per_10s": (int, type(None)),
    "graph_writes_per_150s": int,
    "ca_requests_per_s": (int, float),
    "reports_per_10s": int,
    "exchange_rate_per_s": (int, float),
    "exchange_burst": (int, float, type(None)),
    "batch_shuffle": bool,
    "entra_premium": bool,
    "psrp_properties": str,
    "exchange_environment": str,
}
CONFIG_CHOICES = {
    # PowerShell remoting: objects' values as adapted or extended properties (auto: as each host does).
    "psrp_properties": ("auto", "adapted", "extended"),
    # The tenant's cloud, as Connect-ExchangeOnline -ExchangeEnvironmentName names it.
    "exchange_environment": ("O365Default", "O365USGovGCCHigh", "O365USGovDoD", "O365China"),
}


class Simulator:
    def __init__(self, state_dir, users=200, seed=1, reset=False, config=None, debounce=0.2):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        self.keys = KeyMaterial(self.state_dir).ensure()
        self.store = Store(os.path.join(self.state_dir, "state.json"), debounce=debounce)
        self.load_result = self.store.load_or_seed(users, seed, reset)
        self.config = dict(DEFAULT_CONFIG)
        self.config_lock = threading.Lock()
        if config:
            self.update_config(config)
        self.stats = Stats()
        self.faults = Faults()
        self.throttler = Throttler(self)
        self.identity = Identity(self)
        self.port = None
        self.started = time.time()
        self._psrp = None

    @property
    def psrp(self):
        """The PowerShell remoting host of /wsman (psrpcore is imported only when it is used)."""
        if self._psrp is None:
            from .psrp_host import PsrpHost

            self._psrp = PsrpHost(self, APPS["admin"].client_secret)
        return self._psrp

    # -- configuration --------------------------------------------------------------------
    def update_config(self, changes):
        if not isinstance(changes, dict):
            raise ValueError("config must be a JSON object")
        faults = changes.get("faults", Ellipsis)
        script = changes.get("fault_script", Ellipsis)
        new = dict(self.config)
        for key, value in changes.items():
            if key in ("faults", "fault_script"):
                continue
            if key not in CONFIG_TYPES:
                raise ValueError("unknown config key '%s'" % key)
            types = CONFIG_TYPES[key]
            types = types if isinstance(types, tuple) else (types,)
            if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
                raise ValueError("config '%s' has the wrong type (%s)" % (key, type(value).__name__))
            if key in CONFIG_CHOICES and value not in CONFIG_CHOICES[key]:
                raise ValueError("config '%s' must be one of %s" % (key, ", ".join(CONFIG_CHOICES[key])))
            if key in ("token_lifetime",) and value < 1:
                raise ValueError("token_lifetime must be >= 1")
            if key in ("latency_ms",) and value < 0:
                raise ValueError("latency_ms must be >= 0")
            if key in ("ca_requests_per_s", "exchange_rate_per_s") and value <= 0:
                raise ValueError("%s must be > 0" % key)
            new[key] = value
        if faults is not Ellipsis:
            self.faults.configure_random(faults)
        if script is not Ellipsis:
            self.faults.configure_script(script)
        with self.config_lock:
            self.config = new
        if hasattr(self, "throttler"):
            self.throttler.reset()
        return self.describe_config()

    def describe_config(self):
        out = copy.deepcopy(self.config)
        if hasattr(self, "faults"):
            out.update(self.faults.describe())
        return out

    # -- dispatch ------------------------------------------------------------------------------
    def service_of(self, path):
        if path == "/_sim" or path.startswith("/_sim/"):
            return "sim"
        if path in ("/v1.0", "/beta") or path.startswith(("/v1.0/", "/beta/")):
            return "graph"
        if exchange.is_exchange_path(path):
            return "exchange"
        if Identity.is_identity_path(path):
            return "identity"
        if wsman.is_wsman_path(path):
            return "wsman"
        return None

    def handle(self, req):
        service = self.service_of(req.path)
        if service == "sim":
            return admin.handle(self, req)
        # latency_ms is the service's response time: the answer leaves that long after the
        # request arrived, the simulator's own work included (work that takes longer makes the
        # answer later by the difference). The simulator's CPU on a machine it shares with the
        # client is not part of the service being modelled, so it is not added on top.
        latency = self.config.get("latency_ms") or 0
        deadline = (req.arrived or time.monotonic()) + latency / 1000.0
        resp = self._handle(req, service)
        remaining = deadline - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        return resp

    def _handle(self, req, service):
        cmdlet = identity = None
        if service == "exchange" and req.body:
            try:
                cmdlet_input = json.loads(req.body).get("CmdletInput", {})
                cmdlet = cmdlet_input.get("CmdletName")
                identity = (cmdlet_input.get("Parameters") or {}).get("Identity")
            except Exception:  # noqa: BLE001
                cmdlet = identity = None
        fault = self.faults.pick(req.match_key(), service or "other", cmdlet=cmdlet if isinstance(cmdlet, str) else None,
                                 identity=identity)
        if fault is not None:
            self.stats.note_fault(fault.kind)
            if fault.delay_ms:
                time.sleep(fault.delay_ms / 1000.0)
            if fault.drop:
                self.stats.note_drop()
                self.stats.note_request("%s (dropped)" % req.match_key().split("?")[0][:80], 0)
                return Response.dropped()
            resp = self.fault_response(req, service, fault)
            self.stats.note_request(self._family(req, service), resp.status)
            return resp
        if service == "graph":
            resp = graph.handle(self, req)
        elif service == "exchange":
            resp = exchange.handle(self, req)
        elif service == "wsman":
            resp = wsman.handle(self, req)
        elif service == "identity":
            resp = self.identity.handle(req)
            if resp is None:
                resp = self.not_found(req)
        else:
            resp = self.not_found(req)
        if resp.drop:
            self.stats.note_drop()
            self.stats.note_request(self._family(req, service) + " (dropped)", 0)
            return resp
        self.stats.note_request(self._family(req, service), resp.status, req.app.name if req.app else None)
        return resp

    def _family(self, req, service):
        if req.route:
            return req.route[1]
        if service == "identity":
            p = req.path.lower()
            if p.endswith("/token"):
                return "POST /{tenant}/oauth2/token"
            if "openid-configuration" in p:
                return "GET /{tenant}/.well-known/openid-configuration"
            if p.endswith("/keys"):
                return "GET /{tenant}/discovery/keys"
            return "GET /common/discovery/instance"
        if service == "graph":
            return "%s /graph" % req.method
        if service == "exchange":
            return "%s /adminapi" % req.method
        return "%s (unknown route)" % req.method

    def fault_response(self, req, service, fault):
        if service == "graph":
            return graph.standard_headers(req, graph.fault_response(req, fault))
        if service == "exchange":
            return exchange.exchange_fault_response(req, fault)
        if service == "identity":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            return entra_error(fault.status, "temporarily_unavailable", 90033 if fault.status >= 500 else 50196,
                               fault.message or "A transient error has occurred. Please try again.", req,
                               headers=headers)
        return Response(fault.status, obj={"error": {"code": "InjectedFault", "message": fault.message or "fault"}},
                        content_type=PLAIN_JSON)

    def not_found(self, req):
        return Response(404, obj={"error": {"code": "NotFound",
                                            "message": "No simulator endpoint for %s %s" % (req.method, req.path)}},
                        content_type=PLAIN_JSON)

    # -- lifecycle -----------------------------------------------------------------------------
    def reset(self, users=None, seed=None):
        params = self.store.data["params"]
        users = params["users"] if users is None else users
        seed = params["seed"] if seed is None else seed
        self.store.seed(users, seed)
        self.store.save_now()
        self.throttler.reset()

    def close(self):
        self.store.close()
