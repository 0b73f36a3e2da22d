"""A real Prometheus (Debian /usr/bin/prometheus) on 127.0.0.1 for tests: file_sd refresh 1 s, scrape 1 s.

A test module declares its own fixture over `prometheus_for_tests`:

    @pytest.fixture(scope="module")
    def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPrometheus]:
        yield from prometheus_for_tests(tmp_path_factory)
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from process_fixture import stop

PROMETHEUS = "/usr/bin/prometheus"


@dataclass(frozen=True)
class RunningPrometheus:
    url: str
    file_sd_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(file_sd_dir: Path) -> str:
    return json.dumps(
        {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1m"},
            "scrape_configs": [
                {
                    "job_name": "node",
                    "file_sd_configs": [{"files": [f"{file_sd_dir}/*.json"], "refresh_interval": "1s"}],
                }
            ],
        }
    )


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prometheus exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"prometheus not ready after {timeout_s} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def running_prometheus(work_dir: Path) -> Iterator[RunningPrometheus]:
    """Start Prometheus with a tmp config and storage under work_dir; stop it on exit."""
    file_sd_dir = work_dir / "file_sd"
    file_sd_dir.mkdir(parents=True)
    config = work_dir / "prometheus.yml"
    config.write_text(_config(file_sd_dir))  # JSON is YAML
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work_dir / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={work_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, proc, log)
        yield RunningPrometheus(url, file_sd_dir, log)
    finally:
        stop(proc)


def prometheus_for_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPrometheus]:
    """Body of a module-scoped fixture: a running Prometheus, or a skip when it is not installed."""
    if shutil.which(PROMETHEUS) is None:
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as running:
        yield running
