"""The lab is a real little data centre: VLANs and SVIs on the switch decide reachability for real, fact
gathering sees each server's hardware profile, and Prometheus in the NOC scrapes the lab."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LabHandle

pytestmark = pytest.mark.lab

AGENCY_VLAN = 120
OTHER_VLAN = 130
GATEWAY = "10.231.0.1"
SERVER = "10.231.0.5"
HOST = "lab-srv1"


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll `condition` until it holds or `timeout` passes; its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def switch_config(lab: LabHandle, lines: list[str]) -> str:
    from netmiko import ConnectHandler

    env = lab.credentials_env
    with ConnectHandler(device_type="cisco_ios", host=lab.switch_host, port=lab.switch_port,
                        username=env["COLO_CRED_SW_LAB_USERNAME"], password=env["COLO_CRED_SW_LAB_PASSWORD"],
                        secret=env["COLO_CRED_SW_LAB_ENABLE"]) as conn:
        conn.enable()
        return str(conn.send_config_set(lines))


def set_server_address(lab: LabHandle, address: str, prefix: int, gateway: str, host: str = HOST) -> None:
    script = (f"ip addr flush dev eth0 && ip addr add {address}/{prefix} dev eth0 && "
              f"ip route replace default via {gateway}")
    result = lab.lab.run_in(host, ["sh", "-c", script])
    assert result.returncode == 0, result.stderr


@pytest.fixture
def agency_server(lab: LabHandle) -> Iterator[LabHandle]:
    """lab-srv1 moved to agency VLAN 120 (SVI 10.231.0.1/27, server 10.231.0.5); restored to staging after."""
    port = lab.host(HOST).switch_port
    switch_config(lab, [f"vlan {AGENCY_VLAN}", "name OPD-lab", "exit", f"vlan {OTHER_VLAN}", "exit",
                        f"interface Vlan{AGENCY_VLAN}", f"ip address {GATEWAY} 255.255.255.224", "exit",
                        f"interface {port}", "switchport mode access",
                        f"switchport access vlan {AGENCY_VLAN}", "exit"])
    set_server_address(lab, SERVER, 27, GATEWAY)
    yield lab
    lab.lab.cable(HOST, port)
    switch_config(lab, [f"interface {port}", "switchport access vlan 999", "no shutdown", "exit",
                        f"no interface Vlan{AGENCY_VLAN}", f"no vlan {AGENCY_VLAN}", f"no vlan {OTHER_VLAN}"])
    staging = lab.host(HOST).staging_address
    set_server_address(lab, staging, 24, "10.231.250.1")
    assert wait_for(lambda: lab.lab.reachable_from_noc(staging, 22))


def test_server_on_staging_vlan_answers_ssh_and_https_from_the_noc(lab: LabHandle) -> None:
    for host in lab.hosts:
        assert lab.lab.reachable_from_noc(host.staging_address, 22), host.name
        assert lab.lab.reachable_from_noc(host.staging_address, 443), host.name


def test_reachable_only_with_the_svi_and_the_port_in_the_vlan(agency_server: LabHandle) -> None:
    lab = agency_server
    port = lab.host(HOST).switch_port
    reach = lambda: lab.lab.reachable_from_noc(SERVER, 443)  # noqa: E731
    assert wait_for(reach)

    switch_config(lab, [f"no interface Vlan{AGENCY_VLAN}"])
    assert wait_for(lambda: not reach())
    switch_config(lab, [f"interface Vlan{AGENCY_VLAN}", f"ip address {GATEWAY} 255.255.255.224"])
    assert wait_for(reach)

    switch_config(lab, [f"interface {port}", f"switchport access vlan {OTHER_VLAN}"])
    assert wait_for(lambda: not reach())
    switch_config(lab, [f"interface {port}", f"switchport access vlan {AGENCY_VLAN}"])
    assert wait_for(reach)

    switch_config(lab, [f"interface {port}", "shutdown"])
    assert wait_for(lambda: not reach())
    switch_config(lab, [f"interface {port}", "no shutdown"])
    assert wait_for(reach)


def test_recabling_moves_the_server_to_the_new_ports_vlan(agency_server: LabHandle) -> None:
    lab = agency_server
    port = lab.host(HOST).switch_port
    free = "GigabitEthernet1/0/20"
    reach = lambda: lab.lab.reachable_from_noc(SERVER, 443)  # noqa: E731
    assert wait_for(reach)
    lab.lab.cable(HOST, free)  # port 20 is still on the staging VLAN
    assert wait_for(lambda: not reach())
    switch_config(lab, [f"interface {free}", f"switchport access vlan {AGENCY_VLAN}"])
    assert wait_for(reach)
    assert lab.lab.host(HOST).switch_port == free
    lab.lab.cable(HOST, port)
    switch_config(lab, [f"interface {free}", "switchport access vlan 999"])
    assert wait_for(reach)


def gather_facts(lab: LabHandle, name: str, tmp_path: Path) -> dict[str, Any]:
    """Ansible's `setup` on lab server `name`, trusting only that server's own host key."""
    address = lab.host(name).staging_address
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"{address} {lab.lab.host_key(name)}\n")
    env = {**lab.env(), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "json"}
    proc = subprocess.run(
        ["ansible", "all", "-i", f"{address},", "-u", "root", "--private-key", str(lab.key_path),
         f"--ssh-common-args=-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts}",
         "-m", "ansible.builtin.setup", "-a", "gather_subset=!all,hardware"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    facts: dict[str, Any] = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"][address]["ansible_facts"]
    return facts


@pytest.mark.parametrize("name", ["lab-srv1", "lab-srv3"])
def test_fact_gathering_returns_the_hosts_hardware_profile(lab: LabHandle, name: str, tmp_path: Path) -> None:
    host = lab.host(name)
    facts = gather_facts(lab, name, tmp_path)
    profile = host.profile
    assert facts["ansible_system_vendor"] == profile.dmi_vendor
    assert facts["ansible_product_name"] == profile.model
    assert facts["ansible_product_serial"] == profile.serial
    assert facts["ansible_processor_count"] * facts["ansible_processor_cores"] == profile.cpu_cores
    assert facts["ansible_processor_vcpus"] == profile.cpu_cores
    assert facts["ansible_memtotal_mb"] == profile.memory_gb * 1024
    disks = facts["ansible_devices"]
    assert list(disks) == ["sda"]
    assert int(disks["sda"]["sectors"]) * int(disks["sda"]["sectorsize"]) == profile.disk_gb * 1000**3
    assert (facts["ansible_distribution"], facts["ansible_distribution_major_version"]) == ("Debian", "12")


def test_every_server_has_its_own_host_key(lab: LabHandle) -> None:
    keys = [lab.lab.host_key(h.name).split()[1] for h in lab.hosts]
    assert len(set(keys)) == len(keys)


def test_servers_are_delivered_with_apts_package_caches(lab: LabHandle) -> None:
    """As an installed server is: the first package task on a server does not rebuild them."""
    for host in lab.hosts:
        find = ["find", "/var/cache/apt", "-maxdepth", "1", "-name", "*pkgcache.bin", "-size", "+1M"]
        found = lab.lab.run_in(host.name, find).stdout.split()
        assert sorted(found) == ["/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin"], host.name


def prometheus_targets(lab: LabHandle) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{lab.prometheus_url}/api/v1/targets", timeout=5) as resp:
        return list(json.load(resp)["data"]["activeTargets"])


def test_prometheus_in_the_noc_scrapes_a_target_in_the_lab(lab: LabHandle) -> None:
    host = lab.host("lab-srv2")
    target = f"{host.staging_address}:9100"
    started = lab.lab.run_in(host.name, ["sh", "-c", "prometheus-node-exporter --web.listen-address=:9100 "
                                         ">/dev/null 2>&1 & echo $! > /run/test-node-exporter.pid"])
    assert started.returncode == 0, started.stderr
    sd_file = lab.lab.file_sd_dir / "test-lab.json"
    try:
        sd_file.write_text(json.dumps([{"targets": [target], "labels": {"test": "lab"}}]))
        up = lambda: any(t["labels"].get("instance") == target and t["health"] == "up"  # noqa: E731
                         for t in prometheus_targets(lab))
        assert wait_for(up, timeout=40)
        query = urllib.parse.quote(f'up{{instance="{target}"}}')
        with urllib.request.urlopen(f"{lab.prometheus_url}/api/v1/query?query={query}", timeout=5) as resp:
            result = json.load(resp)["data"]["result"]
        assert [r["value"][1] for r in result] == ["1"]
    finally:
        sd_file.unlink(missing_ok=True)
        lab.lab.run_in(host.name, ["sh", "-c", "kill $(cat /run/test-node-exporter.pid)"])
