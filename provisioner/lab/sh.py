"""Running the commands that build the lab (ip, ovs-vsctl, ...) with failures as InfrastructureError."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from provisioner.errors import InfrastructureError


def run(argv: Sequence[str], *, netns: str | None = None, check: bool = True,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `argv` (inside network namespace `netns` if given); raise InfrastructureError if it fails."""
    full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
    try:
        proc = subprocess.run(full, capture_output=True, text=True, input=stdin, check=False, timeout=60)
    except subprocess.TimeoutExpired:
        raise InfrastructureError(f"lab command did not finish within 60 s: {' '.join(full)}") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise InfrastructureError(f"lab command failed: {' '.join(full)}", detail)
    return proc


def succeeds(argv: Sequence[str], *, netns: str | None = None) -> bool:
    """Whether `argv` exits 0."""
    return run(argv, netns=netns, check=False).returncode == 0


def netns_list() -> set[str]:
    """Names of the network namespaces that exist."""
    out = run(["ip", "netns", "list"]).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}
