"""provision.yml on a lab server with the runner's speed settings against ansible-playbook's stock settings.

Same host (lab-srv3), same playbook and variables, through provisioner.runner in both cases; only the
SpeedSettings differ (FAST: Mitogen's strategy, pipelining, ControlPersist 120 s, fact cache, 20 forks;
STOCK: Ansible's defaults). The server keeps its staging address as its own (no switch change); a warm-up
run configures it, then the runs alternate so both see the same state. Prints seconds per run and the ratio.

    python3 bench/ansible.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from provisioner.lab.api import Lab
from provisioner.runner import FAST, STOCK, HostTarget, SpeedSettings, run_playbook

HOST = "lab-srv3"
NOC = "10.231.253.2"
GATEWAY = "10.231.250.1"


def _timed(target: HostTarget, run_dir: Path, known_hosts: Path, speed: SpeedSettings) -> float:
    start = time.perf_counter()
    result = run_playbook("provision.yml", [target], {}, run_dir, known_hosts=known_hosts, speed=speed)
    elapsed = time.perf_counter() - start
    result.raise_for_failure("provision.yml")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    lab = Lab()
    lab.up(max(3, lab.host_count()))
    address = lab.host(HOST).staging_address
    hostvars: dict[str, object] = {
        "colo_address": f"{address}/24", "colo_gateway": GATEWAY, "colo_ntp_servers": [NOC],
        "colo_dns_servers": [NOC],
        "colo_ports": [{"port": 22, "protocol": "tcp"}, {"port": 443, "protocol": "tcp"}],
        "colo_monitoring_sources": [NOC], "colo_chrony_daemon_opts": "-x",
    }
    target = HostTarget(HOST, address, "root", lab.key_path, hostvars=hostvars)
    times: dict[str, list[float]] = {"stock": [], "fast": []}
    with tempfile.TemporaryDirectory(prefix="colo-bench-") as tmp:
        base = Path(tmp)
        known_hosts = base / "known_hosts"
        try:
            _timed(target, base / "warmup", known_hosts, FAST)
            for n in range(rounds):
                times["stock"].append(_timed(target, base / f"stock-{n}", known_hosts, STOCK))
                times["fast"].append(_timed(target, base / "fast", known_hosts, FAST))
        finally:
            undo = "nft flush ruleset; /etc/init.d/prometheus-node-exporter stop; true"
            lab.run_in(HOST, ["sh", "-c", undo])
    stock, fast = statistics.median(times["stock"]), statistics.median(times["fast"])
    print(f"provision.yml on {HOST}, {rounds} rounds (median)")
    print(f"  stock ansible-playbook settings: {stock:6.2f} s  {[round(t, 2) for t in times['stock']]}")
    print(f"  runner settings (FAST):          {fast:6.2f} s  {[round(t, 2) for t in times['fast']]}")
    print(f"  speed-up: {stock / fast:.2f}x (target >= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
