"""PID 1 of a lab server: runs sshd and the agency's application, restarts them if they die, reaps orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

SERVICES = {
    "sshd": ["/usr/sbin/sshd", "-D", "-e"],
    "app": ["/usr/bin/python3", "/usr/local/lib/colo-lab/app.py"],
}


class StopRequestedError(Exception):
    """Raised by the SIGTERM handler to leave the wait loop."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequestedError


def main() -> int:
    """Supervise SERVICES until SIGTERM, then end every process of the server."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    children: dict[int, str] = {}
    started: dict[str, float] = {}
    try:
        while True:
            for name, argv in SERVICES.items():
                if name not in children.values():
                    if time.monotonic() - started.get(name, -10.0) < 2.0:
                        time.sleep(1.0)
                    started[name] = time.monotonic()
                    children[subprocess.Popen(argv).pid] = name
            pid, _status = os.wait()
            name = children.pop(pid, "")
            if name:
                print(f"colo-lab-init: {name} exited", file=sys.stderr, flush=True)
    except StopRequestedError:
        pass
    os.kill(-1, signal.SIGTERM)
    return 0


if __name__ == "__main__":
    sys.exit(main())
