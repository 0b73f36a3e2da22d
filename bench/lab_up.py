"""Times `colo lab` (root, image cached): down, cold up, warm up (no change), up with 8 servers, status.

Run: sudo PYTHONPATH=. python3 bench/lab_up.py   (ends with the lab up with 3 servers)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from provisioner.lab.api import Lab


def timed(label: str, action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"{label:<28}{elapsed:7.2f} s")
    return elapsed


def main() -> None:
    lab = Lab()
    timed("down", lab.down)
    cold = timed("up, cold (3 servers)", lambda: lab.up(3))
    warm = timed("up, warm (no change)", lambda: lab.up(3))
    timed("status", lab.status)
    timed("up, 3 -> 8 servers", lambda: lab.up(8))
    timed("down (8 servers)", lab.down)
    timed("up, cold (8 servers)", lambda: lab.up(8))
    timed("up, 8 -> 3 servers", lambda: lab.up(3))
    print(f"cold/warm ratio              {cold / warm:7.1f}")


if __name__ == "__main__":
    main()
