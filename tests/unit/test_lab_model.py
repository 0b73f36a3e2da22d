"""Pure parts of the lab: hardware profile files, the fabric state, the root check."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.errors import BadInput
from provisioner.lab import api
from provisioner.lab.layout import slot_named
from provisioner.lab.profiles import PROFILES, cpuinfo, meminfo, write_profile
from provisioner.lab.state import Cable, PortState, changing_state, read_state


def test_first_profile_matches_the_example_request() -> None:
    p = PROFILES[0]
    assert (p.vendor, p.model, p.serial, p.cpu_cores, p.memory_gb, p.disk_gb) == (
        "Dell", "PowerEdge R650", "7XK2Q93", 16, 64, 960)
    assert len({q.serial for q in PROFILES}) == len(PROFILES) == 8


def test_profile_files_state_cores_memory_and_disk(tmp_path: Path) -> None:
    p = PROFILES[2]
    assert cpuinfo(p).count("processor\t:") == p.cpu_cores
    assert meminfo(p).splitlines()[0].split() == ["MemTotal:", str(p.memory_gb * 1024 * 1024), "kB"]
    write_profile(tmp_path, p)
    assert (tmp_path / "dmi/product_serial").read_text() == p.serial + "\n"
    assert int((tmp_path / "block/sda/size").read_text()) * 512 == p.disk_gb * 1000**3


def test_fabric_state_starts_like_the_switch_and_keeps_changes(tmp_path: Path) -> None:
    fresh = read_state(tmp_path)
    assert fresh.switch("sw-lab-01").svis == {999: "10.231.250.1/24"}
    assert fresh.switch("sw-lab-02").svis == {}  # layer 2: no gateway of its own
    assert fresh.switch("sw-lab-01").port("GigabitEthernet1/0/7").vlan == 999
    with changing_state(tmp_path) as state:
        state.cabling["lab-srv1"] = Cable(switch="sw-lab-02", port="GigabitEthernet1/0/7")
        ports = state.switch("sw-lab-02").ports
        ports["GigabitEthernet1/0/7"] = PortState(vlan=120)
    again = read_state(tmp_path)
    assert again.host_on("sw-lab-02", "GigabitEthernet1/0/7") == "lab-srv1"
    assert again.host_on("sw-lab-01", "GigabitEthernet1/0/7") is None
    assert again.switch("sw-lab-02").port("GigabitEthernet1/0/7").vlan == 120
    assert again.switch("sw-lab-01").port("GigabitEthernet1/0/7").vlan == 999


def test_host_names_are_checked() -> None:
    assert slot_named("lab-srv8").netns == "colo-lab-srv8"
    for bad in ("lab-srv0", "lab-srv9", "srv1", "lab-srvx"):
        with pytest.raises(ValueError):
            slot_named(bad)


def test_the_lab_refuses_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.os, "geteuid", lambda: 1000)
    with pytest.raises(BadInput) as raised:
        api.Lab(Path("/nonexistent")).status()
    assert raised.value.exit_code == 2
    assert "root" in raised.value.message


def test_the_zabbix_lab_site_is_the_lab_site_but_for_monitoring() -> None:
    """inventories/lab-zabbix is the same site with Zabbix: a change to the lab (a switch, a rack, the
    signing) must reach both files."""
    import yaml

    root = Path(__file__).resolve().parents[2] / "inventories"
    lab, with_zabbix = (yaml.safe_load((root / site / "facility.yml").read_text())
                        for site in ("lab", "lab-zabbix"))
    assert lab.pop("monitoring")["kind"] == "prometheus"
    assert with_zabbix.pop("monitoring")["kind"] == "zabbix"
    assert with_zabbix == lab
    assert (root / "lab" / "hosts.yml").read_text() == (root / "lab-zabbix" / "hosts.yml").read_text()
