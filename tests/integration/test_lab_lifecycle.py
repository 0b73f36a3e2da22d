"""`lab up` is idempotent and `lab down` leaves nothing behind (this module ends with the lab up again)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.lab import ovs
from provisioner.lab.layout import BRIDGE, LAB_SUPERNET, LAB_SWITCHES, NETNS_PREFIX
from tests.integration.conftest import LabHandle

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]


def colo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def lab_processes(lab_dir: Path) -> list[str]:
    """Command lines of running processes that belong to the lab."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(lab_dir) in text or "colo-lab-init" in text:
            found.append(text)
    return found


def lab_pids(lab_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in (lab_dir / "run").glob("*.pid")}


def test_up_again_changes_nothing(lab: LabHandle) -> None:
    before = lab_pids(lab.lab.dir)
    result = colo("lab", "up", "--json")
    assert result.returncode == 0, result.stderr
    assert lab_pids(lab.lab.dir) == before
    assert colo("lab", "status").returncode == 0


def test_down_leaves_no_namespace_port_process_or_file(lab: LabHandle) -> None:
    lab_dir = lab.lab.dir
    assert lab_processes(lab_dir)
    result = colo("lab", "down")
    assert result.returncode == 0, result.stderr
    try:
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
        assert not [line for line in netns.splitlines() if line.startswith(NETNS_PREFIX)]
        bridges = subprocess.run(["ovs-vsctl", "list-br"], capture_output=True, text=True, check=False).stdout
        assert BRIDGE not in bridges.split()
        links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True, check=True).stdout
        assert not [line for line in links.splitlines() if line.startswith("clab-")]
        routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
        assert LAB_SUPERNET not in routes
        assert lab_processes(lab_dir) == []
        assert not lab_dir.exists()
        assert colo("lab", "status").returncode == 1
    finally:
        result = colo("lab", "up", "--hosts", str(len(lab.hosts)))
        assert result.returncode == 0, result.stderr
    assert lab.lab.status().healthy
    assert all(lab.lab.reachable_from_noc(h.staging_address, 22) for h in lab.hosts)


def test_up_rebuilds_a_lab_whose_processes_were_ended(lab: LabHandle) -> None:
    """After a restart (every lab process and Open vSwitch gone, the namespaces left), `up` makes it whole."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    for ns in listing.split():
        if ns.startswith(NETNS_PREFIX):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            subprocess.run(["kill", "-9", *pids], check=False)
    for pid_file in (lab.lab.dir / "run").glob("*.pid"):
        subprocess.run(["kill", "-9", pid_file.read_text().split()[0]], check=False)
    subprocess.run(["pkill", "-9", "-x", "ovs-vswitchd"], check=False)
    subprocess.run(["pkill", "-9", "-x", "ovsdb-server"], check=False)
    result = colo("lab", "up", "--hosts", str(len(lab.hosts)))
    assert result.returncode == 0, result.stderr
    assert lab.lab.status().healthy
    assert all(lab.lab.reachable_from_noc(h.staging_address, 22) for h in lab.hosts)


def test_down_after_open_vswitch_was_stopped_leaves_no_bridge_in_its_database(lab: LabHandle) -> None:
    """A stopped Open vSwitch still holds the lab's bridges in its database: `down` removes them, so the next
    `up` does not meet a server port left on the other switch's bridge."""
    ovs.stop_ovs()
    result = colo("lab", "down")
    assert result.returncode == 0, result.stderr
    try:
        assert not ovs.ovs_running()
        ovs.ensure_ovs()
        bridges = subprocess.run(["ovs-vsctl", "list-br"], capture_output=True, text=True, check=True).stdout
        assert not {s.bridge for s in LAB_SWITCHES} & set(bridges.split())
        ovs.stop_ovs()
    finally:
        result = colo("lab", "up", "--hosts", str(len(lab.hosts)))
        assert result.returncode == 0, result.stderr
    assert lab.lab.status().healthy
