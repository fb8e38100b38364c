"""What tenant-scale benchmarks rely on: latency overlaps across connections, counts from
the request's arrival, and the cached signature check still refuses tampered tokens."""
import concurrent.futures
import socket
import ssl
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
    # The request arrived before the handler was reached (headers parsed, other requests
    # handled first): the latency counts from its arrival.
    monkeypatch.setattr(simulator, "_handle", lambda req, service: answer)
    started = time.monotonic()
    assert simulator.handle(Request("GET", "/v1.0/organization", arrived=started - 0.2)) is answer
    elapsed = time.monotonic() - started
    assert 0.08 <= elapsed < 0.18, elapsed


def test_latency_counts_from_the_request_line(sim):
    """The server takes a request's arrival when its first line is read: the time the rest
    of the request takes to be read and parsed is inside the latency, not on top of it."""
    sim.config(latency_ms=500)
    token = sim.token()
    host, port = sim.url.split("://", 1)[1].rsplit(":", 1)
    context = ssl.create_default_context(cafile=sim.ca)
    try:
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                started = time.monotonic()
                tls.sendall(b"GET /v1.0/organization HTTP/1.1\r\n")
                time.sleep(0.3)
                tls.sendall(("Host: %s:%s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
                             % (host, port, token)).encode())
                answer = b""
                while b"\r\n\r\n" not in answer:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
                elapsed = time.monotonic() - started
    finally:
        sim.config(latency_ms=0)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    # 500 ms from the first line, not 500 ms after the last header (800 ms).
    assert 0.5 <= elapsed < 0.75, elapsed
