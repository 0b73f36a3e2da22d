"""The server's chrony synchronised to the site's NTP server: `chronyc -c tracking` read over SSH, polled
until it names one of the site's servers as its reference (bounded wait)."""

from __future__ import annotations

import ipaddress
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

from provisioner.errors import InfrastructureError
from provisioner.runner.config import FAST_FEW_TASKS, ssh_options
from provisioner.runner.inventory import HostTarget

SYNC_WAIT_S = 60.0
"""How long the server's chrony may take to synchronise (iburst needs a few seconds)."""
TRACKING_COMMAND = "chronyc -c tracking"
NOT_SYNCHRONISED = "Not synchronised"
TRACKING_FIELDS = 14


class Tracking(BaseModel):
    """One `chronyc -c tracking` line: the reference, its stratum and the clock's offset from it."""

    reference_id: str
    reference: str
    stratum: int
    offset_s: float
    """The system clock's offset from the reference (positive: fast)."""
    root_delay_s: float
    root_dispersion_s: float
    leap_status: str

    def synchronised_to(self, servers: Sequence[str]) -> bool:
        """Whether chrony is synchronised and its reference is one of `servers`."""
        return self.leap_status != NOT_SYNCHRONISED and 0 < self.stratum < 16 and self.reference in servers


def parse_tracking(text: str) -> Tracking:
    """`chronyc -c tracking`'s CSV line; ValueError for anything else."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ValueError(f"chronyc tracking: expected one line, got {len(lines)}")
    fields = lines[0].split(",")
    if len(fields) != TRACKING_FIELDS:
        raise ValueError(f"chronyc tracking: {TRACKING_FIELDS} fields expected, {len(fields)}: {lines[0]!r}")
    int(fields[0], 16)
    if fields[1]:
        ipaddress.ip_address(fields[1])
    return Tracking(
        reference_id=fields[0], reference=fields[1], stratum=int(fields[2]), offset_s=float(fields[4]),
        root_delay_s=float(fields[10]), root_dispersion_s=float(fields[11]), leap_status=fields[13],
    )


def read_tracking(target: HostTarget, known_hosts: Path) -> Tracking | None:
    """The server's tracking now; None when chronyc does not answer yet."""
    options = ssh_options(FAST_FEW_TASKS, known_hosts)
    done = subprocess.run(
        ["ssh", *shlex.split(options), "-i", str(target.key_file), "-p", str(target.port), "-l", target.user,
         "--", target.address, TRACKING_COMMAND],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30, check=False,
    )
    if done.returncode == 255:
        raise InfrastructureError(f"ssh to {target.name} at {target.address}: {done.stderr.strip()}")
    if done.returncode != 0:
        return None
    try:
        return parse_tracking(done.stdout)
    except ValueError:
        return None


def wait_synchronised(
    target: HostTarget, known_hosts: Path, servers: Sequence[str], wait_s: float = SYNC_WAIT_S
) -> Tracking:
    """Poll the server's tracking until it is synchronised to one of `servers`; InfrastructureError after
    `wait_s`, naming what chrony reported last."""
    last: list[Tracking | None] = [None]

    def once() -> bool:
        last[0] = read_tracking(target, known_hosts)
        return last[0] is not None and last[0].synchronised_to(servers)

    polls = Retrying(retry=retry_if_result(lambda ok: not ok), stop=stop_after_delay(wait_s),
                     wait=wait_exponential(multiplier=0.25, max=2.0), retry_error_callback=lambda _s: False)
    if polls(once) and last[0] is not None:
        return last[0]
    seen = last[0]
    detail = ("chronyc did not answer" if seen is None else
              f"reference {seen.reference or 'none'}, stratum {seen.stratum}, {seen.leap_status}")
    raise InfrastructureError(
        f"the server's chrony is not synchronised to the site's NTP server ({', '.join(servers)}) after "
        f"{wait_s:.0f} s: {detail}"
    )
