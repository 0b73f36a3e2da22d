"""What both switch simulators' commands read at start: their options, the login, the fault hook."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provisioner.secrets import SwitchCredentials, switch_credentials


@dataclass(frozen=True)
class Launch:
    """One simulator's start: its name, SSH port, state folder, fabric, login and options."""

    name: str
    port: int
    state_dir: Path
    fabric: str
    credentials: SwitchCredentials
    drop_after: int | None
    layer3: bool


def parse(argv: Sequence[str] | None, description: str, name: str, port: int, credentials: str,
          layer2_help: str) -> Launch:
    """The options of a simulator's command (defaults: `name`, `port`, `credentials`); the login from the
    environment or the state folder's credentials.env; logging set up (--verbose: debug)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--name", default=name)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--fabric", choices=("ovs", "none"), default="none")
    parser.add_argument("--credentials", default=credentials, help="credentials name (COLO_CRED_<N>_*)")
    parser.add_argument("--drop-after", type=int, default=os.environ.get("COLO_SWITCH_SIM_DROP_AFTER"),
                        help="cut the first session after K configuration changes (fault test hook)")
    parser.add_argument("--layer2", action="store_true", help=layer2_help)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:
        logging.getLogger("colo.switch_sim.session").setLevel(logging.WARNING)
    dotenv = args.state_dir / "credentials.env"
    login = switch_credentials(args.credentials, credentials_file=dotenv if dotenv.exists() else None)
    drop_after = int(args.drop_after) if args.drop_after not in (None, "") else None
    return Launch(args.name, args.port, args.state_dir, args.fabric, login, drop_after, not args.layer2)
