"""The lab's switch-side state: which host is cabled to which switch port, each port's last setting, the SVIs.

Kept in <state>/fabric.json under a file lock, so the switch simulator and
`colo lab cable` can both change it.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from provisioner.lab.layout import STAGING_SVI, STAGING_VLAN


class PortState(BaseModel):
    """A switch port's last configuration, as the switch set it (the switch's initial config by default)."""

    mode: Literal["access", "trunk"] = "access"
    vlan: int = STAGING_VLAN
    native_vlan: int | None = None
    allowed_vlans: list[int] | None = None
    shutdown: bool = False


class FabricState(BaseModel):
    """Cabling (host name -> switch port), port settings by port, SVI addresses by VLAN."""

    cabling: dict[str, str] = Field(default_factory=dict)
    ports: dict[str, PortState] = Field(default_factory=dict)
    svis: dict[int, str] = Field(default_factory=lambda: {STAGING_VLAN: STAGING_SVI})

    def port(self, name: str) -> PortState:
        """The state of switch port `name`."""
        return self.ports.get(name) or PortState()

    def host_on(self, port: str) -> str | None:
        """The host cabled to switch port `port`, if any."""
        return next((host for host, p in self.cabling.items() if p == port), None)


def state_file(state_dir: Path) -> Path:
    return state_dir / "fabric.json"


def read_state(state_dir: Path) -> FabricState:
    """The current state (defaults when none was written yet)."""
    path = state_file(state_dir)
    if not path.exists():
        return FabricState()
    return FabricState.model_validate(json.loads(path.read_text()))


@contextmanager
def changing_state(state_dir: Path) -> Iterator[FabricState]:
    """Lock, load, yield for changes, and save the state atomically."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "fabric.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = read_state(state_dir)
        yield state
        tmp = state_file(state_dir).with_suffix(".tmp")
        tmp.write_text(state.model_dump_json(indent=2))
        os.replace(tmp, state_file(state_dir))
