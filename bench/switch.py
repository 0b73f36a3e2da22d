"""Wall time of one port-provisioning change on a switch simulator: this package's driver (snapshot, diff,
push, save, read-back included) against Ansible's cisco.ios.ios_config over network_cli, stock and with
ansible_buffer_read_timeout=0.01, in one run; plus a no-change run of ours; beside it the same port change
and its no-change run on the RouterOS simulator (safe mode taken and released, read-back included). Then the
two-switch change of a server behind an access switch (a second, layer-2 simulator joined by its uplink): the
VLAN on both, both trunk ends, the SVI on the first, the access port on the second, and its no-change rerun.

Run: ``cd /work/main && PYTHONPATH=. python3 bench/switch.py [--port 2201 --state-dir DIR]`` (without
options it starts its own simulator on a free loopback port).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provisioner.network import (
    AccessPortIntent,
    SessionPool,
    SviIntent,
    SwitchChange,
    TrunkVlanIntent,
    VlanIntent,
    apply_change,
    apply_changes,
)
from provisioner.register.db import open_register

REPO = Path(__file__).resolve().parents[1]
CREDS = {"COLO_CRED_SW_LAB_USERNAME": "bench", "COLO_CRED_SW_LAB_PASSWORD": "bench-login",
         "COLO_CRED_SW_LAB_ENABLE": "bench-enable", "COLO_CRED_SW_LAB_02_USERNAME": "bench",
         "COLO_CRED_SW_LAB_02_PASSWORD": "bench-login", "COLO_CRED_SW_LAB_02_ENABLE": ""}
ROUTEROS = "provisioner.lab.switch_sim.routeros"
PLAYBOOK = """- hosts: sw
  gather_facts: false
  tasks:
    - cisco.ios.ios_config:
        parents: "interface {port}"
        lines:
          - description bench:port:REQ-2026-0001
          - switchport mode access
          - switchport access vlan 120
          - no shutdown
        save_when: modified
"""


TARGET_TWO_S, TARGET_TWO_NOOP_S = 1.5, 0.6


class Switch:
    def __init__(self, port: int, platform: str = "cisco_ios", credentials: str = "sw-lab",
                 name: str | None = None) -> None:
        self.name, self.platform, self.host, self.port, self.credentials = (
            name or f"sw-bench-{platform}", platform, "127.0.0.1", port, credentials)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sim(state: Path, port: int, module: str = "provisioner.lab.switch_sim", *options: str,
              name: str = "sw-bench") -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--name", name, "--port", str(port),
         "--state-dir", str(state), "--fabric", "none", *options],
        cwd=REPO, env={**os.environ, **CREDS, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the simulator did not start")


def routeros(work: Path) -> tuple[float, int, float, int]:
    """The RouterOS simulator: the VLAN first (untimed), then the port change and its no-change run."""
    port = free_port()
    (work / "ros").mkdir()
    process = start_sim(work / "ros", port, ROUTEROS)
    try:
        switch = Switch(port, "mikrotik_routeros", "sw-lab-02")
        url = f"sqlite:///{work / 'register-ros.db'}"
        register = open_register(url)
        with SessionPool(register) as pool:
            apply_change(switch, [VlanIntent(vlan_id=120, name="OPD-BENCH")], pool)  # type: ignore[arg-type]
        register.close()
        t_change, sent = ours(switch, url, "ether20")
        t_noop, sent_noop = ours(switch, url, "ether20")
    finally:
        process.terminate()
        process.wait(10)
    return t_change, sent, t_noop, sent_noop


def ours(switch: Switch, register_url: str, port_name: str) -> tuple[float, int]:
    intent = AccessPortIntent(port=port_name, vlan_id=120, description="bench:port:REQ-2026-0001")
    register = open_register(register_url)
    start = time.perf_counter()
    with SessionPool(register) as pool:
        result = apply_change(switch, [intent], pool)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    register.close()
    return elapsed, len(result.lines_sent)


def two_switches(core: Switch, access: Switch, register_url: str) -> tuple[float, int]:
    """The change over core and access switch in one run; (seconds, lines sent)."""
    vlan = VlanIntent(vlan_id=130, name="OPD-BENCH2")
    trunk = TrunkVlanIntent(port="GigabitEthernet1/1/1", vlan_id=130)
    svi = SviIntent(vlan_id=130, gateway="10.231.0.33", prefix_len=27)  # type: ignore[arg-type]
    port = AccessPortIntent(port="GigabitEthernet1/0/23", vlan_id=130, description="bench:two:REQ-2026-0002")
    changes = [SwitchChange(core, (vlan, trunk, svi)), SwitchChange(access, (vlan, trunk, port))]  # type: ignore[arg-type]
    register = open_register(register_url)
    start = time.perf_counter()
    with SessionPool(register) as pool:
        results = apply_changes(changes, pool)
    elapsed = time.perf_counter() - start
    register.close()
    return elapsed, sum(len(r.lines_sent) for r in results)


def ansible(switch: Switch, work: Path, port_name: str, buffer_read_timeout: float | None) -> float:
    inventory = work / "inventory.ini"
    extra = f" ansible_buffer_read_timeout={buffer_read_timeout}" if buffer_read_timeout is not None else ""
    inventory.write_text(
        "[sw]\n"
        f"sw-bench ansible_host=127.0.0.1 ansible_port={switch.port}"
        f" ansible_user={CREDS['COLO_CRED_SW_LAB_USERNAME']}"
        f" ansible_password={CREDS['COLO_CRED_SW_LAB_PASSWORD']}"
        " ansible_connection=ansible.netcommon.network_cli"
        " ansible_network_os=cisco.ios.ios ansible_become=true ansible_become_method=enable"
        f" ansible_become_password={CREDS['COLO_CRED_SW_LAB_ENABLE']}{extra}\n")
    playbook = work / "play.yml"
    playbook.write_text(PLAYBOOK.format(port=port_name))
    env = {**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NETWORK_CLI_SSH_TYPE": "paramiko",
           "ANSIBLE_LOCAL_TEMP": str(work / "tmp"), "ANSIBLE_STDOUT_CALLBACK": "default"}
    start = time.perf_counter()
    done = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook)], env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "changed=1" not in done.stdout:
        raise SystemExit(f"ansible failed or changed nothing:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, help="an already running simulator (default: start one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="colo-bench-switch-") as tmp:
        work = Path(tmp)
        os.environ.update(CREDS)
        process = None
        port = args.port
        if port is None:
            port = free_port()
            (work / "sim").mkdir()
            process = start_sim(work / "sim", port)
        access_port = free_port()
        (work / "sim-02").mkdir()
        access_process = start_sim(work / "sim-02", access_port, "provisioner.lab.switch_sim", "--layer2",
                                   name="sw-bench-02")
        try:
            switch = Switch(port)
            url = f"sqlite:///{work / 'register.db'}"
            register = open_register(url)
            with SessionPool(register) as pool:  # the VLAN exists before the timed port changes
                apply_change(switch, [VlanIntent(vlan_id=120, name="OPD-BENCH")], pool)  # type: ignore[arg-type]
            register.close()
            t_ours, sent = ours(switch, url, "GigabitEthernet1/0/20")
            t_noop, sent_noop = ours(switch, url, "GigabitEthernet1/0/20")
            t_stock = ansible(switch, work, "GigabitEthernet1/0/21", None)
            t_tuned = ansible(switch, work, "GigabitEthernet1/0/22", 0.01)
            access = Switch(access_port, name="sw-bench-02")
            t_two, sent_two = two_switches(switch, access, url)
            t_two_noop, sent_two_noop = two_switches(switch, access, url)
        finally:
            for running in (process, access_process):
                if running is not None:
                    running.terminate()
                    running.wait(10)
        r_change, r_sent, r_noop, r_sent_noop = routeros(work)
    print(f"ours, one port change (login, lock, snapshot, diff, {sent} lines, save, read-back): "
          f"{t_ours:.2f} s")
    print(f"ours, the same change again (no change, {sent_noop} lines sent): {t_noop:.2f} s")
    print(f"ansible cisco.ios.ios_config, stock: {t_stock:.2f} s")
    print(f"ansible cisco.ios.ios_config, ansible_buffer_read_timeout=0.01: {t_tuned:.2f} s")
    print(f"ours on mikrotik_routeros, one port change (login, lock, export, diff, {r_sent} lines in safe "
          f"mode, read-back, release): {r_change:.2f} s")
    print(f"ours on mikrotik_routeros, the same change again (no change, {r_sent_noop} lines sent): "
          f"{r_noop:.2f} s")
    print(f"ratio stock/ours: {t_stock / t_ours:.1f}x   tuned/ours: {t_tuned / t_ours:.1f}x   "
          f"(target: stock/ours >= 4x; no-change run < 1 s: {'yes' if t_noop < 1 else 'no'})")
    print(f"ours, two-switch change (VLAN on both, both trunk ends, SVI, access port; {sent_two} lines, both "
          f"saved and read back): {t_two:.2f} s (target <= {TARGET_TWO_S} s: "
          f"{'yes' if t_two <= TARGET_TWO_S else 'no'})")
    print(f"ours, the two-switch change again (no change, {sent_two_noop} lines sent): {t_two_noop:.2f} s "
          f"(target <= {TARGET_TWO_NOOP_S} s: {'yes' if t_two_noop <= TARGET_TWO_NOOP_S else 'no'})")


if __name__ == "__main__":
    main()
