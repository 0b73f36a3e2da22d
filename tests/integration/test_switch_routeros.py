"""The RouterOS change against the RouterOS simulator over SSH on a loopback port (no lab needed): the diff,
a rerun that sends nothing, restore, safe mode undoing a cut session, RouterOS's refusals, injection."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.network import (
    AccessPortIntent,
    RemoveVlanIntent,
    ResetPortIntent,
    SessionPool,
    StagingPortIntent,
    SwitchChangeError,
    VlanIntent,
    apply_change,
    plan_change,
)
from provisioner.network.models import RemoveTrunkVlanIntent, TrunkVlanIntent
from provisioner.network.routeros.change import PROMPT, SAFE_MODE_KEY, SAFE_TAKEN
from provisioner.network.session import open_session
from provisioner.register.db import Register
from provisioner.secrets import SwitchCredentials
from tests.integration.test_switch import RunningSim, SimSwitch, free_port, register, start_sim

__all__ = ["register"]
MODULE = "provisioner.lab.switch_sim.routeros"
ENV = {"COLO_CRED_SW_LAB_02_USERNAME": "netops", "COLO_CRED_SW_LAB_02_PASSWORD": "s3cret-login",
       "COLO_CRED_SW_LAB_02_ENABLE": ""}
PORT = "ether5"
TRUNK = "sfp-sfpplus1"
STAGING = "/interface bridge vlan add bridge=bridge1 tagged=sfp-sfpplus1 vlan-ids=999"
AGENCY = [
    VlanIntent(vlan_id=120, name="OPD-DISDIK"),
    TrunkVlanIntent(port=TRUNK, vlan_id=120),
    AccessPortIntent(port=PORT, vlan_id=120, description="disdik:simpeg:REQ-2026-0001"),
]


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSim]:
    for key, value in {"COLO_CRED_SW_TEST_USERNAME": "netops", "COLO_CRED_SW_TEST_PASSWORD": "s3cret-login",
                       "COLO_CRED_SW_TEST_ENABLE": ""}.items():
        monkeypatch.setenv(key, value)
    state = tmp_path / "sim"
    state.mkdir()
    port = free_port()
    process = start_sim(state, port, ENV, MODULE, "--layer2")
    running = RunningSim(SimSwitch("sw-test-01", "mikrotik_routeros", "127.0.0.1", port, "sw-test"), state,
                         SwitchCredentials("sw-test", "netops", "s3cret-login", ""), process)
    yield running
    running.process.terminate()
    running.process.wait(10)


def cli(sim: RunningSim, register: Register, *commands: str) -> list[str]:
    """Each command's answer, from one Netmiko session (as the change path logs in)."""
    session = open_session(sim.switch, register)
    try:
        return [str(session.connection.send_command(c, expect_string=PROMPT, cmd_verify=False))
                for c in commands]
    finally:
        session.close()


def export(sim: RunningSim, register: Register) -> list[str]:
    """The configuration lines of ``/export terse`` (without the header, which carries the time)."""
    return [line for line in cli(sim, register, "/export terse")[0].splitlines() if line.startswith("/")]


def test_simulator_answers_like_routeros(sim: RunningSim, register: Register) -> None:
    session = open_session(sim.switch, register)
    conn = session.connection
    assert conn.base_prompt == "[netops@sw-test-01]"  # the login's +ct511w4098h was taken off the name
    wrong = {"/interface bridge prot print": r"^bad command name prot \(line 1 column 19\)$",
             "/interface bridge port set 99 pvid=5": r"^no such item$",
             "/interface bridge port set 0 pvid=5000": r"^value of pvid out of range \(1\.\.4094\)$",
             "/interface bridge port add bridge=bridge1 interface=ether99": r"input does not match any value",
             "/interface bridge port add bridge=bridge1 interface=ether5": r"^failure: device already added",
             "/interface bridge port set 0 colour=red": r"^expected end of command \(line 1 column 30\)$",
             '/interface bridge port set 0 comment="open': r"^syntax error \(line 1 column 43\)$"}
    for command, answer in wrong.items():
        out = conn.send_command(command, expect_string=PROMPT, cmd_verify=False)
        assert re.search(answer, out.splitlines()[-1]), (command, out)
    assert conn.send_command("/interface bridge port", expect_string=PROMPT, cmd_verify=False) == ""
    assert conn.find_prompt() == "[netops@sw-test-01] /interface/bridge/port>"
    table = conn.send_command("print", expect_string=PROMPT, cmd_verify=False)
    assert re.search(r"^4\s+ether5\s+bridge1\s+999$", table, re.M), table
    detail = conn.send_command("print detail", expect_string=PROMPT, cmd_verify=False)
    assert re.search(r"^ 4\s+interface=ether5 bridge=bridge1 pvid=999", detail, re.M), detail
    session.close()
    terse = export(sim, register)
    assert "/interface bridge port add bridge=bridge1 interface=ether5 pvid=999" in terse
    assert "/interface bridge vlan add bridge=bridge1 tagged=sfp-sfpplus1 vlan-ids=999" in terse
    grouped = cli(sim, register, "/interface bridge vlan export")[0]
    assert "/interface bridge vlan\nadd bridge=bridge1 tagged=sfp-sfpplus1 vlan-ids=999" in grouped


def test_full_cycle_then_nothing_to_send(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        first = apply_change(sim.switch, AGENCY, pool)
        assert first.saved and first.lines_sent == (
            "/interface bridge vlan add vlan-ids=120 bridge=bridge1 comment=OPD-DISDIK tagged=sfp-sfpplus1",
            "/interface bridge port set [find interface=ether5] pvid=120 comment=disdik:simpeg:REQ-2026-0001",
        )  # ether5 is enabled already: nothing is sent for it
        sent = pool.get(sim.switch).lines_sent
        again = apply_change(sim.switch, AGENCY, pool)
        assert again.lines_sent == () and pool.get(sim.switch).lines_sent == sent
    lines = export(sim, register)
    assert ("/interface bridge port add bridge=bridge1 comment=disdik:simpeg:REQ-2026-0001 interface=ether5"
            " pvid=120") in lines
    assert ("/interface bridge vlan add bridge=bridge1 comment=OPD-DISDIK tagged=sfp-sfpplus1"
            " vlan-ids=120") in lines

    with SessionPool(register) as pool:
        apply_change(sim.switch, [StagingPortIntent(port=PORT, staging_vlan=999)], pool)
        removal = [RemoveTrunkVlanIntent(port=TRUNK, vlan_id=120), RemoveVlanIntent(vlan_id=120)]
        assert apply_change(sim.switch, removal, pool).lines_sent == (
            "/interface bridge vlan remove [find vlan-ids=120]",)
        reset = apply_change(sim.switch, [ResetPortIntent(port=PORT)], pool)
        assert reset.lines_sent == ("/interface bridge port set [find interface=ether5] pvid=1",
                                    "/interface ethernet set [find default-name=ether5] disabled=yes")
        assert apply_change(sim.switch, [ResetPortIntent(port=PORT)], pool).lines_sent == ()
    lines = export(sim, register)
    assert "/interface ethernet set [ find default-name=ether5 ] disabled=yes" in lines
    assert "/interface bridge port add bridge=bridge1 interface=ether5" in lines
    assert not any("vlan-ids=120" in line for line in lines)


def test_check_sends_nothing(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        plan = plan_change(sim.switch, AGENCY, pool)
        assert pool.get(sim.switch).lines_sent == 0
    assert "  /interface bridge port interface=ether5" in plan.diff()
    assert "      /interface bridge port add bridge=bridge1 interface=ether5 pvid=999" in plan.diff()
    assert "+ /interface bridge port set [find interface=ether5] pvid=120" in plan.diff()
    assert not any("vlan-ids=120" in line for line in export(sim, register))


def test_refused_line_fails_and_the_switch_undoes_the_rest(
        sim: RunningSim, register: Register, caplog: pytest.LogCaptureFixture) -> None:
    # sfp-sfpplus3 does not exist on a CRS326-24G-2S+: the switch answers "input does not match any value of".
    bad = [VlanIntent(vlan_id=130, name="OPD-X"), TrunkVlanIntent(port="sfp-sfpplus3", vlan_id=130),
           AccessPortIntent(port=PORT, vlan_id=130, description="x:y:REQ-2026-0002")]
    before = export(sim, register)
    caplog.set_level(logging.WARNING, "colo.network")
    with SessionPool(register) as pool, pytest.raises(SwitchChangeError) as failed:
        apply_change(sim.switch, bad, pool)
    assert failed.value.restored and "input does not match any value of tagged" in failed.value.message
    assert export(sim, register) == before
    assert "undid the change itself" in caplog.text


def test_session_cut_mid_change_is_undone_by_the_switch_itself(sim: RunningSim, register: Register) -> None:
    """Safe mode taken, one line applied, then the connection is cut: a new session finds the switch as it
    was, and nothing of ours was sent to put it back."""
    before = export(sim, register)
    sim.arm_drop(1)
    session = open_session(sim.switch, register)
    conn = session.connection
    conn.write_channel(SAFE_MODE_KEY)
    assert "[Safe Mode taken]" in conn.read_until_pattern(SAFE_TAKEN + r"[\s\S]*<SAFE>\s*$")
    conn.send_command("/interface bridge port set [find interface=ether5] pvid=120", expect_string=PROMPT,
                      cmd_verify=False)
    assert any("pvid=120" in line for line in export(sim, register))  # applied, seen from another session
    with pytest.raises(Exception):  # noqa: B017 - the cut shows as whatever the SSH library raises
        conn.send_command("/interface bridge port set [find interface=ether6] pvid=120", expect_string=PROMPT,
                          cmd_verify=False, read_timeout=3)
    session.close()
    assert export(sim, register) == before


def test_cut_during_apply_change_leaves_nothing_to_restore(
        sim: RunningSim, register: Register, caplog: pytest.LogCaptureFixture) -> None:
    before = export(sim, register)
    sim.arm_drop(1)
    caplog.set_level(logging.WARNING, "colo.network")
    with SessionPool(register) as pool:
        with pytest.raises(SwitchChangeError) as failed:
            apply_change(sim.switch, AGENCY, pool)
        assert failed.value.restored and "undid the change itself" in caplog.text
        assert export(sim, register) == before
        assert apply_change(sim.switch, AGENCY, pool).saved  # the rerun converges
    assert any("vlan-ids=120" in line for line in export(sim, register))


def test_released_safe_mode_keeps_the_change_after_the_session(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        apply_change(sim.switch, AGENCY[:1], pool)
    assert any("vlan-ids=120" in line for line in export(sim, register))  # read from a new session


def test_description_is_text_on_the_switch(sim: RunningSim, register: Register) -> None:
    """A comment quoted as the platform quotes text stays text: no variable, no command, no second line."""
    from provisioner.network.routeros.words import quote

    hostile = 'a;/interface bridge vlan remove [find];$x"b\\c[/system reboot]'
    out = cli(sim, register, f"/interface bridge port set [find interface=ether5] comment={quote(hostile)}",
              "/interface bridge port print detail")
    assert not re.search(MikrotikErrors, out[0])
    assert re.search(r"^ 4\s+;;; " + re.escape(hostile) + "$", out[1], re.M), out[1]
    assert STAGING in export(sim, register)
    # Unquoted, the same text would have run the second command: the switch is that strict.
    cli(sim, register, "/interface bridge port set [find interface=ether6] comment=a;/interface bridge vlan "
                       "remove [find]")
    assert STAGING not in export(sim, register)


MikrotikErrors = r"(?m)^(?:failure: |bad command name |expected end of command |syntax error |no such item)"


def test_long_line_echo_wraps_as_on_v7_and_the_change_path_does_not_mind(
        sim: RunningSim, register: Register) -> None:
    long = "/interface bridge port set [find interface=ether7] comment=" + "x" * 60
    session = open_session(sim.switch, register)
    with pytest.raises(Exception):  # noqa: B017 - Netmiko waits for the echo in one piece (netmiko#3285)
        session.connection.send_command(long, read_timeout=2)
    session.close()
    intent = AccessPortIntent(port="ether8", vlan_id=999, description="y" * 80)
    with SessionPool(register) as pool:
        assert len(apply_change(sim.switch, [intent], pool).lines_sent[0]) > 120
    assert any("comment=" + "y" * 80 in line for line in export(sim, register))


def test_hostile_description_never_reaches_the_switch(sim: RunningSim, register: Register) -> None:
    from provisioner.errors import BadInput

    before = export(sim, register)
    forged = AccessPortIntent.model_construct(port=PORT, vlan_id=120, kind="access",
                                              description="x;/interface bridge vlan remove [find]")
    with SessionPool(register) as pool, pytest.raises(BadInput, match="refusing description"):
        apply_change(sim.switch, [forged], pool)
    assert export(sim, register) == before


def fabric_calls(sim: RunningSim) -> list[str]:
    """What the simulator told its fabric (``--fabric none`` logs every call), in order."""
    log_text = (sim.state_dir / "sim.log").read_text()
    return re.findall(r"fabric (\w+\(.*\))$", log_text, re.M)


def test_the_fabric_follows_pvid_and_the_tagged_list(sim: RunningSim, register: Register) -> None:
    """The data plane the lab mirrors onto Open vSwitch: the port's pvid is its VLAN, and the trunk carries
    exactly the VLANs tagged on it (a VLAN taken off the list is cut off behind the trunk)."""
    assert "set_trunk('sfp-sfpplus1', None, [999])" in fabric_calls(sim)
    with SessionPool(register) as pool:
        apply_change(sim.switch, AGENCY, pool)
        assert fabric_calls(sim)[-1] == "set_access_vlan('ether5', 120)"
        assert "set_trunk('sfp-sfpplus1', None, [120, 999])" in fabric_calls(sim)
        apply_change(sim.switch, [RemoveTrunkVlanIntent(port=TRUNK, vlan_id=120)], pool)
        assert fabric_calls(sim)[-1] == "set_trunk('sfp-sfpplus1', None, [999])"
        apply_change(sim.switch, [AccessPortIntent(port=PORT, vlan_id=130, description="x:y:REQ-2026-0003")],
                     pool)
        assert fabric_calls(sim)[-1] == "set_access_vlan('ether5', 130)"
        apply_change(sim.switch, [ResetPortIntent(port=PORT)], pool)
        assert fabric_calls(sim)[-2:] == ["set_access_vlan('ether5', 1)", "set_shutdown('ether5', True)"]


def test_safe_mode_held_by_another_session_is_asked_about(sim: RunningSim, register: Register) -> None:
    first, second = open_session(sim.switch, register), open_session(sim.switch, register)
    first.connection.write_channel(SAFE_MODE_KEY)
    first.connection.read_until_pattern(SAFE_TAKEN + r"[\s\S]*<SAFE>\s*$")
    second.connection.write_channel(SAFE_MODE_KEY)
    asked = second.connection.read_until_pattern(r"\[u/r/d\]: $")
    assert "Hijacking Safe Mode from someone - unroll/release/don't take it [u/r/d]: " in asked
    second.connection.write_channel("d")
    assert second.connection.read_until_pattern(PROMPT).rstrip().endswith("[netops@sw-test-01] >")
    first.connection.send_command("/interface bridge port set [find interface=ether5] pvid=120",
                                  expect_string=PROMPT, cmd_verify=False)
    first.close()  # its safe mode was never released: undone
    second.close()
    assert "/interface bridge port add bridge=bridge1 interface=ether5 pvid=999" in export(sim, register)


def test_the_switch_keeps_its_configuration_across_a_restart(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        apply_change(sim.switch, AGENCY, pool)
    before = export(sim, register)
    sim.process.terminate()
    sim.process.wait(10)
    sim.process = start_sim(sim.state_dir, sim.switch.port, ENV, MODULE, "--layer2")
    assert export(sim, register) == before  # RouterOS saves as it goes: no save step was sent
    with SessionPool(register) as pool:
        assert apply_change(sim.switch, AGENCY, pool).lines_sent == ()
