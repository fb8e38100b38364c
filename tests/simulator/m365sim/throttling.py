"""Throttling model (graph-facts.md section 7, exchange-facts.md 6.6).

* Graph identity & access: a ResourceUnit token bucket per app+tenant (3,500 / 5,000 /
  8,000 RU per 10 s for tenants with <50 / 50-500 / >500 users) plus a write quota
  (3,000 writes per 150 s). Costs per request are computed by the caller (graph.py).
  Throttled: 429 with Retry-After and x-ms-throttle-scope / x-ms-throttle-information.
* Graph reports (sign-in logs): 5 requests per 10 s per app+tenant.
* Conditional Access: 1 request per second per tenant for all apps, 429 *without*
  Retry-After. Controlled by its own flag ``ca_throttling`` (default on) because it is
  Microsoft behaviour the collection must cope with even in quiet tests.
* Exchange admin API: per-app request rate (``exchange_rate_per_s``) with Retry-After.

Everything except CA pacing is active only with ``throttling: true``. Batch items are
metered one by one by the callers.
"""
import math
import threading
import time

from .apps import TENANT_ID

RU_BY_SIZE = {"S": 3500, "M": 5000, "L": 8000}


class Bucket:
    def __init__(self, capacity, period):
        self.capacity = float(capacity)
        self.rate = float(capacity) / float(period)
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def _refill(self, now):
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_for(self, cost, now):
        self._refill(now)
        if self.tokens >= cost:
            return 0.0
        return (cost - self.tokens) / self.rate if self.rate > 0 else 3600.0

    def take(self, cost):
        self.tokens -= cost

    def used_fraction(self):
        return max(0.0, (self.capacity - self.tokens) / self.capacity) if self.capacity else 0.0


class Verdict:
    def __init__(self, ok=True, retry_after=None, headers=None, reason=None, scope=None):
        self.ok = ok
        self.retry_after = retry_after
        self.headers = headers or {}
        self.reason = reason
        self.scope = scope


def _retry_after(wait):
    return max(1, int(math.ceil(wait - 1e-9)))


class Throttler:
    def __init__(self, sim):
        self.sim = sim
        self.lock = threading.Lock()
        self.buckets = {}

    def reset(self):
        with self.lock:
            self.buckets = {}

    def _bucket(self, key, capacity, period):
        b = self.buckets.get(key)
        if b is None or b.capacity != float(capacity) or abs(b.rate - float(capacity) / period) > 1e-9:
            b = Bucket(capacity, period)
            self.buckets[key] = b
        return b

    # -- Graph ------------------------------------------------------------------------------
    def graph(self, app, category, cost, is_write):
        cfg = self.sim.config
        with self.lock:
            now = time.monotonic()
            if category == "ca":
                if not cfg.get("ca_throttling", True):
                    return Verdict()
                rate = float(cfg.get("ca_requests_per_s") or 1)
                b = self._bucket(("ca", TENANT_ID), max(1.0, rate), max(1.0, rate) / rate)
                if b.wait_for(1, now) > 0:
                    return Verdict(False, None, {}, "ConditionalAccessLimitExceeded", "Tenant")
                b.take(1)
                return Verdict()
            if not cfg.get("throttling"):
                return Verdict(headers={"x-ms-resource-unit": str(cost)} if category == "identity" else {})
            if category == "reports":
                quota = int(cfg.get("reports_per_10s") or 5)
                b = self._bucket(("reports", app.client_id, TENANT_ID), quota, 10)
                wait = b.wait_for(1, now)
                if wait > 0:
                    ra = _retry_after(wait)
                    return Verdict(False, ra, {"Retry-After": str(ra)}, "ReportsLimitExceeded", "Tenant_Application")
                b.take(1)
                return Verdict()
            # identity & access
            quota = cfg.get("graph_ru_per_10s") or RU_BY_SIZE[self.sim.store.tenant_size_class()]
            ru = self._bucket(("ru", app.client_id, TENANT_ID), int(quota), 10)
            wait = ru.wait_for(cost, now)
            scope = "Tenant_Application/%s/%s/%s" % ("ReadWrite" if is_write else "Read", app.client_id, TENANT_ID)
            if wait > 0:
                ra = _retry_after(wait)
                return Verdict(False, ra, {
                    "Retry-After": str(ra),
                    "x-ms-throttle-scope": scope,
                    "x-ms-throttle-information": "ResourceUnitLimitExceeded",
                }, "ResourceUnitLimitExceeded", scope)
            wb = None
            if is_write:
                wquota = int(cfg.get("graph_writes_per_150s") or 3000)
                wb = self._bucket(("writes", app.client_id, TENANT_ID), wquota, 150)
                wwait = wb.wait_for(1, now)
                if wwait > 0:
                    ra = _retry_after(wwait)
                    return Verdict(False, ra, {
                        "Retry-After": str(ra),
                        "x-ms-throttle-scope": "Tenant_Application/Write/%s/%s" % (app.client_id, TENANT_ID),
                        "x-ms-throttle-information": "WriteLimitExceeded",
                    }, "WriteLimitExceeded", scope)
            ru.take(cost)
            if wb is not None:
                wb.take(1)
            headers = {"x-ms-resource-unit": str(cost)}
            used = ru.used_fraction()
            if used > 0.8:
                headers["x-ms-throttle-limit-percentage"] = "%.1f" % min(1.8, used)
            return Verdict(headers=headers)

    # -- Exchange ---------------------------------------------------------------------------
    def exchange(self, app):
        cfg = self.sim.config
        if not cfg.get("throttling"):
            return Verdict()
        rate = float(cfg.get("exchange_rate_per_s") or 10)
        burst = float(cfg.get("exchange_burst") or max(1.0, rate))
        with self.lock:
            now = time.monotonic()
            b = self._bucket(("exo", app.client_id), burst, burst / rate)
            wait = b.wait_for(1, now)
            if wait > 0:
                ra = _retry_after(wait)
                return Verdict(False, ra, {"Retry-After": str(ra)}, "ExchangeRateLimitExceeded", "Application")
            b.take(1)
            return Verdict()
