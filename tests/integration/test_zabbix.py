"""Zabbix monitoring against a real Zabbix 6.0 (server, frontend, agent) started once for the module: a host
registered, confirmed available with a first value, a rerun that changes nothing, a foreign host refused,
removal; the API down and a wrong password each end with a clear message."""

from __future__ import annotations

import random
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_fixture import free_port

from provisioner.errors import InfrastructureError, Refused
from provisioner.lab import zabbix as lab_zabbix
from provisioner.monitoring import MonitoredHost
from provisioner.monitoring.zabbix import ZabbixBackend
from provisioner.secrets import CredentialSource

CREDS = "zabbix-test"


def low_port() -> int:
    """A free loopback port below 32768 (Zabbix accepts ListenPort 1024-32767 only)."""
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


@pytest.fixture(scope="module")
def zabbix() -> Iterator[tuple[lab_zabbix.RunningZabbix, int]]:
    root = Path(tempfile.mkdtemp(prefix="colo-zabbix-"))  # not pytest's 0700 folders: postgres must enter it
    root.chmod(0o755)
    ports = lab_zabbix.ZabbixPorts(http=free_port(), server=low_port(), postgres=free_port())
    began = time.monotonic()
    conf = lab_zabbix.FRONTEND_CONF
    before = conf.read_bytes() if conf.exists() else None  # the lab's, when it runs Zabbix
    try:
        running = lab_zabbix.start(root, ports)
        agent_port = low_port()
        lab_zabbix.start_agent(root, "zbx-web01", "127.0.0.1", port=agent_port)
        print(f"zabbix ready in {time.monotonic() - began:.1f} s")
        yield running, agent_port
    finally:
        lab_zabbix.stop(root)
        shutil.rmtree(root, ignore_errors=True)
        if before is not None:
            conf.write_bytes(before)


@pytest.fixture
def backend(zabbix: tuple[lab_zabbix.RunningZabbix, int], monkeypatch: pytest.MonkeyPatch) -> ZabbixBackend:
    running, agent_port = zabbix
    monkeypatch.setenv("COLO_CRED_ZABBIX_TEST_USERNAME", running.user)
    monkeypatch.setenv("COLO_CRED_ZABBIX_TEST_PASSWORD", running.password)
    return ZabbixBackend(running.url, CREDS, CredentialSource(), agent_port=agent_port)


HOST = MonitoredHost(
    request_id="REQ-ZBX-1",
    address="127.0.0.1",
    hostname="zbx-web01",
    agency="DISHUB",
    site="LAB",
    urls=(("portal", "http://127.0.0.1:1/"),),
)


def test_a_host_is_registered_confirmed_kept_on_rerun_and_removed(backend: ZabbixBackend) -> None:
    assert backend.register(HOST) is True
    began = time.monotonic()
    state = backend.wait_up(HOST, 60)
    print(f"available with a first value after {time.monotonic() - began:.1f} s")
    assert state.up, state
    assert state.labels["colo-request"] == "REQ-ZBX-1" and state.last_scrape
    assert backend.register(HOST) is False
    with pytest.raises(Refused, match="REQ-ZBX-1"):
        backend.register(MonitoredHost("REQ-ZBX-2", "127.0.0.1", "zbx-web01", "DISHUB", "LAB"))
    assert backend.remove("REQ-ZBX-1") is True
    assert backend.wait_gone(HOST, 10).health == "absent"
    assert backend.remove("REQ-ZBX-1") is False


def test_a_wrong_password_names_the_entry_and_not_the_secret(
    backend: ZabbixBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLO_CRED_ZABBIX_TEST_PASSWORD", "not-the-secret-x9")
    with pytest.raises(InfrastructureError) as failed:
        backend.register(HOST)
    assert CREDS in failed.value.message and "not-the-secret-x9" not in failed.value.message


def test_the_api_down_is_a_clear_infrastructure_failure(backend: ZabbixBackend, tmp_path: Path) -> None:
    down = ZabbixBackend(f"http://127.0.0.1:{free_port()}/", CREDS, CredentialSource())
    with pytest.raises(InfrastructureError, match="did not answer"):
        down.register(HOST)
