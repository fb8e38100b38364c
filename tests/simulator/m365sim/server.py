"""HTTPS server: stdlib ThreadingHTTPServer, TLS per connection (handshake in the worker
thread), HTTP/1.1 keep-alive with Content-Length on every response, and server.json."""
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .apps import APPS, DEFAULT_DOMAIN, INITIAL_DOMAIN, TENANT_ID
from .sim import Simulator
from .util import atomic_write
from .wire import Headers, Request


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, ssl_context, sim, verbose=False):
        self.ssl_context = ssl_context
        self.sim = sim
        self.verbose = verbose
        super().__init__(address, handler)

    def process_request_thread(self, request, client_address):
        try:
            request.settimeout(30)
            # Responses are written in one piece, but TLS records and keep-alive still
            # suffer from Nagle + delayed ACK without this.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError, ValueError):
            try:
                request.close()
            except OSError:
                pass
            return
        try:
            self.finish_request(tls, client_address)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass
        except Exception:  # noqa: BLE001
            self.handle_error(tls, client_address)
        finally:
            self.shutdown_request(tls)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "m365sim/1.0"
    sys_version = ""
    timeout = 120

    def parse_request(self):
        # The request has arrived once its first line is read: the latency (the service's
        # response time) counts from here, so that parsing the headers and the body, and
        # waiting for the interpreter while other requests are handled, are inside it.
        self.arrived = time.monotonic()
        return super().parse_request()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self):
        body = self._read_body()
        host = self.headers.get("Host") or "localhost:%d" % self.server.server_address[1]
        req = Request(self.command, self.path, headers=Headers(list(self.headers.items())), body=body,
                      origin="https://" + host, client_address=self.client_address, arrived=self.arrived)
        resp = self.server.sim.handle(req)
        if resp.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        payload = resp.body or b""
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            if k.lower() in ("content-length", "connection", "server", "date"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        # end_headers() + a separate body write, but as a single send
        self._headers_buffer.append(b"\r\n")
        if payload and self.command != "HEAD":
            self._headers_buffer.append(payload)
        self.flush_headers()

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _dispatch


def write_server_json(sim, server, host):
    port = server.server_address[1]
    apps = {}
    for name, app in APPS.items():
        cred = sim.keys.app_credentials[name]
        apps[name] = {
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "display_name": app.display_name,
            "roles": list(app.roles),
            "wids": list(app.wids),
            "certificate_pem_path": cred.paths["pem"],
            "certificate_pfx_path": cred.paths["pfx"],
            "certificate_pfx_password": app.pfx_password,
            "certificate_encrypted_pem_path": cred.paths["encrypted_pem"],
            "certificate_encrypted_pem_password": app.pem_password,
            "certificate_thumbprint": cred.thumbprint_hex,
            "federated_token_path": cred.paths["federated_token"],
            "federated_subject": app.federated_subject,
        }
    info = {
        "url": "https://localhost:%d" % port,
        "port": port,
        "host": host,
        "pid": os.getpid(),
        "ca_path": sim.keys.ca_path,
        "tenant_id": TENANT_ID,
        "tenant_domain": INITIAL_DOMAIN,
        "default_domain": DEFAULT_DOMAIN,
        "authority": "https://localhost:%d" % port,
        "graph_url": "https://localhost:%d/v1.0" % port,
        "graph_beta_url": "https://localhost:%d/beta" % port,
        "exchange_url": "https://localhost:%d/adminapi/beta/%s" % (port, TENANT_ID),
        "scope": "https://localhost:%d/.default" % port,
        "state_path": sim.store.path,
        "apps": apps,
        # PowerShell remoting (WS-Management) on the same origin, Basic authentication.
        "psrp": {"server": "localhost", "port": port, "path": "wsman", "username": sim.psrp.username,
                 "password": sim.psrp.password},
    }
    path = os.path.join(sim.state_dir, "server.json")
    atomic_write(path, json.dumps(info, indent=2), mode=0o600)
    return info


def serve(state_dir, host="127.0.0.1", port=0, users=200, seed=1, reset=False, latency_ms=0, token_lifetime=3599,
          throttling=False, ca_throttling=True, verbose=False, save_debounce=0.2):
    sim = Simulator(state_dir, users=users, seed=seed, reset=reset,
                    config={"latency_ms": latency_ms, "token_lifetime": token_lifetime, "throttling": throttling,
                            "ca_throttling": ca_throttling}, debounce=save_debounce)
    sim.keys.write_federated_tokens()
    server = SimHTTPServer((host, port), Handler, sim.keys.ssl_context(), sim, verbose=verbose)
    sim.port = server.server_address[1]
    sim.store.start_saver()
    stop = threading.Event()

    def _signal(signum, frame):  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    info = write_server_json(sim, server, host)
    sys.stdout.write("m365sim listening on %s (state %s, %s)\n" % (info["url"], sim.store.path, sim.load_result))
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        sim.close()
        try:
            os.unlink(os.path.join(sim.state_dir, "server.json"))
        except OSError:
            pass
    return 0
