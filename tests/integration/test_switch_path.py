"""A change over two switch simulators joined by a trunk (no lab needed): the agency VLAN on both, allowed at
both trunk ends, the SVI on the layer-3 one, the port on the access one; a rerun sends nothing; a failure on
the access switch leaves both as they were; a trunk end that carries every VLAN is left alone; and the same
over a cisco_ios core and a mikrotik_routeros access switch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.network import (
    AccessPortIntent,
    SessionPool,
    SviIntent,
    SwitchChange,
    SwitchChangeError,
    SwitchIntent,
    TrunkVlanIntent,
    VlanIntent,
    apply_changes,
    plan_changes,
)
from provisioner.network.session import open_session
from provisioner.register.db import Register
from tests.integration.test_switch import RunningSim, SimSwitch, free_port, register, start_sim
from tests.integration.test_switch_routeros import ENV as ROS_ENV
from tests.integration.test_switch_routeros import MODULE as ROUTEROS_MODULE
from tests.integration.test_switch_routeros import export

TRUNK, PORT, VLAN = "GigabitEthernet1/1/1", "GigabitEthernet1/0/5", 140
__all__ = ["register"]  # the register fixture, shared with test_switch
CREDS = {"COLO_CRED_SW_LAB_USERNAME": "netops", "COLO_CRED_SW_LAB_PASSWORD": "s3cret-login",
         "COLO_CRED_SW_LAB_ENABLE": "s3cret-enable"}
IOS, ROUTEROS = "provisioner.lab.switch_sim", ROUTEROS_MODULE
ROS_PORT, ROS_TRUNK = "ether5", "sfp-sfpplus1"


@dataclass
class Pair:
    core: RunningSim
    access: RunningSim

    def changes(self, port: str = PORT, access_trunk: str = TRUNK) -> list[SwitchChange]:
        vlan = VlanIntent(vlan_id=VLAN, name="OPD-DISDIK")
        svi = SviIntent(vlan_id=VLAN, gateway="10.231.0.33", prefix_len=27)  # type: ignore[arg-type]
        port_intent = AccessPortIntent(port=port, vlan_id=VLAN, description="a:b:REQ-2026-0001")
        core: list[SwitchIntent] = [vlan, TrunkVlanIntent(port=TRUNK, vlan_id=VLAN), svi]
        access: list[SwitchIntent] = [vlan, TrunkVlanIntent(port=access_trunk, vlan_id=VLAN), port_intent]
        return [SwitchChange(self.core.switch, tuple(core)), SwitchChange(self.access.switch, tuple(access))]


def _start(tmp_path: Path, name: str, platform: str, module: str, credentials: str,
           env: dict[str, str]) -> RunningSim:
    from provisioner.secrets import SwitchCredentials

    state = tmp_path / name
    state.mkdir()
    port = free_port()
    options = ("--layer2",) if name != "sw-test-core" else ()
    process = start_sim(state, port, env, module, *options, name=name)
    return RunningSim(SimSwitch(name, platform, "127.0.0.1", port, credentials), state,
                      SwitchCredentials(credentials, "netops", "s3cret-login", ""), process)


def _logins(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, enable in (("SW_TEST", "s3cret-enable"), ("SW_TEST_ROS", "")):
        for key, value in (("USERNAME", "netops"), ("PASSWORD", "s3cret-login"), ("ENABLE", enable)):
            monkeypatch.setenv(f"COLO_CRED_{name}_{key}", value)


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    _logins(monkeypatch)
    sims = [_start(tmp_path, name, "cisco_ios", IOS, "sw-test", CREDS) for name in ("sw-test-core",
                                                                                    "sw-test-access")]
    yield Pair(*sims)
    for sim in sims:
        sim.process.terminate()
        sim.process.wait(10)


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    """A cisco_ios core and a mikrotik_routeros access switch."""
    _logins(monkeypatch)
    sims = [_start(tmp_path, "sw-test-core", "cisco_ios", IOS, "sw-test", CREDS),
            _start(tmp_path, "sw-test-ros", "mikrotik_routeros", ROUTEROS, "sw-test-ros", ROS_ENV)]
    yield Pair(*sims)
    for sim in sims:
        sim.process.terminate()
        sim.process.wait(10)


def running(sim: RunningSim, register: Register, what: str = "") -> str:
    session = open_session(sim.switch, register)
    try:
        return str(session.connection.send_command(f"show running-config{what}"))
    finally:
        session.close()


def configure(sim: RunningSim, register: Register, lines: list[str]) -> None:
    session = open_session(sim.switch, register)
    try:
        session.configure(lines)
    finally:
        session.close()


def test_both_switches_get_the_vlan_and_their_trunk_end_and_a_rerun_sends_nothing(
        pair: Pair, register: Register) -> None:
    with SessionPool(register) as pool:
        first = apply_changes(pair.changes(), pool)
        assert [r.switch for r in first] == ["sw-test-core", "sw-test-access"]
        assert all(r.saved for r in first)
        assert all(p.empty for p in plan_changes(pair.changes(), pool))
        again = apply_changes(pair.changes(), pool)
    assert [r.lines_sent for r in again] == [(), ()]
    for sim in (pair.core, pair.access):
        trunk = running(sim, register, f" interface {TRUNK}")
        assert f"switchport trunk allowed vlan {VLAN},999" in trunk, trunk
    assert "interface Vlan140" in running(pair.core, register)
    assert "interface Vlan140" not in running(pair.access, register)
    assert f"switchport access vlan {VLAN}" in running(pair.access, register, f" interface {PORT}")


def test_a_failure_on_the_access_switch_restores_the_core_too(pair: Pair, register: Register) -> None:
    before = {sim.switch.name: running(sim, register) for sim in (pair.core, pair.access)}
    with SessionPool(register) as pool, pytest.raises(SwitchChangeError) as failed:
        # the access switch takes the VLAN and its trunk end, then refuses a port it does not have
        apply_changes(pair.changes(port="GigabitEthernet1/0/30"), pool)
    assert failed.value.restored, failed.value.message
    assert "sw-test-core restored" in failed.value.message
    assert {sim.switch.name: running(sim, register) for sim in (pair.core, pair.access)} == before


def test_a_trunk_end_that_carries_every_vlan_is_left_alone(pair: Pair, register: Register) -> None:
    configure(pair.core, register, [f"interface {TRUNK}", "no switchport trunk allowed vlan"])
    with SessionPool(register) as pool:
        core, access = apply_changes(pair.changes(), pool)
    assert core.plan.left_alone == (TRUNK,) and access.plan.left_alone == ()
    assert not any("trunk" in line for line in core.lines_sent)
    assert "switchport trunk allowed" not in running(pair.core, register, f" interface {TRUNK}")


def test_an_ios_core_and_a_routeros_access_switch_change_together_and_restore_together(
        mixed: Pair, register: Register) -> None:
    core, access = mixed.core, mixed.access
    before = (running(core, register), export(access, register))
    with SessionPool(register) as pool, pytest.raises(SwitchChangeError) as failed:
        apply_changes(mixed.changes(port="ether99", access_trunk=ROS_TRUNK), pool)  # no ether99: refused
    assert failed.value.restored and "sw-test-core restored" in failed.value.message, failed.value.message
    assert (running(core, register), export(access, register)) == before
    with SessionPool(register) as pool:
        first = apply_changes(mixed.changes(port=ROS_PORT, access_trunk=ROS_TRUNK), pool)
        again = apply_changes(mixed.changes(port=ROS_PORT, access_trunk=ROS_TRUNK), pool)
    assert all(r.lines_sent for r in first) and [r.lines_sent for r in again] == [(), ()]
    assert f"switchport trunk allowed vlan {VLAN},999" in running(core, register, f" interface {TRUNK}")
    tagged = [line for line in export(access, register) if f"vlan-ids={VLAN}" in line]
    assert tagged and ROS_TRUNK in tagged[0], export(access, register)
