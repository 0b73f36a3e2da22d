"""The lab's SSH host keys, kept beside the cached image so that a lab built again is the same lab.

A register or known_hosts file that pinned the lab's switch and servers keeps trusting them across
`colo lab down` and `colo lab up`, as it would trust real equipment that was switched off and on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from provisioner.lab.image import cache_dir
from provisioner.lab.sh import run


def kept_host_key(name: str) -> Path:
    """The private Ed25519 host key of lab machine `name` (its `.pub` beside it), made on first use."""
    folder = cache_dir() / "lab-keys" / name
    key = folder / "ssh_host_ed25519_key"
    if not key.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{name}", "-f", str(key)])
    return key


def install_host_key(name: str, private_key: Path) -> None:
    """Put `name`'s kept key pair at `private_key` (and `.pub`), private part readable by root only."""
    kept = kept_host_key(name)
    private_key.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, private_key)
    private_key.chmod(0o600)
    shutil.copyfile(kept.with_suffix(".pub"), private_key.with_suffix(".pub"))
