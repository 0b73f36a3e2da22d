"""The servers of a run: one target per server, and the inventory Ansible reads them from."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.runner.config import KEEPALIVE_COUNT, KEEPALIVE_INTERVAL_S, SpeedSettings


@dataclass(frozen=True)
class HostTarget:
    """One server to run against; `hostvars` become that host's inventory variables."""

    name: str
    address: str
    user: str
    key_file: Path
    port: int = 22
    hostvars: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The address is an IP address: ssh would read one starting with '-' as an option."""
        ipaddress.ip_address(self.address)


def inventory(targets: Sequence[HostTarget], speed: SpeedSettings) -> dict[str, Any]:
    """The inventory for `targets`: addresses, users and key files, plus each host's own variables.

    Mitogen takes its SSH keep-alive and compression from variables rather than from ssh_args.
    """
    hosts = {
        t.name: {
            **t.hostvars,
            "ansible_host": t.address,
            "ansible_port": t.port,
            "ansible_user": t.user,
            "ansible_ssh_private_key_file": str(t.key_file),
        }
        for t in targets
    }
    if not speed.mitogen:
        return {"all": {"hosts": hosts}}
    mitogen_vars = {"mitogen_ssh_keepalive_interval": KEEPALIVE_INTERVAL_S,
                    "mitogen_ssh_keepalive_count": KEEPALIVE_COUNT, "mitogen_ssh_compression": False}
    return {"all": {"hosts": hosts, "vars": mitogen_vars}}
