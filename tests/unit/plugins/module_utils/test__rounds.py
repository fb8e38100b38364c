# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_rounds: send_in_rounds paces rounds to what a throttled service takes per window."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest

from ansible_collections.m365.admin.plugins.module_utils._errors import OutcomeUnknownError, TransportError
from ansible_collections.m365.admin.plugins.module_utils._rounds import (
    ITEM_MAX_ATTEMPTS,
    EnvelopeRounds,
    Pressure,
    send_in_rounds,
)


class RateLimitedService(object):
    """Takes ``capacity`` items per window; a wait of a window or more refills it."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.tokens = capacity
        self.rounds = []
        self.done = set()
        self.attempts = {}

    async def sleep(self, seconds):
        self.rounds.append(0)
        if seconds >= 0.99:
            self.tokens = self.capacity

    async def send(self, indices):
        if not self.rounds:
            self.rounds.append(0)
        self.rounds[-1] += len(indices)
        retry = []
        for index in indices:
            self.attempts[index] = self.attempts.get(index, 0) + 1
            if self.tokens > 0:
                self.tokens -= 1
                self.done.add(index)
            else:
                retry.append((index, 1.0))
        return retry


def run(service, count, size):
    with mock.patch("asyncio.sleep", service.sleep):
        asyncio.run(send_in_rounds(count, size, service.send))


def test_after_a_throttled_round_only_what_the_service_took_is_sent():
    service = RateLimitedService(capacity=10)
    run(service, 200, 10)
    assert service.done == set(range(200))
    # Round 1 sends everything; from then on a round sends about what one window takes,
    # instead of every remaining item after each Retry-After (about 2,100 sends).
    assert service.rounds[0] == 200
    assert max(service.rounds[2:]) <= 12
    assert sum(service.rounds) < 450
    # No item is starved: each is throttled only a few times, far below the attempt limits.
    assert max(service.attempts.values()) <= 3


def test_without_throttling_everything_goes_in_one_round():
    service = RateLimitedService(capacity=1000)
    run(service, 200, 20)
    assert service.rounds == [200]
    assert service.done == set(range(200))


def test_budget_grows_back_after_clean_rounds():
    service = RateLimitedService(capacity=10)
    original_sleep = service.sleep

    async def sleep(seconds):
        if len(service.rounds) == 3:
            service.capacity = 40  # the service got quieter
        await original_sleep(seconds)

    service.sleep = sleep
    run(service, 600, 10)
    assert service.done == set(range(600))
    assert max(service.rounds[3:]) > 20


def test_first_round_is_small_and_doubles_while_nothing_is_throttled():
    rounds = {}
    finished = [0]

    async def send(indices):
        # Every chunk of a round starts before any of them finishes: group chunks by the
        # number of items finished when they started.
        rounds[finished[0]] = rounds.get(finished[0], 0) + len(indices)
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, None)
        await future
        finished[0] += len(indices)
        return []

    asyncio.run(send_in_rounds(200, 10, send, first=20))
    assert list(rounds.values()) == [20, 40, 80, 60]


def test_small_first_round_keeps_throttled_sends_few():
    service = RateLimitedService(capacity=10)
    with mock.patch("asyncio.sleep", service.sleep):
        asyncio.run(send_in_rounds(200, 10, service.send, first=40))
    assert service.done == set(range(200))
    assert service.rounds[0] == 40
    # 30 throttled in the first round, then only the probes of a grown budget.
    assert sum(service.rounds) - 200 < 60


def test_a_long_throttled_round_is_scaled_to_one_window():
    service = RateLimitedService(capacity=20)
    clock = [0.0]

    async def slow_send(indices):
        clock[0] += 0.5  # each envelope takes half a second of the round
        return await RateLimitedService.send(service, indices)

    async def main():
        asyncio.get_running_loop().time = lambda: clock[0]
        await send_in_rounds(100, 10, slow_send, first=40)

    with mock.patch("asyncio.sleep", service.sleep):
        asyncio.run(main())
    assert service.done == set(range(100))
    # 20 went through in a 2 s round with a 1 s Retry-After: 10 per window from then on.
    assert service.rounds[:2] == [40, 10]


def test_answers_lost_for_another_reason_do_not_slow_the_pace():
    """A dropped connection or an expired token is not the service's rate: the items wait and
    go again, and the rounds keep their size."""
    service = RateLimitedService(capacity=10000)
    lost = set(range(0, 400, 2))
    plain_send = service.send

    async def send(indices):
        retry = [(index, 0.5, False) for index in indices if index in lost]
        lost.difference_update(indices)
        kept = [index for index in indices if index not in set(r[0] for r in retry)]
        await plain_send(kept)
        return retry
    with mock.patch("asyncio.sleep", service.sleep):
        asyncio.run(send_in_rounds(400, 20, send))
    assert service.done == set(range(400))
    # Everything in the first round, the 200 lost items together in the second.
    assert len(service.rounds) == 2 and service.rounds[0] == 200 and service.rounds[1] == 200


def test_sporadic_throttling_keeps_the_pace():
    """One item in twenty refused at random (not the service's rate): rounds keep growing and
    the run takes a handful of rounds, not one per item."""
    service = RateLimitedService(capacity=100000)
    plain_send = service.send

    async def send(indices):
        refused = [(index, 1.0) for index in indices if index % 20 == 7 and service.attempts.get(index, 0) == 0]
        for index, _delay in refused:
            service.attempts[index] = 1
        await plain_send([index for index in indices if (index, 1.0) not in refused])
        return refused
    with mock.patch("asyncio.sleep", service.sleep):
        asyncio.run(send_in_rounds(4000, 20, send, first=80))
    assert service.done == set(range(4000))
    assert len(service.rounds) <= 8


def test_a_rate_limited_service_is_never_sent_less_than_an_envelope_a_round():
    service = RateLimitedService(capacity=3)
    run(service, 100, 10)
    assert service.done == set(range(100))
    # 3 go through a window, but each round still carries a whole envelope.
    assert service.rounds[1:4] == [10, 10, 10]


class BucketService(object):
    """A token bucket with a clock, as Graph meters resource units: ``capacity`` to start with,
    ``rate`` more per second; each envelope takes ``per_envelope`` seconds of the round. With
    a Pressure it says, as Graph does, when more than 80 % of the bucket is used."""

    def __init__(self, capacity, rate, per_envelope, pressure=None):
        self.capacity, self.rate, self.per_envelope = capacity, rate, per_envelope
        self.tokens = float(capacity)
        self.clock = 0.0
        self.pressure = pressure
        self.throttled = 0
        self.sent = []
        self.done = set()

    def _advance(self, seconds):
        self.clock += seconds
        self.tokens = min(self.capacity, self.tokens + seconds * self.rate)

    async def sleep(self, seconds):
        self._advance(seconds)

    async def send(self, indices):
        if self.pressure is not None:
            deferred = self.pressure.defer(indices)
            if deferred is not None:
                return deferred
        self._advance(self.per_envelope)
        self.sent.append(len(indices))
        retry = []
        for index in indices:
            if self.tokens >= 1:
                self.tokens -= 1
                self.done.add(index)
            else:
                self.throttled += 1
                retry.append((index, 1.0))
        if self.pressure is not None and self.tokens < 0.2 * self.capacity:
            self.pressure.note({"X-MS-Throttle-Limit-Percentage": "%.1f" % (1 - self.tokens / self.capacity)})
        return retry


def run_bucket(service, count, size=20, first=80):
    async def main():
        asyncio.get_running_loop().time = lambda: service.clock
        await send_in_rounds(count, size, service.send, first=first, pressure=service.pressure)

    with mock.patch("asyncio.sleep", service.sleep):
        asyncio.run(main())


def test_slow_start_ends_where_the_service_says_it_is_near_its_limit():
    """Graph says when an app has used more than 80 % of its resource units: slow start stops
    there instead of one doubled round past the limit, and the budget does not grow while it
    says so. The same run without the header draws many times the 429s."""
    blind = BucketService(capacity=8000, rate=800, per_envelope=0.0133)
    run_bucket(blind, 30000)
    told = BucketService(capacity=8000, rate=800, per_envelope=0.0133, pressure=Pressure())
    run_bucket(told, 30000)
    assert blind.done == told.done == set(range(30000))
    assert told.throttled * 4 < blind.throttled
    # Nothing is sent twice for being deferred: sends are the items plus the throttled ones.
    assert sum(told.sent) == 30000 + told.throttled
    # And the run is no slower for it (the bucket's floor: (30,000 - 8,000) / 800 = 27.5 s).
    assert told.clock < blind.clock * 1.1


def test_pressure_reads_the_limit_percentage_header():
    pressure = Pressure()
    pressure.start_round(braking=True)
    pressure.note({"x-ms-resource-unit": "1", "x-ms-throttle-limit-percentage": "0.5"})
    assert not pressure.warned and pressure.defer([1, 2]) is None
    pressure.note({"X-MS-Throttle-Limit-Percentage": "not a number"})
    assert not pressure.warned
    pressure.note({"X-MS-Throttle-Limit-Percentage": "0.9"})
    assert pressure.warned
    assert pressure.defer([1, 2]) == [(1, 0.0, False), (2, 0.0, False)] and pressure.deferred == 2
    pressure.start_round(braking=False)
    pressure.note({"x-ms-throttle-limit-percentage": "1.2"})
    # Once paced, an envelope is never held back for it.
    assert pressure.warned and pressure.defer([3]) is None


def test_a_service_that_warns_without_refusing_is_not_slowed():
    """An app at 80 % of its budget that the service never refuses: the pace is the rate the
    first round went through (a short round is not what a whole window takes), so the run takes
    as long as it would without the warning."""
    class AlwaysNear(BucketService):
        async def send(self, indices):
            retry = await BucketService.send(self, indices)
            self.pressure.note({"x-ms-throttle-limit-percentage": "0.9"})
            return retry

    plain = BucketService(capacity=10 ** 9, rate=10 ** 9, per_envelope=0.0133)
    run_bucket(plain, 20000)
    warned = AlwaysNear(capacity=10 ** 9, rate=10 ** 9, per_envelope=0.0133, pressure=Pressure())
    run_bucket(warned, 20000)
    assert warned.done == set(range(20000)) and warned.throttled == 0
    assert warned.clock < plain.clock * 1.25


# --- EnvelopeRounds: what every envelope needs, for both batch senders -------------------------

class Refusal(object):
    def __init__(self, status, headers=None):
        self.status = status
        self.headers = headers or {}


def post_once(rounds, indices, outcome):
    async def request():
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    return asyncio.run(rounds.post(indices, request, lost_write=lambda exc: ("unknown", exc.message),
                                   refused=lambda response: ("refused", response.status)))


def test_an_answered_envelope_is_handed_back_for_its_items_to_be_read():
    rounds = EnvelopeRounds(3, 10, 4)
    response, again = post_once(rounds, [0, 1, 2], Refusal(200))
    assert response.status == 200 and again is None and rounds.attempts == [0, 0, 0]


def test_writes_whose_answer_was_lost_are_unknown_outcomes_never_sent_again():
    rounds = EnvelopeRounds(2, 10, 4)
    response, again = post_once(rounds, [0, 1], OutcomeUnknownError("dropped"))
    assert response is None and again == [] and rounds.results == [("unknown", "dropped")] * 2


def test_reads_whose_answer_was_lost_go_again_until_out_of_sends():
    rounds = EnvelopeRounds(1, 10, 4)
    for _attempt in range(ITEM_MAX_ATTEMPTS - 1):
        _response, again = post_once(rounds, [0], TransportError("reset", answer_lost=True))
        assert [index for index, _wait, _throttled in again] == [0]
    with pytest.raises(TransportError):
        post_once(rounds, [0], TransportError("reset", answer_lost=True))
    with pytest.raises(TransportError):
        post_once(EnvelopeRounds(1, 10, 4), [0], TransportError("refused", answer_lost=False))


def test_a_refused_envelope_counts_one_send_per_item_and_waits_as_asked():
    rounds = EnvelopeRounds(2, 10, 4)
    response, again = post_once(rounds, [0, 1], Refusal(429, {"Retry-After": "3"}))
    assert response is None and rounds.attempts == [1, 1] and rounds.results == [("refused", 429)] * 2
    assert again == [(0, 3.0, True), (1, 3.0, True)]


def test_a_round_stopped_by_the_service_defers_its_items_without_counting_them():
    pressure = Pressure()
    pressure.start_round(braking=True)
    pressure.note({"x-ms-throttle-limit-percentage": "0.9"})
    rounds = EnvelopeRounds(2, 10, 4, pressure=pressure)
    response, again = post_once(rounds, [0, 1], Refusal(200))
    assert response is None and again == [(0, 0.0, False), (1, 0.0, False)] and rounds.attempts == [0, 0]
