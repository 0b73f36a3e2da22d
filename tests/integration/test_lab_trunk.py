"""The trunk between the lab's two racks is real: a server behind sw-lab-02 reaches its gateway on sw-lab-01
only while its VLAN exists on both switches and is allowed at both ends of the trunk. sw-lab-02 runs RouterOS:
there the VLAN is a bridge VLAN entry, the port's pvid puts the server in it, and the trunk carries it while
sfp-sfpplus1 is in the entry's tagged list."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.lab.layout import STAGING_GATEWAY, switch_slot
from tests.integration.conftest import LabHandle
from tests.integration.test_lab import set_server_address, wait_for

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]

VLAN = 140
GATEWAY = "10.231.0.33"
SERVER = "10.231.0.37"
HOST = "lab-srv3"
ACCESS_PORT = "ether3"
ROS_VLAN = "/interface bridge vlan"


def configure(lab: LabHandle, switch: str, lines: list[str]) -> str:
    """Send configuration lines to a lab switch over SSH with its own login (IOS configuration mode, or
    RouterOS commands one by one, each answer read up to the prompt)."""
    from netmiko import ConnectHandler

    from provisioner.network import platform_for
    from provisioner.network.routeros.change import PROMPT
    from provisioner.secrets import env_prefix

    slot = switch_slot(switch)
    env, prefix = lab.lab.credentials_env(), env_prefix(slot.credentials)  # as the lab has it now
    with ConnectHandler(device_type=slot.platform, host=slot.host, port=slot.ssh_port,
                        username=env[f"{prefix}_USERNAME"], password=env[f"{prefix}_PASSWORD"],
                        secret=env[f"{prefix}_ENABLE"]) as conn:
        if slot.platform == "mikrotik_routeros":
            output = "".join(str(conn.send_command(line, expect_string=PROMPT, cmd_verify=False))
                             for line in lines)
        else:
            conn.enable()
            output = str(conn.send_config_set(lines))
    assert not re.search(platform_for(slot.platform).error_pattern, output), output
    return output


def trunk(lab: LabHandle, switch: str, change: str) -> None:
    """The agency VLAN added to or removed from what `switch`'s end of the trunk carries."""
    if switch_slot(switch).platform == "mikrotik_routeros":
        tagged = "sfp-sfpplus1" if change == "add" else '""'
        configure(lab, switch, [f"{ROS_VLAN} set [find vlan-ids={VLAN}] tagged={tagged}"])
    else:
        configure(lab, switch, [f"interface {switch_slot(switch).trunk_port}",
                                f"switchport trunk allowed vlan {change} {VLAN}"])


def lab_status() -> dict[str, dict[str, object]]:
    """`colo lab status --json`'s switches by name."""
    done = subprocess.run([sys.executable, "-m", "provisioner.cli.main", "lab", "status", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return {s["name"]: s for s in json.loads(done.stdout)["switches"]}


@pytest.fixture
def server_in_r02(lab: LabHandle) -> Iterator[LabHandle]:
    """lab-srv3 cabled to sw-lab-02 in agency VLAN 140, its gateway (SVI) on sw-lab-01, the VLAN on both
    switches and allowed at both trunk ends; afterwards back on sw-lab-01 in staging, nothing of VLAN 140."""
    home = lab.host(HOST).switch_port
    assert home is not None
    configure(lab, "sw-lab-01", [f"vlan {VLAN}", "name OPD-trunk", "exit", f"interface Vlan{VLAN}",
                                 f"ip address {GATEWAY} 255.255.255.224", "exit"])
    configure(lab, "sw-lab-02", [f"{ROS_VLAN} add bridge=bridge1 vlan-ids={VLAN} comment=OPD-trunk",
                                 f"/interface bridge port set [find interface={ACCESS_PORT}] pvid={VLAN}"])
    for switch in ("sw-lab-01", "sw-lab-02"):
        trunk(lab, switch, "add")
    lab.lab.cable(HOST, ACCESS_PORT, "sw-lab-02")
    set_server_address(lab, SERVER, 27, GATEWAY, HOST)
    yield lab
    lab.lab.cable(HOST, home)
    configure(lab, "sw-lab-02", [f"/interface bridge port set [find interface={ACCESS_PORT}] pvid=999",
                                 f"{ROS_VLAN} remove [find vlan-ids={VLAN}]"])
    configure(lab, "sw-lab-01", [f"interface {switch_slot('sw-lab-01').trunk_port}",
                                 "switchport trunk allowed vlan 999", "exit",
                                 f"no interface Vlan{VLAN}", f"no vlan {VLAN}"])
    staging = lab.host(HOST).staging_address
    set_server_address(lab, staging, 24, STAGING_GATEWAY, HOST)
    assert wait_for(lambda: lab.lab.reachable_from_noc(staging, 22))


def test_a_server_behind_the_trunk_needs_its_vlan_at_both_ends(server_in_r02: LabHandle) -> None:
    lab = server_in_r02
    reach = lambda: lab.lab.reachable_from_noc(SERVER, 443)  # noqa: E731
    assert lab.lab.host(HOST).switch == "sw-lab-02"
    assert wait_for(reach)
    for switch in ("sw-lab-01", "sw-lab-02"):
        status = lab_status()[switch]
        assert VLAN in status["vlans"]  # type: ignore[operator]
        assert status["trunks"] == [{"port": switch_slot(switch).trunk_port,
                                     "peer": "sw-lab-02" if switch == "sw-lab-01" else
                                     "sw-lab-01", "allowed_vlans": [VLAN, 999]}]

    for switch in ("sw-lab-01", "sw-lab-02"):
        trunk(lab, switch, "remove")
        assert wait_for(lambda: not reach()), f"still reachable with VLAN {VLAN} off {switch}'s trunk end"
        assert lab_status()[switch]["trunks"][0]["allowed_vlans"] == [999]  # type: ignore[index]
        trunk(lab, switch, "add")
        assert wait_for(reach), f"not reachable again with VLAN {VLAN} back on {switch}'s trunk end"

    port = f"/interface bridge port set [find interface={ACCESS_PORT}]"
    configure(lab, "sw-lab-02", [f"{port} pvid={VLAN + 1}"])  # a wrong pvid: the server is in another VLAN
    assert wait_for(lambda: not reach())
    configure(lab, "sw-lab-02", [f"{port} pvid={VLAN}"])
    assert wait_for(reach)

    configure(lab, "sw-lab-01", [f"no vlan {VLAN}"])  # the core no longer has the VLAN: nothing crosses
    assert wait_for(lambda: not reach())
    configure(lab, "sw-lab-01", [f"vlan {VLAN}", "name OPD-trunk"])
    assert wait_for(reach)


def test_a_safe_mode_session_cut_mid_change_gives_the_server_back(server_in_r02: LabHandle) -> None:
    """Safe mode taken on sw-lab-02, the server's pvid changed (it is cut off), then the connection dies:
    the switch undoes the change by itself and the server answers again, with nothing sent by us."""
    from netmiko import ConnectHandler

    from provisioner.network.routeros.change import PROMPT, SAFE_MODE_KEY
    from provisioner.secrets import env_prefix

    lab = server_in_r02
    reach = lambda: lab.lab.reachable_from_noc(SERVER, 443)  # noqa: E731
    assert wait_for(reach)
    slot = switch_slot("sw-lab-02")
    env, prefix = lab.lab.credentials_env(), env_prefix(slot.credentials)
    conn = ConnectHandler(device_type=slot.platform, host=slot.host, port=slot.ssh_port,
                          username=env[f"{prefix}_USERNAME"], password=env[f"{prefix}_PASSWORD"])
    conn.write_channel(SAFE_MODE_KEY)
    conn.read_until_pattern(r"\[Safe Mode taken\][\s\S]*<SAFE>\s*$")
    conn.send_command(f"/interface bridge port set [find interface={ACCESS_PORT}] pvid={VLAN + 1}",
                      expect_string=PROMPT, cmd_verify=False)
    assert wait_for(lambda: not reach())
    conn.remote_conn.get_transport().close()  # the connection dies; no quit, no undo of ours
    assert wait_for(reach)


def test_a_server_behind_sw_lab_02_in_staging_is_reachable(lab: LabHandle) -> None:
    """The trunk carries the staging VLAN from the start: a server cabled into R02 answers as delivered."""
    host = "lab-srv4"
    home, staging = lab.host(host).switch_port, lab.host(host).staging_address
    assert home is not None
    try:
        lab.lab.cable(host, "ether4", "sw-lab-02")
        assert lab.lab.host(host).switch == "sw-lab-02"
        assert wait_for(lambda: lab.lab.reachable_from_noc(staging, 22))
    finally:
        lab.lab.cable(host, home)
    assert wait_for(lambda: lab.lab.reachable_from_noc(staging, 22))


def test_cable_refuses_an_unknown_switch(lab: LabHandle) -> None:
    done = subprocess.run([sys.executable, "-m", "provisioner.cli.main", "lab", "cable", HOST,
                           "GigabitEthernet1/0/3", "--switch", "sw-lab-09"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "sw-lab-09" in done.stderr
    assert lab.lab.host(HOST).switch == "sw-lab-01"
