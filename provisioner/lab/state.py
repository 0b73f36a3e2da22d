"""The lab's switch-side state: which host is cabled to which switch port, and per switch each port's last
setting, its VLANs and its SVIs.

Kept in <state>/fabric.json under a file lock, so the switch simulators and `colo lab cable` can all change
it.
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

from provisioner.lab.layout import STAGING_SVI, STAGING_VLAN, SWITCH_NAME


class PortState(BaseModel):
    """A switch port's last configuration, as the switch set it (the switch's initial config by default)."""

    mode: Literal["access", "trunk"] = "access"
    vlan: int = STAGING_VLAN
    native_vlan: int | None = None
    allowed_vlans: list[int] | None = None
    shutdown: bool = False


class SwitchState(BaseModel):
    """One switch: port settings by port, the VLANs it has, SVI addresses by VLAN."""

    ports: dict[str, PortState] = Field(default_factory=dict)
    vlans: list[int] = Field(default_factory=lambda: [1, STAGING_VLAN])
    svis: dict[int, str] = Field(default_factory=dict)

    def port(self, name: str) -> PortState:
        """The state of port `name`."""
        return self.ports.get(name) or PortState()


class Cable(BaseModel):
    """Where a host's cable goes: a switch and its port."""

    switch: str
    port: str


def _factory_switches() -> dict[str, SwitchState]:
    return {SWITCH_NAME: SwitchState(svis={STAGING_VLAN: STAGING_SVI})}


class FabricState(BaseModel):
    """Cabling (host name -> cable) and each switch's state by switch name."""

    cabling: dict[str, Cable] = Field(default_factory=dict)
    switches: dict[str, SwitchState] = Field(default_factory=_factory_switches)

    def switch(self, name: str) -> SwitchState:
        """The state of switch `name` (kept in this state once asked for)."""
        return self.switches.setdefault(name, SwitchState())

    def host_on(self, switch: str, port: str) -> str | None:
        """The host cabled to `port` of `switch`, if any."""
        wanted = Cable(switch=switch, port=port)
        return next((host for host, cable in self.cabling.items() if cable == wanted), None)


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
