"""How the stages reach the server: its Ansible target and where each request's runs are kept."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from provisioner.runner import HostTarget
from provisioner.secrets import ssh_identity
from provisioner.stages.base import StageContext


def register_dir(ctx: StageContext) -> Path:
    """The folder beside the SQLite register (./.colo for any other database)."""
    database = make_url(str(ctx.register.engine.url)).database
    if ctx.register.engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return Path(database).resolve().parent
    return Path(".colo").resolve()


def run_dir(ctx: StageContext) -> Path:
    """The request's Ansible runs (artifacts, fact cache)."""
    return register_dir(ctx) / "runs" / ctx.request_id


def known_hosts(ctx: StageContext) -> Path:
    """Server host keys, kept with the register."""
    return register_dir(ctx) / "known_hosts"


def server_target(ctx: StageContext, address: str) -> HostTarget:
    """The server as Ansible reaches it at `address`."""
    identity = ssh_identity()
    return HostTarget(
        name=ctx.request.server.hostname, address=address, user=identity.user, key_file=identity.key_file
    )


def answers_ssh(address: str, timeout_s: float) -> bool:
    """Whether `address` accepts a TCP connection on port 22 within `timeout_s` (polling)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((address, 22), timeout=1.0):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
