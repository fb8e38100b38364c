"""Request accounting for ``GET /_sim/stats``."""
import threading
from collections import Counter


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.total = 0
            self.by_route = Counter()
            self.by_status = Counter()
            self.by_app = Counter()
            self.throttled_429 = 0
            self.throttled_by_reason = Counter()
            self.faults_injected = Counter()
            self.batch = {"graph_batches": 0, "exchange_batches": 0, "items": 0,
                          "by_route": Counter(), "by_status": Counter()}
            self.writes = 0
            self.tokens = Counter()
            self.dropped = 0

    def note_request(self, family, status, app=None):
        with self.lock:
            self.total += 1
            self.by_route[family] += 1
            self.by_status[str(status)] += 1
            if app:
                self.by_app[app] += 1
            if status == 429:
                self.throttled_429 += 1

    def note_batch_item(self, family, status):
        with self.lock:
            self.batch["items"] += 1
            self.batch["by_route"][family] += 1
            self.batch["by_status"][str(status)] += 1
            if status == 429:
                self.throttled_429 += 1

    def note_batch(self, kind):
        with self.lock:
            self.batch[kind + "_batches"] += 1

    def note_throttle(self, reason):
        with self.lock:
            self.throttled_by_reason[reason] += 1

    def note_fault(self, kind):
        with self.lock:
            self.faults_injected[kind] += 1

    def note_write(self):
        with self.lock:
            self.writes += 1

    def note_drop(self):
        with self.lock:
            self.dropped += 1

    def note_token(self, app, method):
        with self.lock:
            self.tokens["%s/%s" % (app, method)] += 1

    def snapshot(self):
        with self.lock:
            return {
                "total": self.total,
                "by_route": dict(self.by_route),
                "by_status": dict(self.by_status),
                "by_app": dict(self.by_app),
                "throttled_429": self.throttled_429,
                "throttled_by_reason": dict(self.throttled_by_reason),
                "faults_injected": dict(self.faults_injected),
                "dropped_connections": self.dropped,
                "batch": {
                    "graph_batches": self.batch["graph_batches"],
                    "exchange_batches": self.batch["exchange_batches"],
                    "items": self.batch["items"],
                    "by_route": dict(self.batch["by_route"]),
                    "by_status": dict(self.batch["by_status"]),
                },
                "writes": self.writes,
                "tokens_issued": dict(self.tokens),
            }
