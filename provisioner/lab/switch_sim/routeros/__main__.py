"""``python3 -m provisioner.lab.switch_sim.routeros``: one lab RouterOS switch over SSH."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provisioner.lab.switch_sim.mirror import load_fabric
from provisioner.lab.switch_sim.routeros.core import RouterOsCore
from provisioner.lab.switch_sim.routeros.login import realm_and_checker
from provisioner.lab.switch_sim.ssh import serve

log = logging.getLogger("colo.switch_sim.routeros")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lab's MikroTik RouterOS v7 switch simulator over SSH.")
    parser.add_argument("--name", default="sw-lab-02")
    parser.add_argument("--port", type=int, default=2202)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--fabric", choices=("ovs", "none"), default="none")
    parser.add_argument("--credentials", default="sw-lab-02", help="credentials name (COLO_CRED_<N>_*)")
    parser.add_argument("--drop-after", type=int, default=os.environ.get("COLO_SWITCH_SIM_DROP_AFTER"),
                        help="cut the first session after K configuration changes (fault test hook)")
    parser.add_argument("--layer2", action="store_true", help="the bridge itself not tagged at first start")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from provisioner.secrets import switch_credentials

    dotenv = args.state_dir / "credentials.env"
    credentials = switch_credentials(args.credentials, credentials_file=dotenv if dotenv.exists() else None)
    from twisted.internet import reactor as twisted_reactor

    reactor: Any = twisted_reactor
    drop_after = int(args.drop_after) if args.drop_after not in (None, "") else None
    core = RouterOsCore(args.name, args.state_dir, load_fabric(args.fabric, args.name), drop_after,
                        not args.layer2)
    realm, checker = realm_and_checker(core, credentials.username, credentials.password)
    serve(realm, checker, args.state_dir, args.port, reactor)
    log.info("%s (RouterOS) listening on 127.0.0.1:%d (SSH)", args.name, args.port)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
