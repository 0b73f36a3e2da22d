"""Access check timing on 127.0.0.1: one server with N open ports and an HTTP application, then the check by
name (a real BIND 9 answering for the application's name, HTTPS with a certificate of a test CA verified for
the name).

Run: PYTHONPATH=. python3 bench/access_check.py
Prints the time of a passing check (items run in parallel), of the same items run one after another, and of
a failing check (closed port, retried), with their ratio; then the check by name beside the same check by
address, one lookup through the site's DNS server, and a name that does not resolve.
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from bind_fixture import running_bind
from tls_fixture import CertificateAuthority, serving

from provisioner.checks import (
    AccessTarget,
    AppSpec,
    CheckPolicy,
    NameService,
    PortSpec,
    check_application,
    planned_checks,
    resolve_a,
    run_access_check,
)

PORTS = 8
RUNS = 5
DOMAIN = "lab.ciamiskab.go.id"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _median_s(run: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _passes(target: AccessTarget, policy: CheckPolicy) -> None:
    report = run_access_check(target, policy)
    assert report.passed, [i.detail for i in report.failures()]


def by_address() -> None:
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

    p = _median_s(lambda: _passes(target, policy))
    q = _median_s(lambda: all(check().ok for check in planned_checks(target, policy)) or sys.exit("failed"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    start = time.perf_counter()
    assert not run_access_check(AccessTarget("127.0.0.1", (PortSpec(closed),)), policy).passed
    failing = time.perf_counter() - start

    print(f"items per check: {PORTS + 2} (ping x{policy.ping_count}, {PORTS} TCP ports, 1 HTTP application)")
    print(f"passing check, parallel: median {p * 1000:.1f} ms over {RUNS} runs")
    print(f"same items, one after another: median {q * 1000:.1f} ms")
    print(f"ratio serial/parallel: {q / p:.2f}")
    retries = f"{policy.attempts} attempts {policy.retry_delay_s} s apart"
    print(f"failing check (closed port, {retries}): {failing:.2f} s")
    http.shutdown()
    for s in listeners:
        s.close()


def by_name() -> None:
    name = f"simpeg.{DOMAIN}"
    policy = CheckPolicy(retry_delay_s=0.5, require_dns=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        running_bind({DOMAIN: "simpeg IN A 127.0.0.1"}) as bind,
    ):
        ca = CertificateAuthority(Path(folder))
        with serving(ca.issue("simpeg", name)) as app:
            service = NameService((bind.address,), bind.port)
            simpeg = AppSpec("SIMPEG", app.port, "https", "/", "simpeg")
            named = AccessTarget("127.0.0.1", (PortSpec(app.port),), (simpeg,), DOMAIN, service, ca.bundle)
            plain = AccessTarget("127.0.0.1", (PortSpec(app.port),), (AppSpec("SIMPEG", app.port, "https"),))
            n = _median_s(lambda: _passes(named, policy))
            a = _median_s(lambda: _passes(plain, policy))
            item_n = _median_s(lambda: check_application(simpeg, named, policy).ok or sys.exit("failed"), 20)
            item_a = _median_s(lambda: check_application(simpeg, plain, policy).ok or sys.exit("failed"), 20)
            lookup = _median_s(lambda: resolve_a(name, service, 1.0)[0] or sys.exit("no answer"), 50)
            unknown_app = AppSpec("X", app.port, "https", "/", "unknown")
            unknown = AccessTarget("127.0.0.1", (), (unknown_app,), DOMAIN, service, ca.bundle)
            start = time.perf_counter()
            assert not run_access_check(unknown, policy).passed
            failing = time.perf_counter() - start
    print("by name (BIND 9 on 127.0.0.1, HTTPS verified against a test CA for the name):")
    print(f"  passing check by name: median {n * 1000:.1f} ms; the same by address: {a * 1000:.1f} ms")
    print(f"  the HTTPS item alone (lookup, GET, verification for the name): median {item_n * 1000:.1f} ms; "
          f"by address (no lookup, trust only recorded): {item_a * 1000:.1f} ms")
    print(f"  one A lookup through the site's server: median {lookup * 1000:.2f} ms over 50")
    print(f"  a name that does not resolve ({policy.attempts} attempts {policy.retry_delay_s} s apart): "
          f"{failing:.2f} s")


if __name__ == "__main__":
    by_address()
    by_name()
