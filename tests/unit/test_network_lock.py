"""The per-switch lock serialises sessions on one switch and lets other switches proceed."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from provisioner.errors import InfrastructureError
from provisioner.network.lock import switch_lock, switch_locks
from provisioner.register.db import open_register, utcnow
from provisioner.register.network_models import SwitchLockRecord


def test_same_switch_waits_other_switch_does_not(tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'r.db'}")
    order: list[str] = []
    with switch_lock(register, "sw-a", "run-1"):
        with switch_lock(register, "sw-b", "run-2", wait=0.5):
            order.append("b while a held")

        def second() -> None:
            with switch_lock(register, "sw-a", "run-3", wait=5):
                order.append("a second")

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("a first done")
    thread.join(5)
    assert order == ["b while a held", "a first done", "a second"]
    register.close()


def test_busy_switch_names_the_holder_and_expired_lock_is_taken_over(tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'r.db'}")
    with switch_lock(register, "sw-a", "run-1", ttl=0.2):
        busy = switch_lock(register, "sw-a", "run-2", wait=0.05)
        with pytest.raises(InfrastructureError, match="run-1"), busy:
            pass
        time.sleep(0.3)
        with switch_lock(register, "sw-a", "run-2", wait=0.5):
            pass
    register.close()


def test_lock_of_a_killed_run_on_this_machine_is_taken_over_at_once(tmp_path: Path) -> None:
    """A run killed mid-change never releases its lock; its rerun must not wait for the lock to expire."""
    register = open_register(f"sqlite:///{tmp_path / 'r.db'}")
    dead = subprocess.Popen(["true"])
    dead.wait()
    with register.session() as session:
        session.add(SwitchLockRecord(switch="sw-a", holder="REQ-2026-0001", machine=socket.gethostname(),
                                     pid=dead.pid, acquired_at=utcnow(),
                                     expires_at=utcnow() + timedelta(hours=1)))
    with switch_lock(register, "sw-a", "REQ-2026-0001", wait=0.5):
        pass
    live = SwitchLockRecord(switch="sw-b", holder="run-9", machine=socket.gethostname(), pid=os.getpid(),
                            acquired_at=utcnow(), expires_at=utcnow() + timedelta(hours=1))
    with register.session() as session:
        session.add(live)
    with pytest.raises(InfrastructureError, match="run-9"), switch_lock(register, "sw-b", "run-10", wait=0.2):
        pass
    register.close()


def test_several_switches_are_taken_in_name_order_and_a_busy_one_releases_the_rest(tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'r.db'}")

    def holders() -> dict[str, str]:
        with register.session() as session:
            return {r.switch: r.holder for r in session.query(SwitchLockRecord)}

    with switch_locks(register, ["sw-b", "sw-a", "sw-b"], "run-1") as order:
        assert order == ("sw-a", "sw-b")
        assert holders() == {"sw-a": "run-1", "sw-b": "run-1"}
    assert holders() == {}
    with switch_lock(register, "sw-b", "run-2"):
        busy = pytest.raises(InfrastructureError, match="switch sw-b is being configured by run-2")
        with busy, switch_locks(register, ["sw-b", "sw-a"], "run-3", wait=0.3):
            pass
        assert holders() == {"sw-b": "run-2"}
    register.close()


def test_two_runs_over_the_same_switches_in_opposite_orders_both_finish(tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'r.db'}")
    finished: list[str] = []

    def run(name: str, switches: list[str]) -> None:
        for _ in range(5):
            with switch_locks(register, switches, name, wait=10):
                time.sleep(0.02)
        finished.append(name)

    runs = [threading.Thread(target=run, args=("up", ["sw-a", "sw-b"])),
            threading.Thread(target=run, args=("down", ["sw-b", "sw-a"]))]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(30)
    assert sorted(finished) == ["down", "up"]
    register.close()
