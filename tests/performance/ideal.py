"""What a round trip costs on this machine above the simulated latency, for a client that does
nothing but send and read: the least any client could add to the floor here.

Run by run.py with the modules' interpreter (its httpx, its TLS) against the benchmark's
simulator, once per benchmark, after the timed runs:

    python ideal.py SIMULATOR_VARS_JSON LATENCY_S CONCURRENCY BATCH_SIZE PAGE_SIZE

It signs in once with a plain token request, then times

* sequential requests: the pages of ``GET /users`` (``$top`` = PAGE_SIZE), one after the
  other, as every listing is sent;
* batched round trips: ``$batch`` envelopes of BATCH_SIZE reads of
  ``/users/{id}/authentication/requirements``, CONCURRENCY in flight (each envelope leaves as
  soon as a slot is free), as the state reads are sent; the best of REPEATS.

and prints JSON: the time each kind takes above the latency, in seconds (the median page,
the best run of envelopes). The pages select fewer fields than the collection's listings, so
the figures are, if anything, below what those requests can take. No retry, no
middleware, no processing of the answers beyond decoding their JSON.
"""
from __future__ import annotations

import asyncio
import json
import math
import ssl
import sys
import time

import httpx

SEQUENTIAL = 10
ENVELOPES = 80
REPEATS = 3


async def probe(variables, latency, concurrency, batch_size, page_size):
    url = variables["m365_graph_url"]
    context = ssl.create_default_context(cafile=variables["m365_ca_path"])
    async with httpx.AsyncClient(verify=context, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency * 2)) as client:
        answer = await client.post("%s/%s/oauth2/v2.0/token" % (variables["m365_authority_url"],
                                                                variables["m365_tenant_id"]),
                                   data={"grant_type": "client_credentials", "client_id": variables["m365_client_id"],
                                         "client_secret": variables["m365_client_secret"],
                                         "scope": url + "/.default"})
        answer.raise_for_status()
        client.headers["Authorization"] = "Bearer " + answer.json()["access_token"]

        # Sequential: the pages of the user listing, from the first page again when a small
        # tenant has fewer (the first request also opens the connection: not counted).
        first = "%s/v1.0/users?$top=%d&$select=id,userType" % (url, page_size)
        ids, times, link, listed = [], [], first, False
        while len(times) <= SEQUENTIAL:
            started = time.perf_counter()
            answer = await client.get(link)
            answer.raise_for_status()
            body = answer.json()
            times.append(time.perf_counter() - started)
            if not listed:
                ids.extend(user["id"] for user in body["value"] if user.get("userType") != "Guest")
            link = body.get("@odata.nextLink")
            if not link:
                link, listed = first, True
        sequential = sorted(times[1:])

        # Batched: envelopes of reads, ``concurrency`` in flight.
        envelopes = []
        for start in range(0, min(len(ids), ENVELOPES * batch_size), batch_size):
            envelopes.append({"requests": [{"id": str(n + 1), "method": "GET",
                                            "url": "/users/%s/authentication/requirements" % user_id}
                                           for n, user_id in enumerate(ids[start:start + batch_size])]})
        slots = asyncio.Semaphore(concurrency)

        async def send(envelope):
            async with slots:
                answer = await client.post(url + "/beta/$batch", json=envelope)
                answer.raise_for_status()
                return answer.json()

        # One wave first, so that the connections the timed waves use are open.
        await asyncio.gather(*(send(envelope) for envelope in envelopes[:concurrency]))
        elapsed, statuses = [], []
        for _repeat in range(REPEATS):
            started = time.perf_counter()
            answers = await asyncio.gather(*(send(envelope) for envelope in envelopes))
            elapsed.append(time.perf_counter() - started)
            statuses.extend(item["status"] for answer in answers for item in answer["responses"])
    round_trips = int(math.ceil(len(envelopes) / float(concurrency)))
    return {
        "sequential_requests": len(sequential),
        "sequential_extra_s": round(max(0.0, sequential[len(sequential) // 2] - latency), 5),
        "envelopes": len(envelopes),
        "round_trips": round_trips,
        # The best of the repeats: the least the machine allows.
        "batched_round_trip_extra_s": round(max(0.0, min(elapsed) / round_trips - latency), 5),
        "items_not_200": sum(1 for status in statuses if status != 200),
    }


def main(argv):
    with open(argv[1]) as handle:
        variables = json.load(handle)
    latency, concurrency, batch_size, page_size = float(argv[2]), int(argv[3]), int(argv[4]), int(argv[5])
    result = asyncio.run(probe(variables, latency, concurrency, batch_size, page_size))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
