"""``python3 -m provisioner.lab.switch_sim``: one lab switch over SSH."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provisioner.lab.switch_sim.core import build_core
from provisioner.lab.switch_sim.mirror import load_fabric
from provisioner.lab.switch_sim.ssh import listen

log = logging.getLogger("colo.switch_sim")
CREDENTIALS_NAME = "sw-lab"

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lab's Cisco IOS switch simulator over SSH.")
    parser.add_argument("--name", default="sw-lab-01")
    parser.add_argument("--port", type=int, default=2201)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--fabric", choices=("ovs", "none"), default="none")
    parser.add_argument("--credentials", default=CREDENTIALS_NAME, help="credentials name (COLO_CRED_<N>_*)")
    parser.add_argument("--drop-after", type=int, default=os.environ.get("COLO_SWITCH_SIM_DROP_AFTER"),
                        help="drop the first session after K configuration lines (fault test hook)")
    parser.add_argument("--layer2", action="store_true", help="a layer-2 switch: no SVI at first start")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:
        logging.getLogger("colo.switch_sim.session").setLevel(logging.WARNING)

    from provisioner.secrets import switch_credentials

    dotenv = args.state_dir / "credentials.env"
    credentials = switch_credentials(args.credentials, credentials_file=dotenv if dotenv.exists() else None)
    from twisted.internet import reactor as twisted_reactor

    reactor: Any = twisted_reactor

    drop_after = int(args.drop_after) if args.drop_after not in (None, "") else None
    fabric = load_fabric(args.fabric, args.name)
    core = build_core(args.name, args.state_dir, credentials.enable, fabric, drop_after, not args.layer2)
    listen(core, args.port, credentials.username, credentials.password, reactor)
    log.info("%s listening on 127.0.0.1:%d (SSH)", args.name, args.port)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
