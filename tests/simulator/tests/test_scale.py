"""What tenant-scale benchmarks rely on: latency overlaps across connections, and the
cached signature check still refuses tampered tokens."""
import concurrent.futures
import time

import requests


def test_latency_does_not_serialise_concurrent_requests(sim):
    sim.config(latency_ms=400)
    token = sim.token()

    def one(_index):
        with requests.Session() as http:
            http.trust_env = False
            http.verify = sim.ca
            return http.get("%s/v1.0/organization" % sim.url, headers={"Authorization": "Bearer " + token}).status_code

    try:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(8)))
        elapsed = time.monotonic() - started
    finally:
        sim.config(latency_ms=0)
    assert statuses == [200] * 8
    # Eight requests of 400 ms each on eight connections: about one latency, not eight.
    assert elapsed < 2.0


def test_tampered_token_is_refused_after_the_genuine_one_was_accepted(sim):
    token = sim.token()
    assert sim.graph("GET", "organization").status_code == 200
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    tampered = "Bearer %s.%s.%s" % (header, payload, flipped)
    r = sim.http.get("%s/v1.0/organization" % sim.url, headers={"Authorization": tampered})
    assert r.status_code == 401
    assert sim.graph("GET", "organization").status_code == 200


def test_latency_is_the_response_time_with_the_simulators_work_inside_it(tmp_path, monkeypatch):
    """latency_ms models the service's response time: the simulator's own work (JSON, state)
    happens inside it, not on top, so that the benchmark's floor (latency x round trips) is
    what a client could reach; work that takes longer than the latency makes the answer late."""
    from m365sim.sim import Simulator
    from m365sim.wire import Request

    simulator = Simulator(str(tmp_path), users=3, config={"latency_ms": 300})
    answer = object()
    for work, least, most in ((0.1, 0.3, 0.38), (0.45, 0.45, 0.53)):
        monkeypatch.setattr(simulator, "_handle", lambda req, service, work=work: time.sleep(work) or answer)
        started = time.monotonic()
        assert simulator.handle(Request("GET", "/v1.0/organization")) is answer
        elapsed = time.monotonic() - started
        assert least <= elapsed < most, (work, elapsed)
