"""How the provisioner reaches a request's server: its Ansible target, where the request's runs and the
servers' host keys are kept, whether it answers SSH."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from provisioner.register.db import Register
from provisioner.runner import HostTarget
from provisioner.secrets import CredentialSource


def register_dir(register: Register) -> Path:
    """The folder beside the SQLite register (./.colo for any other database)."""
    database = make_url(str(register.engine.url)).database
    if register.engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return Path(database).resolve().parent
    return Path(".colo").resolve()


@dataclass(frozen=True)
class ServerAccess:
    """One request's server as Ansible reaches it."""

    register: Register
    request_id: str
    hostname: str
    secrets: CredentialSource
    """Where the SSH identity comes from (the site's)."""

    @property
    def run_dir(self) -> Path:
        """The request's Ansible runs (artifacts, fact cache)."""
        return register_dir(self.register) / "runs" / self.request_id

    @property
    def known_hosts(self) -> Path:
        """Server host keys, kept with the register."""
        return register_dir(self.register) / "known_hosts"

    def target(self, address: str) -> HostTarget:
        """The server at `address`."""
        identity = self.secrets.ssh_identity()
        return HostTarget(name=self.hostname, address=address, user=identity.user, key_file=identity.key_file)


def answers_ssh(address: ipaddress.IPv4Address, timeout_s: float) -> bool:
    """Whether `address` accepts a TCP connection on port 22 within `timeout_s` (polling)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((str(address), 22), timeout=1.0):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
