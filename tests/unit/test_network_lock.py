"""The per-switch lock serialises sessions on one switch and lets other switches proceed."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from provisioner.errors import InfrastructureError
from provisioner.network.lock import switch_lock
from provisioner.register.db import open_register


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
