"""The tenant store: in-memory data with indexes, change log and persistence.

State lives in ``DIR/state.json``. Writes mark the store dirty; a background saver writes
the file atomically (temp file + rename) shortly after (debounced), and ``close()``
flushes on shutdown.
"""
import copy
import json
import os
import threading
import time

from .seed import Seeder, mailbox_dn
from .util import atomic_write, iso

MAX_CHANGES = 20000


class Store:
    def __init__(self, path=None, debounce=0.2):
        self.path = path
        self.lock = threading.RLock()
        self.data = None
        self.debounce = debounce
        self._dirty = False
        self._cond = threading.Condition()
        self._saver = None
        self._stopping = False
        self.saves = 0
        self.last_save_seconds = 0.0

    # -- loading / seeding ----------------------------------------------------------
    def load_or_seed(self, users, seed, reset=False):
        if self.path and os.path.exists(self.path) and not reset:
            with open(self.path, "rb") as fh:
                data = json.load(fh)
            if data.get("format") == 1:
                with self.lock:
                    self.data = data
                    self._index()
                return "loaded"
        self.seed(users, seed)
        self.save_now()
        return "seeded"

    def seed(self, users, seed):
        data = Seeder(users, seed).build()
        with self.lock:
            self.data = data
            self._index()
        self.mark_dirty()

    def _index(self):
        d = self.data
        self.users_by_id = {u["id"].lower(): u for u in d["users"]}
        self.users_by_upn = {u["userPrincipalName"].lower(): u for u in d["users"]}
        self.groups_by_id = {g["id"].lower(): g for g in d["groups"]}
        self.devices_by_id = {x["id"].lower(): x for x in d["devices"]}
        self.ca_by_id = {p["id"].lower(): p for p in d["ca_policies"]}
        self.mbx_by_user = {}
        self.mbx_index = {}
        for m in d["mailboxes"]:
            self.mbx_by_user[m["ExternalDirectoryObjectId"].lower()] = m
            for key in self.mailbox_keys(m):
                bucket = self.mbx_index.setdefault(key, [])
                if not any(x is m for x in bucket):
                    bucket.append(m)
        self.plan_index = {}
        for p in d["cas_plans"]:
            for key in (p["Name"], p["DisplayName"], p["Guid"]):
                self.plan_index.setdefault(key.lower(), []).append(p)

    @staticmethod
    def mailbox_keys(m):
        keys = {
            m["UserPrincipalName"].lower(),
            m["PrimarySmtpAddress"].lower(),
            m["Alias"].lower(),
            m["Name"].lower(),
            m["DisplayName"].lower(),
            m["Guid"].lower(),
            m["ExchangeGuid"].lower(),
            m["ExternalDirectoryObjectId"].lower(),
            m["LegacyExchangeDN"].lower(),
            mailbox_dn(m["Name"]).lower(),
        }
        for address in m["EmailAddresses"]:
            if address.lower().startswith("smtp:"):
                keys.add(address[5:].lower())
        return keys

    # -- lookups ----------------------------------------------------------------------
    def user(self, key):
        if not isinstance(key, str):
            return None
        k = key.lower()
        return self.users_by_id.get(k) or self.users_by_upn.get(k)

    def tenant_size_class(self):
        n = len(self.data["users"])
        return "S" if n < 50 else "M" if n <= 500 else "L"

    # -- change log ---------------------------------------------------------------------
    def record_change(self, kind, target, before, after, actor=None, via=None):
        with self.lock:
            self.data["change_seq"] += 1
            entry = {
                "seq": self.data["change_seq"],
                "time": iso(),
                "kind": kind,
                "target": target,
                "before": copy.deepcopy(before),
                "after": copy.deepcopy(after),
                "actor": actor,
                "via": via,
            }
            changes = self.data["changes"]
            changes.append(entry)
            if len(changes) > MAX_CHANGES:
                del changes[: len(changes) - MAX_CHANGES]
        self.mark_dirty()
        return entry

    # -- persistence --------------------------------------------------------------------
    def mark_dirty(self):
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def start_saver(self):
        if self._saver or not self.path:
            return
        self._saver = threading.Thread(target=self._saver_loop, name="m365sim-saver", daemon=True)
        self._saver.start()

    def _saver_loop(self):
        while True:
            with self._cond:
                while not self._dirty and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
            # Debounce; for very large tenants keep the time spent serialising (under the
            # store lock) to about a third of wall time.
            time.sleep(max(self.debounce, 2 * self.last_save_seconds))
            self.save_now()

    def snapshot_json(self):
        with self.lock:
            with self._cond:
                self._dirty = False
            return json.dumps(self.data, separators=(",", ":"))

    def save_now(self):
        if not self.path:
            with self._cond:
                self._dirty = False
            return
        started = time.monotonic()
        text = self.snapshot_json()
        atomic_write(self.path, text)
        self.saves += 1
        self.last_save_seconds = time.monotonic() - started

    def close(self):
        with self._cond:
            self._stopping = True
            dirty = self._dirty
            self._cond.notify_all()
        if self._saver:
            self._saver.join(timeout=5)
            self._saver = None
        if dirty or self.path and not os.path.exists(self.path):
            self.save_now()
