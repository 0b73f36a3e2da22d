"""Access check timing on 127.0.0.1: one server with N open ports and an HTTP application.

Run: PYTHONPATH=. python3 bench/access_check.py
Prints the time of a passing check (items run in parallel), of the same items run one after another, and of
a failing check (closed port, retried), with their ratio.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from provisioner.checks import AccessTarget, AppSpec, CheckPolicy, PortSpec, planned_checks, run_access_check

PORTS = 8
RUNS = 5


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    listeners = []
    for _ in range(PORTS):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        listeners.append(s)
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    ports = tuple(PortSpec(s.getsockname()[1]) for s in listeners)
    target = AccessTarget("127.0.0.1", ports, (AppSpec("app", http.server_address[1], "http"),))
    policy = CheckPolicy(retry_delay_s=0.5)

    parallel = []
    for _ in range(RUNS):
        start = time.perf_counter()
        assert run_access_check(target, policy).passed
        parallel.append(time.perf_counter() - start)
    serial = []
    for _ in range(RUNS):
        start = time.perf_counter()
        assert all(check().ok for check in planned_checks(target, policy))
        serial.append(time.perf_counter() - start)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    start = time.perf_counter()
    assert not run_access_check(AccessTarget("127.0.0.1", (PortSpec(closed),)), policy).passed
    failing = time.perf_counter() - start

    p, q = statistics.median(parallel), statistics.median(serial)
    print(f"items per check: {PORTS + 2} (ping x{policy.ping_count}, {PORTS} TCP ports, 1 HTTP application)")
    print(f"passing check, parallel: median {p * 1000:.1f} ms over {RUNS} runs")
    print(f"same items, one after another: median {q * 1000:.1f} ms")
    print(f"ratio serial/parallel: {q / p:.2f}")
    retries = f"{policy.attempts} attempts {policy.retry_delay_s} s apart"
    print(f"failing check (closed port, {retries}): {failing:.2f} s")
    http.shutdown()
    for s in listeners:
        s.close()


if __name__ == "__main__":
    main()
