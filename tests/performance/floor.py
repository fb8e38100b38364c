"""The floor of a benchmark run: the least time the throttling model and the latency allow.

A run is a sequence of tasks (an Ansible play runs its tasks one after the other); a task is
a sequence of phases, each a kind of request the collection must make at the least:

* ``sequential``: requests that depend on each other (a token, the pages of a listing);
  each costs one latency.
* ``batched``: independent items sent through ``$batch`` envelopes of ``batch_size``, with
  at most ``concurrency`` envelopes in flight: ceil(ceil(items / batch_size) / concurrency)
  round trips of one latency each.

Every request also draws from a throttling bucket (a token bucket of ``capacity`` that
refills at ``rate`` per second; buckets start full because the benchmark resets them before
each run). The phases of a task run one after the other (the reconcile engine reads every
target before it writes), so each phase takes at least

    max(round trips x latency, max over its buckets of (drawn - tokens left) / rate + latency)

(the second term only when the phase draws more than the bucket holds; the last request
still takes one latency to answer), and a bucket holds at most
min(capacity, tokens + rate x phase time - drawn) for the next phase (and the next task: the
tasks of a play share the app's buckets). The floor of a task is
the sum over its phases; the floor of a run is the sum of its tasks' floors (a play runs
its tasks in turn). Nothing here is hard-coded: the limits come from the
simulator's configuration and throttling model, the batch sizes, page sizes and concurrency
from the collection's clients.
"""
from __future__ import annotations

import math


class Bucket(object):
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` per second."""

    def __init__(self, name, capacity, period):
        self.name = name
        self.capacity = float(capacity)
        self.rate = float(capacity) / float(period)

    def seconds_for(self, drawn):
        """Least time to draw ``drawn`` tokens from a full bucket."""
        return max(0.0, (float(drawn) - self.capacity) / self.rate) if self.rate > 0 else float("inf")

    def to_dict(self):
        return {"name": self.name, "capacity": self.capacity, "rate_per_s": self.rate}


class Phase(object):
    """Requests of one kind: ``count`` of them, drawing ``draws`` {bucket name: tokens}."""

    def __init__(self, name, count, batch_size=1, concurrency=1, sequential=False, draws=None):
        self.name = name
        self.count = int(count)
        self.batch_size = max(1, int(batch_size))
        self.concurrency = max(1, int(concurrency))
        self.sequential = sequential
        self.draws = dict(draws or {})

    @property
    def envelopes(self):
        return int(math.ceil(self.count / float(self.batch_size)))

    @property
    def round_trips(self):
        if self.sequential:
            return self.envelopes
        return int(math.ceil(self.envelopes / float(self.concurrency)))

    def to_dict(self):
        return {"name": self.name, "items": self.count, "http_requests": self.envelopes,
                "round_trips": self.round_trips, "sequential": self.sequential, "draws": self.draws,
                "seconds": round(getattr(self, "seconds", 0.0), 3), "bound_by": getattr(self, "bound_by", None)}


def task_floor(phases, buckets, latency_s, tokens=None):
    """(floor seconds, detail) of one task: its phases one after the other.

    ``tokens``: what each bucket holds when the task starts (full when None); updated in
    place, so that the next task of the same play starts with what this one left.
    """
    if tokens is None:
        tokens = {}
    for name, bucket in buckets.items():
        tokens.setdefault(name, bucket.capacity)
    total, latency_bound, drawn, quota = 0.0, 0.0, {}, {}
    for phase in phases:
        seconds = phase.round_trips * latency_s
        latency_bound += seconds
        bound_by = "latency"
        for name, draw in phase.draws.items():
            drawn[name] = drawn.get(name, 0) + draw
            bucket = buckets[name]
            short = draw - tokens[name]
            if short > 0:
                waited = short / bucket.rate + latency_s
                quota[name] = quota.get(name, 0.0) + waited
                if waited > seconds:
                    seconds, bound_by = waited, name
        for name, bucket in buckets.items():
            # At best the bucket refills during the whole phase while the phase draws from it.
            tokens[name] = max(0.0, min(bucket.capacity, tokens[name] + bucket.rate * seconds - phase.draws.get(name, 0)))
        phase.seconds, phase.bound_by = seconds, bound_by
        total += seconds
    bound_by = "latency" if total <= latency_bound + 1e-9 else max(quota, key=quota.get)
    return total, {
        "floor_s": round(total, 3),
        "latency_bound_s": round(latency_bound, 3),
        "quota_wait_s": dict((k, round(v, 3)) for k, v in quota.items()),
        "bound_by": bound_by,
        "drawn": drawn,
        "phases": [phase.to_dict() for phase in phases],
        "http_requests": sum(phase.envelopes for phase in phases),
    }


def run_floor(tasks, buckets, latency_s):
    """(floor seconds, detail) of a run: ``tasks`` is [(name, [Phase])], run one after the other.

    The tasks of a play draw from the same buckets (the limits are per app and tenant, and the
    benchmark resets them only before each play), so each task starts with what the previous
    one left.
    """
    total, detail, tokens = 0.0, [], {}
    for name, phases in tasks:
        floor, info = task_floor(phases, buckets, latency_s, tokens)
        info["task"] = name
        total += floor
        detail.append(info)
    return total, detail


def model_buckets(config, tenant_users, ru_by_size, size_class):
    """The buckets of the throttling model for one app and tenant, from the simulator's config."""
    ru = config.get("graph_ru_per_10s") or ru_by_size[size_class(tenant_users)]
    rate = float(config.get("exchange_rate_per_s") or 10)
    burst = float(config.get("exchange_burst") or max(1.0, rate))
    return {
        "graph_ru": Bucket("graph_ru", ru, 10),
        "graph_writes": Bucket("graph_writes", config.get("graph_writes_per_150s") or 3000, 150),
        "exchange": Bucket("exchange", burst, burst / rate),
    }


class Limits(object):
    """The collection's own limits that the floor depends on."""

    def __init__(self, concurrency, graph_batch, graph_page, exchange_batch, exchange_page):
        self.concurrency = concurrency
        self.graph_batch = graph_batch
        self.graph_page = graph_page
        self.exchange_batch = exchange_batch
        self.exchange_page = exchange_page

    def to_dict(self):
        return dict(vars(self))


def mfa_task(limits, listed_users, members, writes=0):
    """user_mfa(_info) with all_users: sign-in (the identity library reads the authority's
    metadata, then asks for a token), the /users listing ($select: 1 RU a page), one
    GET of the state per member user (1 RU), and one PATCH per change (1 RU and 1 write)."""
    pages = max(1, int(math.ceil(listed_users / float(limits.graph_page))))
    phases = [
        Phase("sign-in (authority metadata, token)", 2, sequential=True),
        Phase("GET /users pages", pages, sequential=True, draws={"graph_ru": pages}),
        Phase("GET authentication/requirements", members, limits.graph_batch, limits.concurrency,
              draws={"graph_ru": members}),
    ]
    if writes:
        phases.append(Phase("PATCH authentication/requirements", writes, limits.graph_batch, limits.concurrency,
                            draws={"graph_ru": writes, "graph_writes": writes}))
    return phases


def mailbox_task(limits, mailboxes, writes=0, transport_config=False):
    """mailbox_protocols(_info) with all_mailboxes: sign-in, the Get-CASMailbox listing (pages of
    1,000, each page a request), Get-TransportConfig for the _info module, one Set-CASMailbox
    per change; every cmdlet call counts against the Exchange per-app rate."""
    pages = max(1, int(math.ceil(mailboxes / float(limits.exchange_page))))
    phases = [
        Phase("sign-in (authority metadata, token)", 2, sequential=True),
        Phase("Get-CASMailbox pages", pages, sequential=True, draws={"exchange": pages}),
    ]
    if transport_config:
        phases.append(Phase("Get-TransportConfig", 1, sequential=True, draws={"exchange": 1}))
    if writes:
        phases.append(Phase("Set-CASMailbox", writes, limits.exchange_batch, limits.concurrency,
                            draws={"exchange": writes}))
    return phases


def machine_extra(detail, ideal):
    """What the requests of a run take on this machine above the floor, at the least: the
    time a client that only sends and reads (``ideal``, measured by ideal.py) adds to each
    round trip, for the phases the latency bounds (a phase bound by a bucket takes the time
    the bucket sets, whatever a round trip costs)."""
    extra = 0.0
    for task in detail:
        for phase in task["phases"]:
            if phase.get("bound_by") != "latency":
                continue
            kind = "sequential_extra_s" if phase.get("sequential") else "batched_round_trip_extra_s"
            extra += phase["round_trips"] * ideal[kind]
    return extra
