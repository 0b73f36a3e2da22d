"""Host keys: first contact with a server, as ssh's accept-new makes it, and what known_hosts holds."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from provisioner.runner.config import SpeedSettings, ssh_options
from provisioner.runner.inventory import HostTarget

FIRST_CONTACT_SETTLE_S = 15.0
"""How long first contact keeps trying a server that refuses it (one that has just moved VLAN)."""
FIRST_CONTACT_PAUSE_S = 1.0
"""The pause between two attempts at first contact."""
FIRST_CONTACT_TIMEOUT_S = 60
"""An attempt that takes this long is not repeated: the run itself reports the server."""


def has_host_key(known_hosts: Path, address: str, port: int = 22) -> bool:
    """Whether `known_hosts` holds a key for the server at `address` and `port`."""
    host = address if port == 22 else f"[{address}]:{port}"
    found = subprocess.run(["ssh-keygen", "-F", host, "-f", str(known_hosts)],
                           capture_output=True, check=False)
    return found.returncode == 0


def _log_in_once(target: HostTarget, options: str, known_hosts: Path) -> bool:
    """One `ssh ... true` to `target`; whether `known_hosts` holds its key afterwards."""
    subprocess.run(["ssh", *shlex.split(options), "-i", str(target.key_file), "-p", str(target.port),
                    "-l", target.user, "--", target.address, "true"],
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=FIRST_CONTACT_TIMEOUT_S,
                   check=False)
    return has_host_key(known_hosts, target.address, target.port)


def accept_new_host_keys(targets: Sequence[HostTarget], known_hosts: Path, speed: SpeedSettings,
                         settle_s: float = FIRST_CONTACT_SETTLE_S) -> None:
    """First contact, as ssh's accept-new makes it, with each target whose key `known_hosts` lacks.

    Mitogen's SSH refuses any host not yet known; a host whose key changed stays refused by the run. A
    server that has just moved VLAN may fail the first attempts, so failed attempts are repeated for
    `settle_s`; a server still unreachable then (or one whose attempt hangs) is reported by the run itself.
    """
    options = ssh_options(speed, known_hosts)
    for target in targets:
        if has_host_key(known_hosts, target.address, target.port):
            continue
        attempts = Retrying(retry=retry_if_result(lambda known: not known), stop=stop_after_delay(settle_s),
                            wait=wait_fixed(FIRST_CONTACT_PAUSE_S), retry_error_callback=lambda _state: False)
        with suppress(subprocess.TimeoutExpired):
            attempts(_log_in_once, target, options, known_hosts)
