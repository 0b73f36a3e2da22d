"""``python3 -m provisioner.lab.switch_sim``: one lab switch over SSH."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from provisioner.lab.switch_sim.core import build_core
from provisioner.lab.switch_sim.launch import parse
from provisioner.lab.switch_sim.mirror import load_fabric
from provisioner.lab.switch_sim.ssh import listen

log = logging.getLogger("colo.switch_sim")
CREDENTIALS_NAME = "sw-lab"


def main(argv: Sequence[str] | None = None) -> int:
    launch = parse(argv, "The lab's Cisco IOS switch simulator over SSH.", "sw-lab-01", 2201,
                   CREDENTIALS_NAME, "a layer-2 switch: no SVI at first start")
    from twisted.internet import reactor as twisted_reactor

    reactor: Any = twisted_reactor
    fabric = load_fabric(launch.fabric, launch.name)
    core = build_core(launch.name, launch.state_dir, launch.credentials.enable, fabric, launch.drop_after,
                      launch.layer3)
    listen(core, launch.port, launch.credentials.username, launch.credentials.password, reactor)
    log.info("%s listening on 127.0.0.1:%d (SSH)", launch.name, launch.port)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
