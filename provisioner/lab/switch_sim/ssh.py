"""The SSH server of a lab switch: one password login, the host key kept in the state directory.

Both simulators serve through `serve`: the Cisco one with fake-switches' realm, the RouterOS one with its
own shell (`provisioner.lab.switch_sim.routeros.shell`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from provisioner.lab.switch_sim.core import SimSwitchCore


def host_key(state_dir: Path) -> Any:
    """The switch's Ed25519 host key, created on first start and kept in the state directory."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from twisted.conch.ssh import keys

    path = state_dir / "ssh_host_ed25519_key"
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    return keys.Key.fromFile(str(path))  # type: ignore[no-untyped-call]


def serve(realm: Any, checker: Any, state_dir: Path, port: int, reactor: Any) -> Any:
    """Serve `realm` over SSH on 127.0.0.1:`port`, logins checked by `checker`; returns the listening port."""
    from twisted.conch.ssh import factory
    from twisted.cred import portal

    key = host_key(state_dir)
    ssh_factory: Any = factory.SSHFactory()
    ssh_factory.portal = portal.Portal(realm)
    ssh_factory.portal.registerChecker(checker)
    ssh_factory.publicKeys = {b"ssh-ed25519": key.public()}
    ssh_factory.privateKeys = {b"ssh-ed25519": key}
    return reactor.listenTCP(port=port, factory=ssh_factory, interface="127.0.0.1")


def listen(core: SimSwitchCore, port: int, username: str, password: str, reactor: Any) -> Any:
    """Serve the Cisco core over SSH with one password login; returns the listening port."""
    from fake_switches.transports.ssh_service import SSHDemoRealm
    from twisted.cred import checkers

    checker = checkers.InMemoryUsernamePasswordDatabaseDontUse(**{username: password.encode()})
    return serve(SSHDemoRealm(core), checker, Path(core.switch_configuration.state_dir), port, reactor)
