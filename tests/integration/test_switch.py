"""A switch simulator on a free loopback port, for the switch integration tests (no lab needed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.register.db import Register, open_register
from provisioner.secrets import SwitchCredentials

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SimSwitch:
    """The facility's switch entry as the network package needs it."""

    name: str
    platform: str
    host: str
    port: int
    credentials: str


@dataclass
class RunningSim:
    switch: SimSwitch
    state_dir: Path
    credentials: SwitchCredentials
    process: subprocess.Popen[bytes]

    def arm_drop(self, lines: int) -> None:
        """The next session is dropped after it has sent `lines` configuration lines."""
        (self.state_dir / "drop-after").write_text(str(lines))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sim(state_dir: Path, port: int, env: dict[str, str],
              module: str = "provisioner.lab.switch_sim", *options: str,
              name: str = "sw-test-01") -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--name", name, "--port", str(port),
         "--state-dir", str(state_dir), "--fabric", "none", *options],
        cwd=REPO, env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=open(state_dir / "sim.log", "ab"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the switch simulator did not start")


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSim]:
    creds = {"COLO_CRED_SW_TEST_USERNAME": "netops", "COLO_CRED_SW_TEST_PASSWORD": "s3cret-login",
             "COLO_CRED_SW_TEST_ENABLE": "s3cret-enable"}
    for key, value in creds.items():
        monkeypatch.setenv(key, value)
    state = tmp_path / "sim"
    state.mkdir()
    port = free_port()
    env = {"COLO_CRED_SW_LAB_USERNAME": "netops", "COLO_CRED_SW_LAB_PASSWORD": "s3cret-login",
           "COLO_CRED_SW_LAB_ENABLE": "s3cret-enable"}
    process = start_sim(state, port, env)
    running = RunningSim(SimSwitch("sw-test-01", "cisco_ios", "127.0.0.1", port, "sw-test"), state,
                         SwitchCredentials("sw-test", "netops", "s3cret-login", "s3cret-enable"), process)
    yield running
    running.process.terminate()
    running.process.wait(10)


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Register]:
    reg = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    yield reg
    reg.close()


# ------------------------------------------------------------------------------------------------ tests

from provisioner.errors import Refused  # noqa: E402
from provisioner.network import (  # noqa: E402
    AccessPortIntent,
    ResetPortIntent,
    SessionPool,
    StagingPortIntent,
    SviIntent,
    SwitchChangeError,
    VlanIntent,
    apply_change,
    plan_change,
)
from provisioner.network.session import open_session  # noqa: E402

PORT = "GigabitEthernet1/0/5"
AGENCY = [
    VlanIntent(vlan_id=120, name="OPD-DISDIK"),
    SviIntent(vlan_id=120, gateway="10.231.0.1", prefix_len=27),  # type: ignore[arg-type]
    AccessPortIntent(port=PORT, vlan_id=120, description="disdik:simpeg:REQ-2026-0001"),
]


def show(sim: RunningSim, register: Register, command: str) -> str:
    session = open_session(sim.switch, register)
    try:
        return str(session.connection.send_command(command))
    finally:
        session.close()


def test_simulator_answers_like_ios(sim: RunningSim, register: Register) -> None:
    session = open_session(sim.switch, register)
    conn = session.connection
    assert "Current privilege level is 15" in conn.send_command("show privilege")
    assert "% Invalid input detected at '^' marker." in conn.send_command("show bogus thing")
    assert "startup-config is not present" in conn.send_command("show startup-config")
    conn.save_config()
    assert "interface Vlan999" in conn.send_command("show startup-config | section ^interface Vlan")
    section = conn.send_command("show running-config | section ^vlan 999$")
    assert section.split() == ["vlan", "999", "name", "STAGING"]
    assert conn.send_command("show running-config | include ^hostname").strip() == "hostname sw-test-01"
    session.close()


def test_full_cycle_then_nothing_to_send(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        first = apply_change(sim.switch, AGENCY, pool)
        assert first.saved and len(first.lines_sent) >= 7
        again = apply_change(sim.switch, AGENCY, pool)
        assert again.lines_sent == () and pool.get(sim.switch).lines_sent == len(first.lines_sent) + 1
    running = show(sim, register, f"show running-config interface {PORT}")
    assert " switchport access vlan 120" in running and "description disdik:simpeg:REQ-2026-0001" in running
    startup = show(sim, register, "show startup-config | section ^interface Vlan120")
    assert "ip address 10.231.0.1 255.255.255.224" in startup

    with SessionPool(register) as pool:
        apply_change(sim.switch, [StagingPortIntent(port=PORT, staging_vlan=999)], pool)
        assert "switchport access vlan 999" in pool.get(sim.switch).read_config()
        apply_change(sim.switch, [ResetPortIntent(port=PORT)], pool)
        assert apply_change(sim.switch, [ResetPortIntent(port=PORT)], pool).lines_sent == ()
    block = show(sim, register, f"show running-config interface {PORT}")
    assert " shutdown" in block and "switchport access vlan" not in block and "description" not in block


def test_check_sends_nothing(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        plan = plan_change(sim.switch, AGENCY, pool)
        assert pool.get(sim.switch).lines_sent == 0
    assert "+  switchport access vlan 120" in plan.diff()
    assert "vlan 120" not in show(sim, register, "show running-config | include ^vlan")


def test_refused_line_fails_and_restores(sim: RunningSim, register: Register) -> None:
    # 10.231.250.0/24 already belongs to Vlan999: the switch refuses the address ("overlaps with").
    clash = [VlanIntent(vlan_id=130, name="OPD-X"),
             SviIntent(vlan_id=130, gateway="10.231.250.9", prefix_len=24),  # type: ignore[arg-type]
             AccessPortIntent(port=PORT, vlan_id=130, description="x:y:REQ-2026-0002")]
    before = show(sim, register, "show running-config")
    with SessionPool(register) as pool, pytest.raises(SwitchChangeError) as failed:
        apply_change(sim.switch, clash, pool)
    assert failed.value.restored and "refused" in failed.value.message
    assert show(sim, register, "show running-config") == before


def test_session_dropped_mid_change_is_restored_and_rerun_converges(
        sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        apply_change(sim.switch, AGENCY[:2], pool)
    before = show(sim, register, f"show running-config interface {PORT}")
    sim.arm_drop(2)  # interface line and description go through, then the connection is cut
    with SessionPool(register) as pool:
        with pytest.raises(SwitchChangeError) as failed:
            apply_change(sim.switch, AGENCY, pool)
        assert failed.value.restored
        # Told as a closed connection, not as a read timeout waited out on a connection already gone.
        assert "the switch closed the connection" in failed.value.message, failed.value.message
        assert show(sim, register, f"show running-config interface {PORT}") == before
        result = apply_change(sim.switch, AGENCY, pool)
        assert result.saved
    assert "switchport access vlan 120" in show(sim, register, f"show running-config interface {PORT}")


def test_read_back_that_differs_is_caught(sim: RunningSim, register: Register) -> None:
    # A platform whose configuration read hides the VLAN name: the push "succeeds" but the read-back
    # cannot show the intended name, which must fail the change and restore the snapshot.
    from provisioner.network import platforms

    class Lying(platforms.CiscoIos):
        name = "cisco_ios"
        show_config = "show running-config | exclude ^ name"  # hides VLAN names from the read-back

    platforms.PLATFORMS["cisco_ios_lying"] = Lying
    try:
        switch = SimSwitch(sim.switch.name, "cisco_ios_lying", sim.switch.host, sim.switch.port, "sw-test")
        with SessionPool(register) as pool, pytest.raises(SwitchChangeError) as failed:
            apply_change(switch, AGENCY[:1], pool)
        assert "read-back differs" in failed.value.message and failed.value.restored
    finally:
        del platforms.PLATFORMS["cisco_ios_lying"]
    assert "vlan 120" not in show(sim, register, "show running-config | include ^vlan")


def test_host_key_pinned_across_restart_and_change_refused(sim: RunningSim, register: Register) -> None:
    show(sim, register, "show privilege")
    sim.process.terminate()
    sim.process.wait(10)
    sim.process = start_sim(sim.state_dir, sim.switch.port, {
        "COLO_CRED_SW_LAB_USERNAME": "netops", "COLO_CRED_SW_LAB_PASSWORD": "s3cret-login",
        "COLO_CRED_SW_LAB_ENABLE": "s3cret-enable"})
    assert "15" in show(sim, register, "show privilege")  # same key after restart
    sim.process.terminate()
    sim.process.wait(10)
    (sim.state_dir / "ssh_host_ed25519_key").unlink()  # a different switch answers at the same address
    sim.process = start_sim(sim.state_dir, sim.switch.port, {
        "COLO_CRED_SW_LAB_USERNAME": "netops", "COLO_CRED_SW_LAB_PASSWORD": "s3cret-login",
        "COLO_CRED_SW_LAB_ENABLE": "s3cret-enable"})
    with pytest.raises(Refused) as refused:
        open_session(sim.switch, register)
    assert "host key changed" in refused.value.message and refused.value.message.count("SHA256:") == 2


def test_plan_lists_only_the_difference(sim: RunningSim, register: Register) -> None:
    with SessionPool(register) as pool:
        apply_change(sim.switch, AGENCY[:1], pool)
        plan = plan_change(sim.switch, AGENCY, pool)
    assert "vlan 120" not in plan.lines and "interface Vlan120" in plan.lines


def test_first_contact_from_several_runs_at_once_pins_one_key(sim: RunningSim, register: Register) -> None:
    """Eight runs reach a new switch at the same moment: one pin is recorded and every run accepts it."""
    from concurrent.futures import ThreadPoolExecutor

    from provisioner.network.session import fetch_host_key, pinned_key, probe_switch

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _i: probe_switch(register, sim.switch), range(8)))  # none refused
    assert pinned_key(register, sim.switch) == fetch_host_key(sim.switch.host, sim.switch.port)
    assert "15" in show(sim, register, "show privilege")
