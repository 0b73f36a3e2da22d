"""Prometheus monitoring against a real Prometheus: file_sd registration, health through the API, removal."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_fixture import RunningPrometheus, free_port, prometheus_for_tests

from provisioner.errors import BadInput, InfrastructureError
from provisioner.facility import Monitoring
from provisioner.monitoring import MonitoredHost, open_backend
from provisioner.monitoring.prometheus import Prometheus, PrometheusAPI, PrometheusFileSD
from provisioner.secrets import CredentialSource


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPrometheus]:
    yield from prometheus_for_tests(tmp_path_factory)


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"# TYPE colo_test_up gauge\ncolo_test_up 1\n"
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def exporter_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _host(request_id: str) -> MonitoredHost:
    return MonitoredHost(request_id, "127.0.0.1", "simpeg", "disdik", "dc-lab")


def test_file_sd_file_is_written_atomically_with_the_labels(tmp_path: Path) -> None:
    sd = PrometheusFileSD(tmp_path / "file_sd")
    assert sd.write(_host("REQ-2026-0001")) is True
    path = sd.path_for("REQ-2026-0001")
    assert json.loads(path.read_text()) == [
        {
            "targets": ["127.0.0.1:9100"],
            "labels": {
                "agency": "disdik",
                "request": "REQ-2026-0001",
                "hostname": "simpeg",
                "site": "dc-lab",
            },
        }
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["REQ-2026-0001.json"]
    assert sd.write(_host("REQ-2026-0001")) is False
    assert sd.remove("REQ-2026-0001") is True
    assert sd.remove("REQ-2026-0001") is False
    with pytest.raises(BadInput):
        sd.path_for("../etc/passwd")


@pytest.mark.slow
def test_target_comes_up_then_disappears_after_removal(
    prometheus: RunningPrometheus, exporter_port: int
) -> None:
    backend = Prometheus(
        PrometheusFileSD(prometheus.file_sd_dir, port=exporter_port),
        PrometheusAPI(prometheus.url, poll_s=0.5),
    )
    host = _host("REQ-2026-0002")
    target = f"127.0.0.1:{exporter_port}"
    assert backend.state(host).health == "absent"
    assert backend.register(host) is True
    state = backend.wait_up(host, timeout_s=30)
    assert state.up, state
    assert state.target == target and state.last_error == "" and state.last_scrape
    assert {k: state.labels[k] for k in ("agency", "request", "hostname", "site")} == _host(
        "REQ-2026-0002"
    ).labels()
    assert state.labels["instance"] == target
    assert backend.remove("REQ-2026-0002") is True
    gone = backend.wait_gone(host, timeout_s=30)
    assert gone.health == "absent" and gone.target == target


@pytest.mark.slow
def test_down_target_is_reported_down(prometheus: RunningPrometheus) -> None:
    closed = free_port()
    settings = {"kind": "prometheus", "url": prometheus.url, "file_sd_dir": str(prometheus.file_sd_dir)}
    backend = open_backend(Monitoring.model_validate(settings), CredentialSource())
    assert isinstance(backend, Prometheus)
    backend.file_sd.port = closed
    host = _host("REQ-2026-0003")
    backend.register(host)
    try:
        state = backend.api.wait_target_scraped(backend.target(host), timeout_s=30)
    finally:
        backend.remove("REQ-2026-0003")
    assert state.health == "down"
    assert "connection refused" in state.last_error


def test_prometheus_that_does_not_answer_is_an_infrastructure_error() -> None:
    api = PrometheusAPI(f"http://127.0.0.1:{free_port()}", request_timeout_s=0.5, poll_s=0.2)
    with pytest.raises(InfrastructureError, match="did not answer"):
        api.wait_target_up("127.0.0.1:9100", timeout_s=0.5)
