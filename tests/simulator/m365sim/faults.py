"""Fault injection: seeded random faults and a deterministic script, applied to top-level
requests and to individual batch items alike.

``match`` is a regular expression searched in ``"METHOD /path"`` (path without query; for
Exchange the cmdlet can be matched separately with ``cmdlet``, and the cmdlet's -Identity with
``identity``: a mailbox that disappears between a read and a write, one user's refused
write). Without ``match`` the
random faults hit Graph and Exchange calls only (never the token endpoint or /_sim).
"""
import random
import re
import threading

from .wire import qualify_exception


class Fault:
    def __init__(self, status=None, retry_after=None, drop=False, exchange_exception=None, message=None,
                 delay_ms=0, source="script", code=None):
        self.status = status
        self.retry_after = retry_after
        self.drop = drop
        self.exchange_exception = exchange_exception
        self.message = message
        self.delay_ms = delay_ms
        self.source = source
        self.code = code

    @property
    def kind(self):
        if self.drop:
            return "drop"
        if self.status == 429 and self.retry_after is None:
            return "429_no_retry_after"
        return str(self.status)


def _compile(pattern, what):
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise ValueError("%s must be a string (regular expression)" % what)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError("invalid %s regex %r: %s" % (what, pattern, exc)) from None


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.random_cfg = None
        self.rng = None
        self.random_match = None
        self.script = []

    # -- configuration ------------------------------------------------------------------------
    def configure_random(self, cfg):
        if cfg in (None, {}, False):
            with self.lock:
                self.random_cfg, self.rng, self.random_match = None, None, None
            return
        if not isinstance(cfg, dict):
            raise ValueError("faults must be an object")
        allowed = {"rate_429", "rate_429_no_retry_after", "rate_503", "rate_500", "rate_drop", "seed", "match",
                   "retry_after"}
        unknown = set(cfg) - allowed
        if unknown:
            raise ValueError("unknown faults keys: %s" % ", ".join(sorted(unknown)))
        total = 0.0
        for key in ("rate_429", "rate_429_no_retry_after", "rate_503", "rate_500", "rate_drop"):
            v = cfg.get(key, 0) or 0
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or v > 1:
                raise ValueError("%s must be a number between 0 and 1" % key)
            total += v
        if total > 1:
            raise ValueError("fault rates add up to more than 1")
        match = _compile(cfg.get("match"), "faults.match")
        with self.lock:
            self.random_cfg = dict(cfg)
            self.rng = random.Random(cfg.get("seed", 0))
            self.random_match = match

    def configure_script(self, entries):
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise ValueError("fault_script must be a list")
        script = []
        for i, e in enumerate(entries):
            if not isinstance(e, dict):
                raise ValueError("fault_script[%d] must be an object" % i)
            unknown = set(e) - {"match", "cmdlet", "identity", "status", "retry_after", "count", "drop",
                                "exchange_exception", "message", "delay_ms", "code"}
            if unknown:
                raise ValueError("fault_script[%d]: unknown keys %s" % (i, ", ".join(sorted(unknown))))
            if not e.get("drop") and not isinstance(e.get("status"), int):
                raise ValueError("fault_script[%d] needs an integer status or drop: true" % i)
            count = e.get("count", 1)
            if not isinstance(count, int) or count < 1:
                raise ValueError("fault_script[%d].count must be a positive integer" % i)
            script.append({
                **e,
                "count": count,
                "remaining": count,
                "_match": _compile(e.get("match"), "fault_script[%d].match" % i),
                "_cmdlet": _compile(e.get("cmdlet"), "fault_script[%d].cmdlet" % i),
                "_identity": _compile(e.get("identity"), "fault_script[%d].identity" % i),
            })
        with self.lock:
            self.script = script

    def describe(self):
        with self.lock:
            return {
                "faults": dict(self.random_cfg) if self.random_cfg else None,
                "fault_script": [{k: v for k, v in e.items() if not k.startswith("_")} for e in self.script],
            }

    # -- selection ----------------------------------------------------------------------------
    def pick(self, key, service, cmdlet=None, identity=None):
        """Return a Fault for this request (consuming script entries) or None."""
        with self.lock:
            for e in self.script:
                if e["remaining"] <= 0:
                    continue
                if e["_match"] is not None and not e["_match"].search(key):
                    continue
                if e["_match"] is None and service not in ("graph", "exchange"):
                    continue
                if e["_cmdlet"] is not None and not (cmdlet and e["_cmdlet"].search(cmdlet)):
                    continue
                if e["_identity"] is not None and not (isinstance(identity, str) and e["_identity"].search(identity)):
                    continue
                e["remaining"] -= 1
                return Fault(
                    status=e.get("status"),
                    retry_after=e.get("retry_after"),
                    drop=bool(e.get("drop")),
                    exchange_exception=e.get("exchange_exception"),
                    message=e.get("message"),
                    delay_ms=e.get("delay_ms", 0) or 0,
                    source="script",
                    code=e.get("code"),
                )
            cfg = self.random_cfg
            if not cfg or self.rng is None:
                return None
            if self.random_match is not None:
                if not self.random_match.search(key):
                    return None
            elif service not in ("graph", "exchange"):
                return None
            r = self.rng.random()
            edge = 0.0
            ra = cfg.get("retry_after", 1)
            for name, fault in (
                ("rate_429", lambda: Fault(429, retry_after=ra, source="random")),
                ("rate_429_no_retry_after", lambda: Fault(429, retry_after=None, source="random")),
                ("rate_503", lambda: Fault(503, source="random")),
                ("rate_500", lambda: Fault(500, source="random")),
                ("rate_drop", lambda: Fault(drop=True, source="random")),
            ):
                edge += cfg.get(name, 0) or 0
                if r < edge:
                    return fault()
            return None


GRAPH_FAULT_CODES = {
    429: ("TooManyRequests", "Please retry again later."),
    500: ("generalException", "General exception while processing."),
    502: ("badGateway", "Bad gateway."),
    503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("gatewayTimeout", "Gateway timeout."),
}


def exchange_exception_for(fault):
    if fault.exchange_exception:
        return qualify_exception(fault.exchange_exception)
    if fault.status == 429:
        return "Microsoft.Exchange.Diagnostics.ThrottlingException"
    if fault.status == 503:
        return "Microsoft.Exchange.Data.Storage.ServerBusyException"
    return "Microsoft.Exchange.Data.Directory.ADTransientException"
