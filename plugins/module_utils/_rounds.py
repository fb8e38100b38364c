# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Batching and pacing: items sent in envelopes, envelopes in rounds, items retried by round.

The Graph ``$batch`` and the Exchange ``$batch`` senders (``GraphClient.batch``,
``ExchangeClient.invoke_many``) share everything but the envelope's shape and the reading of
its items: the concurrency bound, the send counts of the items, what happens to an envelope
whose answer was lost or that was refused as a whole (429, 503, 504), and the pacing of the
rounds. That shared part is here (``EnvelopeRounds``, ``send_in_rounds``); each client
configures it with how to post its envelope and how to read the answer. Envelopes are sent
with the HTTP pipeline's retries off, so no item is sent more than ITEM_MAX_ATTEMPTS times in
all. Every wait is ``retry_after_seconds`` (``_http.py``), the collection's one Retry-After
rule. Who retries what, and how often, is in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import random

from ansible_collections.m365.admin.plugins.module_utils._errors import OutcomeUnknownError, TransportError
from ansible_collections.m365.admin.plugins.module_utils._http import MAX_SENDS, retry_after_seconds

# What an envelope, or an item in it, is sent again for.
RETRYABLE_ITEM_STATUS = frozenset([429, 503, 504])
# One bound for every reason an item is sent again (docs/reliability.md).
ITEM_MAX_ATTEMPTS = MAX_SENDS

# A round in which fewer than 1 in SPORADIC items were throttled does not set the pace (a few
# refusals are another app's load or a busy node, not the rate); once paced, 1 in 2 x SPORADIC
# items throttled sets it again (a budget grown just past the rate).
SPORADIC = 5
# Graph's identity and access answers carry x-ms-throttle-limit-percentage once the app has used
# more than 80 % of its resource units (the value is the share used, 0.8 to 1.8).
LIMIT_PERCENTAGE_HEADER = "x-ms-throttle-limit-percentage"
NEAR_LIMIT = 0.8


class Pressure(object):
    """What a service says of its own limit while a round is sent: ``warned`` once an answer
    said the app is near it. During slow start the round then stops: the envelopes of the
    round not yet sent are ``deferred`` (sent in the next round, not counted as attempts)."""

    def __init__(self):
        self.warned = False
        self.braking = False
        self.deferred = 0

    def start_round(self, braking):
        self.warned, self.braking, self.deferred = False, braking, 0

    def note(self, headers):
        for name, value in (headers or {}).items():
            if name.lower() == LIMIT_PERCENTAGE_HEADER:
                try:
                    if float(value) >= NEAR_LIMIT:
                        self.warned = True
                except (TypeError, ValueError):
                    pass

    def defer(self, indices):
        """The items of an envelope not sent because the round stopped (None: send it)."""
        if not (self.braking and self.warned):
            return None
        self.deferred += len(indices)
        return [(index, 0.0, False) for index in indices]


async def send_in_rounds(count, size, send, jitter=0.0, first=None, pressure=None):
    """Send items 0..count-1 in chunks of ``size``, all chunks of a round concurrently.

    ``send(indices)`` sends one chunk and returns [(index, seconds)] for the items to send
    again, throttled (429), or [(index, seconds, False)] for items to send again for another
    reason (an answer lost with its connection, an expired token, a 503): those wait, but do
    not teach the pacing a rate. Throttling is per app and tenant, so a round that had items
    to send again waits as long as the longest delay asked (plus up to ``jitter`` seconds).

    Pacing: the first round sends ``first`` items (all when None) and each round that goes
    through entirely doubles that, so a throttled service sees at most one round too many.
    Once a round is throttled, the service has told how many items it takes per window (the
    items of that round that went through, per window of the delay it asked): each later
    round sends at most that many items, items to send again first, and starts no sooner
    than one window after the previous one. A round in which only a few items were throttled
    keeps the pace, and a round is never smaller than one envelope. Three clean rounds in a
    row raise the budget by a quarter, so a budget learned at a busy moment grows back. This
    keeps a run at the service's rate instead of sending every remaining item again after
    each Retry-After.

    ``pressure`` (a Pressure that ``send`` feeds with the answers' headers): when the service
    says the app is near its limit, slow start ends before the limit is hit. The rest of the
    round is not sent, and the pace is the rate at which the round went through; without a
    Retry-After to size the window, the window is one second. While the service says so, the
    budget does not grow: it is at the rate already. Services that never say so are paced by
    429s alone.
    """
    pending = list(range(count))
    budget, window, clean, paced = first, None, 0, False
    while pending:
        started = asyncio.get_running_loop().time()
        if pressure is not None:
            pressure.start_round(braking=not paced)
        current = pending if budget is None else pending[:budget]
        chunks = [current[i:i + size] for i in range(0, len(current), size)]
        retries = []
        for chunk_retry in await asyncio.gather(*(send(chunk) for chunk in chunks)):
            retries.extend(chunk_retry)
        elapsed = asyncio.get_running_loop().time() - started
        again = sorted(retry[0] for retry in retries)
        pending = again + pending[len(current):]
        throttled = [retry for retry in retries if len(retry) < 3 or retry[2]]
        if throttled and len(throttled) * (SPORADIC * 2 if paced else SPORADIC) > len(current):
            # The service refused a good part of the round: what it took is its rate. What went
            # through in a round that lasted longer than a window is more than one window's
            # worth: scale it to one window. Never less than one envelope a round.
            window = max(retry[1] for retry in throttled)
            budget = max(size, int((len(current) - len(throttled)) * window / max(window, elapsed)))
            paced, clean = True, 0
        elif throttled:
            # A few items refused (another app's load, a busy node): they wait and go again, and
            # the pace stays; learning a rate from them would shrink every round.
            clean = 0
        near_limit = pressure is not None and pressure.warned
        if near_limit and not paced:
            # Slow start ends where the service says the app is near its limit, not one round
            # past it: the pace is the rate at which this round went through. Nothing was
            # refused, so a short round is a rate, not what one window takes; 429s, if the
            # rate is more than the service refills, correct it as they would anyway.
            window = window or 1.0
            put_through = len(current) - pressure.deferred - len(throttled)
            budget = max(size, int(put_through * window / max(elapsed, 0.001)))
            paced, clean = True, 0
        if not paced:
            # Slow start: each round twice the last until the service shows its rate.
            budget = None if budget is None else budget * 2
        if retries:
            # Throttled items wait as asked; so do lost answers, expired tokens and 503s.
            await asyncio.sleep(max(retry[1] for retry in retries) + random.random() * jitter)
        elif paced and pending:
            clean = 0 if near_limit else clean + 1
            if clean >= 3:
                budget, clean = budget + max(1, budget // 4), 0
            await asyncio.sleep(max(0.0, started + window - asyncio.get_running_loop().time()))


def lost_reads_again(exc, indices, attempts, max_attempts):
    """The batch items to send again when a TransportError ended an envelope of reads.

    Only an answer that was lost (the connection was made) is worth another round; each item
    counts the attempt. Anything else, or an item out of attempts, raises the error.
    """
    if not exc.answer_lost:
        raise exc
    retry = []
    for index in indices:
        attempts[index] += 1
        if attempts[index] >= max_attempts:
            raise exc
        retry.append((index, retry_after_seconds({}, attempts[index]), False))
    return retry


def refused_again(response, indices, attempts, max_attempts):
    """The batch items to send again when the whole envelope was refused before its items ran
    (429, 503, 504): each item counts one send, and goes again after Retry-After while it has
    sends left."""
    retry = []
    for index in indices:
        attempts[index] += 1
        if attempts[index] < max_attempts:
            retry.append((index, retry_after_seconds(response.headers, attempts[index]), response.status == 429))
    return retry


class EnvelopeRounds(object):
    """One bulk send of ``count`` items, ``size`` per envelope, at most ``concurrency`` envelopes
    in flight: each item's answer (``results``) and send count (``attempts``).

    A client runs it with ``run(send)``, where ``send(indices)`` builds one envelope and calls
    ``post``, which does what every envelope needs; ``send`` then reads the items' answers and
    returns the items to send again (see ``send_in_rounds``).
    """

    def __init__(self, count, size, concurrency, jitter=0.0, pressure=None):
        self.results = [None] * count
        self.attempts = [0] * count
        self.size = size
        self.concurrency = max(1, concurrency)
        self.jitter = jitter
        self.pressure = pressure
        self._semaphore = asyncio.Semaphore(self.concurrency)

    async def run(self, send):
        await send_in_rounds(len(self.results), self.size, send, jitter=self.jitter,
                             first=self.size * self.concurrency, pressure=self.pressure)
        return self.results

    async def post(self, indices, request, lost_write, refused):
        """Send one envelope for the items ``indices``: ``request()`` posts it (with the
        pipeline's retries off). Returns (response, None) when there are items to read, or
        (None, items to send again) when there are none:

        * the round stopped on the service's word (``pressure``): the items wait for the next;
        * the answer to writes was lost: each item's result is ``lost_write(exc)`` (an unknown
          outcome, which the caller verifies by reading back; never sent again blindly);
        * the answer to reads was lost: the items go again while they have sends left;
        * the envelope was refused before its items ran (429, 503, 504; a 504 to writes is an
          unknown outcome raised by the session): each item's result is ``refused(response)``,
          and each counts one send.
        """
        async with self._semaphore:
            if self.pressure is not None:
                deferred = self.pressure.defer(indices)
                if deferred is not None:
                    return None, deferred
            try:
                response = await request()
            except OutcomeUnknownError as exc:
                for index in indices:
                    self.results[index] = lost_write(exc)
                return None, []
            except TransportError as exc:
                return None, lost_reads_again(exc, indices, self.attempts, ITEM_MAX_ATTEMPTS)
        if response.status in RETRYABLE_ITEM_STATUS:
            for index in indices:
                self.results[index] = refused(response)
            return None, refused_again(response, indices, self.attempts, ITEM_MAX_ATTEMPTS)
        return response, None
