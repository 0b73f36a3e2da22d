"""``python3 -m provisioner.lab.switch_sim.routeros``: one lab RouterOS switch over SSH."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from provisioner.lab.switch_sim.launch import parse
from provisioner.lab.switch_sim.mirror import load_fabric
from provisioner.lab.switch_sim.routeros.core import RouterOsCore
from provisioner.lab.switch_sim.routeros.login import realm_and_checker
from provisioner.lab.switch_sim.ssh import serve

log = logging.getLogger("colo.switch_sim.routeros")


def main(argv: Sequence[str] | None = None) -> int:
    launch = parse(argv, "The lab's MikroTik RouterOS v7 switch simulator over SSH.", "sw-lab-02", 2202,
                   "sw-lab-02", "the bridge itself not tagged at first start")
    from twisted.internet import reactor as twisted_reactor

    reactor: Any = twisted_reactor
    core = RouterOsCore(launch.name, launch.state_dir, load_fabric(launch.fabric, launch.name),
                        launch.drop_after, launch.layer3)
    realm, checker = realm_and_checker(core, launch.credentials.username, launch.credentials.password)
    serve(realm, checker, launch.state_dir, launch.port, reactor)
    log.info("%s (RouterOS) listening on 127.0.0.1:%d (SSH)", launch.name, launch.port)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
