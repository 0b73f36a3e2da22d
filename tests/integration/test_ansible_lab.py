"""The roles, through runner.py, configure a lab server: facts, staging, baseline, agent, finalize, undo.

Uses lab-srv2 (lab-srv1 is the end-to-end demo's) and VLAN 197 with 10.231.197.0/27, outside the
allocator's supernet. The server and its switch port are put back on the staging VLAN afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.lab.chrony import STRATUM
from provisioner.request import Server
from provisioner.runner import (
    FAST,
    HostTarget,
    ProgressLine,
    accept_new_host_keys,
    gather_server_facts,
    has_host_key,
    run_playbook,
)
from provisioner.spec import compare_spec
from provisioner.stages.ntp_sync import wait_synchronised
from tests.integration.conftest import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HOST = "lab-srv2"
VLAN = 197
GATEWAY = "10.231.197.1"
ADDRESS = "10.231.197.5"
STAGING_VLAN = 999
STAGING_GATEWAY = "10.231.250.1"
NOC = "10.231.253.2"

RESET = (
    "ip rule del priority 100 2>/dev/null; ip route flush table 100 2>/dev/null; "
    "ip addr flush dev eth0 scope global; ip addr add {staging}/24 dev eth0; "
    f"ip route replace default via {STAGING_GATEWAY} dev eth0; nft flush ruleset; "
    "/etc/init.d/prometheus-node-exporter stop >/dev/null 2>&1; true"
)


def _tcp_open(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def server(lab: LabHandle) -> Iterator[tuple[LabHandle, str, str]]:
    """lab-srv2 on the staging VLAN, with the agency SVI present; restored afterwards."""
    info = lab.host(HOST)
    assert info.switch_port is not None
    fabric = lab.lab.fabric

    def restore() -> None:
        fabric.set_access_vlan(info.switch_port, STAGING_VLAN)
        lab.lab.run_in(HOST, ["sh", "-c", RESET.format(staging=info.staging_address)])
        fabric.remove_svi(VLAN)

    restore()
    fabric.add_svi(VLAN, f"{GATEWAY}/27")
    yield lab, info.staging_address, info.switch_port
    restore()


def _vars(staging: str) -> dict[str, object]:
    return {
        "colo_address": f"{ADDRESS}/27", "colo_gateway": GATEWAY,
        "colo_staging_address": f"{staging}/24", "colo_staging_gateway": STAGING_GATEWAY,
        "colo_dns_servers": [NOC], "colo_dns_search": ["lab.ciamiskab.go.id"], "colo_ntp_servers": [NOC],
        "colo_ports": [{"port": 22, "protocol": "tcp", "purpose": "ssh"},
                       {"port": 443, "protocol": "tcp", "purpose": "https"}],
        "colo_monitoring_sources": [NOC], "colo_chrony_daemon_opts": "-x",
    }


def test_roles_configure_a_lab_server(server: tuple[LabHandle, str, str], tmp_path: Path) -> None:
    lab, staging, port = server
    profile = lab.host(HOST).profile
    run_dir = tmp_path / "REQ-2026-0099"
    known_hosts = tmp_path / "known_hosts"
    lines: list[ProgressLine] = []
    on_staging = HostTarget(HOST, staging, "root", lab.key_path, hostvars=_vars(staging))
    on_agency = HostTarget(HOST, ADDRESS, "root", lab.key_path, hostvars=_vars(staging))

    # verify: the facts are the profile's, and they match a request written from it
    facts = gather_server_facts(on_staging, run_dir, lines.append, known_hosts=known_hosts)
    assert (facts.cores, facts.serial) == (profile.cpu_cores, profile.serial)
    assert facts.vendor == profile.dmi_vendor
    request = Server.model_validate({
        "hostname": "app", "vendor": profile.vendor, "model": profile.model, "serial": profile.serial,
        "rack_units": 1, "power_watts": 300, "cpu_cores": profile.cpu_cores, "memory_gb": profile.memory_gb,
        "disk_gb": profile.disk_gb, "os": {"family": "Debian", "version": "12"}})
    assert all(f.ok for f in compare_spec(request, facts)), compare_spec(request, facts)
    assert any(line.kind == "ok" and line.host == HOST for line in lines)
    assert has_host_key(known_hosts, staging), "first contact records the server's host key"

    # server: staged over the staging address; the session survives, and a second run changes nothing
    first = run_playbook("provision.yml", [on_staging], {}, run_dir, known_hosts=known_hosts)
    assert first.ok, first.failed_tasks
    assert first.stats[HOST].changed > 0
    again = run_playbook("provision.yml", [on_staging], {}, run_dir, known_hosts=known_hosts)
    assert again.ok, again.failed_tasks
    assert again.stats[HOST].changed == 0

    # the switch port moves to the agency VLAN; the server answers on its own address and is finalized
    lab.lab.fabric.set_access_vlan(port, VLAN)
    final = run_playbook("provision.yml", [on_agency], {}, run_dir, tags=["finalize"],
                         known_hosts=known_hosts)
    assert final.ok, final.failed_tasks
    assert has_host_key(known_hosts, ADDRESS)
    synced = wait_synchronised(on_agency, known_hosts, [NOC])  # the baseline's chrony follows the NOC's
    assert (synced.reference, synced.leap_status) == (NOC, "Normal") and synced.stratum == STRATUM + 1
    addresses = lab.lab.run_in(HOST, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    assert f"{ADDRESS}/27" in addresses
    assert staging not in addresses
    persisted = lab.lab.run_in(HOST, ["cat", "/etc/network/interfaces.d/colo-eth0"]).stdout
    assert f"address {ADDRESS}/27" in persisted

    # firewall: the request's ports from anywhere, the agent from the NOC only
    assert lab.lab.reachable_from_noc(ADDRESS, 9100)
    assert not _tcp_open(ADDRESS, 9100)
    assert _tcp_open(ADDRESS, 22)
    assert _tcp_open(ADDRESS, 443)
    sshd = lab.lab.run_in(HOST, ["/usr/sbin/sshd", "-T"]).stdout.splitlines()
    assert "passwordauthentication no" in sshd

    # decommission: the agent stops and the NOC's access closes
    undo = run_playbook("decommission.yml", [on_agency], {}, run_dir, known_hosts=known_hosts)
    assert undo.ok, undo.failed_tasks
    assert not lab.lab.reachable_from_noc(ADDRESS, 9100)
    assert _tcp_open(ADDRESS, 22)


def test_first_contact_waits_for_a_server_that_refuses_at_first(
        server: tuple[LabHandle, str, str], tmp_path: Path) -> None:
    """A server refusing SSH for a few seconds, as one may just after its VLAN moved: its key is recorded."""
    lab, staging, _ = server
    netns = lab.host(HOST).netns
    target = HostTarget(HOST, staging, "root", lab.key_path)
    known_hosts = tmp_path / "known_hosts"
    refuse = ("add table inet colo_test_refuse\n"
              "add chain inet colo_test_refuse input { type filter hook input priority -10; }\n"
              "add rule inet colo_test_refuse input tcp dport 22 reject with tcp reset\n")
    lift = ["ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "colo_test_refuse"]
    subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=refuse, text=True, check=True)
    lifted = threading.Timer(3.0, subprocess.run, (lift,), {"check": True})
    try:
        accept_new_host_keys([target], known_hosts, FAST, settle_s=0)
        assert not has_host_key(known_hosts, staging), "a refused first contact records nothing"
        lifted.start()
        accept_new_host_keys([target], known_hosts, FAST)
    finally:
        if lifted.is_alive():
            lifted.join()
        subprocess.run(lift, capture_output=True, check=False)
    assert has_host_key(known_hosts, staging)
