"""The switch: one configuration shared by its sessions, kept on disk, mirrored to the fabric; safe mode.

Safe mode belongs to one session at a time. Taking it keeps a copy of the configuration; releasing it keeps
the changes; when the session that holds it ends in any way (``quit``, Ctrl-D, a lost connection) the
configuration goes back to that copy, as RouterOS undoes a safe-mode session's changes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from provisioner.lab.fabric import Fabric
from provisioner.lab.switch_sim.faults import take_drop_after
from provisioner.lab.switch_sim.mirror import ViewMirror
from provisioner.lab.switch_sim.routeros.model import Config, factory, load, save
from provisioner.lab.switch_sim.routeros.views import views

log = logging.getLogger("colo.switch_sim.routeros")


class RouterOsCore:
    def __init__(self, name: str, state_dir: Path, fabric: Fabric, drop_after: int | None,
                 layer3: bool) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.path = state_dir / "routeros.json"
        self.config: Config = load(self.path) or factory(name, layer3)
        save(self.config, self.path)
        self.mirror = ViewMirror(fabric)
        self.drop_after = drop_after
        self.safe_holder: object | None = None
        self.safe_copy: Config | None = None
        self.sync()

    def sync(self) -> None:
        self.mirror.forward(*views(self.config))

    def changed(self) -> None:
        """After every change: on disk (RouterOS saves by itself) and on the fabric."""
        save(self.config, self.path)
        self.sync()

    def take_drop_after(self) -> int | None:
        armed, self.drop_after = take_drop_after(self.state_dir, self.drop_after)
        return armed

    def take_safe_mode(self, session: object) -> bool:
        """Safe mode for `session`; False when another session holds it."""
        if self.safe_holder not in (None, session):
            return False
        self.safe_holder, self.safe_copy = session, self.config.copy()
        return True

    def release_safe_mode(self, session: object) -> None:
        if self.safe_holder is session:
            self.safe_holder = self.safe_copy = None

    def session_ended(self, session: object) -> None:
        """A session is gone: if it held safe mode, its changes are undone."""
        if self.safe_holder is session and self.safe_copy is not None:
            log.warning("safe mode: the session ended without releasing it; its changes are undone")
            self.config = self.safe_copy
            self.safe_holder = self.safe_copy = None
            self.changed()
