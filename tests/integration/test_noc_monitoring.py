"""Prometheus on the lab's monitoring host: target files written there over SSH (host key pinned), the node
target and a blackbox probe confirmed through Prometheus' API, an idempotent rerun, removal, and an
unreachable monitoring host."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from provisioner.errors import InfrastructureError
from provisioner.facility import load_facility
from provisioner.monitoring import MonitoredHost
from provisioner.monitoring.files import SshFiles
from provisioner.monitoring.prometheus import ProbeFileSD, Prometheus, PrometheusAPI, PrometheusFileSD
from provisioner.register.db import Register, open_register
from provisioner.register.network_models import SwitchHostKeyRecord
from tests.integration.conftest import LabHandle

SITE = Path(__file__).resolve().parents[2] / "inventories" / "lab"
BLACKBOX_METRICS_PORT = 9115
"""The node target stands in for a server's exporter: blackbox_exporter's own /metrics on the NOC."""


@pytest.fixture()
def register(tmp_path: Path) -> Register:
    return open_register(f"sqlite:///{tmp_path / 'register.db'}")


def _backend(register: Register, port: int = 22) -> Prometheus:
    facility = load_facility(SITE)
    settings = facility.monitoring
    assert settings.host is not None and settings.probes is not None and settings.file_sd_dir is not None
    files = SshFiles(settings.host.model_copy(update={"port": port}), facility.credential_source(), register)
    return Prometheus(
        PrometheusFileSD(Path(settings.file_sd_dir), port=BLACKBOX_METRICS_PORT, files=files),
        PrometheusAPI(settings.url, poll_s=0.25),
        ProbeFileSD(Path(settings.probes.file_sd_dir), settings.probes.module, files),
    )


def test_target_and_probe_registered_on_the_noc_confirmed_then_removed(
    lab: LabHandle, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in lab.env().items():
        monkeypatch.setenv(name, value)
    url = f"{lab.prometheus_url}/-/ready"
    host = MonitoredHost("TEST-NOC-1", "10.231.253.2", "noc", "test", "dc-lab", urls=(("probe", url),))
    backend = _backend(register)
    node_file, probe_file = lab.lab.file_sd_dir / "TEST-NOC-1.json", lab.lab.probe_sd_dir / "TEST-NOC-1.json"
    try:
        assert backend.register(host) is True
        assert stat.S_IMODE(node_file.stat().st_mode) == 0o644 and probe_file.is_file()
        assert not [p for p in node_file.parent.iterdir() if p.name.endswith(".tmp")]
        with register.session() as session:
            assert session.get(SwitchHostKeyRecord, "monitoring:10.231.253.2") is not None
        state = backend.wait_up(host, 40)
        assert state.up, state
        assert backend.api.probe_state(url).up
        assert backend.register(host) is False  # a rerun changes nothing
    finally:
        removed = backend.remove("TEST-NOC-1")
    assert removed is True and not node_file.exists() and not probe_file.exists()
    assert backend.wait_gone(host, 40).health == "absent"
    assert backend.remove("TEST-NOC-1") is False


def test_an_unreachable_monitoring_host_is_named_and_nothing_is_written(
    lab: LabHandle, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in lab.env().items():
        monkeypatch.setenv(name, value)
    host = MonitoredHost("TEST-NOC-2", "10.231.253.2", "noc", "test", "dc-lab")
    unreachable = r"monitoring host 10\.231\.253\.2:2299 does not answer SSH"
    with pytest.raises(InfrastructureError, match=unreachable):
        _backend(register, port=2299).register(host)
    assert not (lab.lab.file_sd_dir / "TEST-NOC-2.json").exists()
