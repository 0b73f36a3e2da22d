"""The DNS stage's work against the lab's BIND 9 in the NOC: for one application subdomain and its PTR, the
plan (a lookup per name), then the signed RFC 2136 update and its read-back, as the stage does; then the
same on a rerun (nothing to send) and the removal at decommission. Target: the stage < 0.3 s.

Run (the lab up, under its lock):
``flock /tmp/colo-lab.lock env PYTHONPATH=. python3 bench/dns_stage.py [-n 10]``
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from provisioner.dns import DnsRecord, open_backend, server_records
from provisioner.facility import load_facility
from provisioner.lab.api import Lab

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.3


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="repetitions (default 10)")
    args = parser.parse_args()
    # (named dns_stage.py: a bench/dns.py would hide dnspython's `dns` package from the script)
    lab = Lab()
    if not lab.credentials_path.exists():
        print("the lab is not up: run `colo lab up` first", file=sys.stderr)
        return 2
    os.environ.update(lab.credentials_env())
    facility = load_facility(ROOT / "inventories" / "lab")
    backend = open_backend(facility)
    first: list[float] = []
    rerun: list[float] = []
    removal: list[float] = []
    for _ in range(args.n):
        address = ipaddress.IPv4Address(f"10.231.{secrets.randbelow(120) + 1}.{secrets.randbelow(200) + 20}")
        records = server_records(facility.dns, address, [f"bench{secrets.token_hex(4)}"])
        def stage(records: tuple[DnsRecord, ...] = records) -> None:
            plan = backend.plan(records)
            backend.ensure(records, ours=plan.add)

        first.append(timed(stage))
        rerun.append(timed(stage))
        def remove(records: tuple[DnsRecord, ...] = records) -> None:
            backend.remove(records)

        removal.append(timed(remove))
    for label, values in (("stage, records added", first), ("stage, rerun (nothing sent)", rerun),
                          ("decommission removal", removal)):
        median = statistics.median(values)
        print(f"{label:30s} median {median * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms  "
              f"ratio to target {median / TARGET_S:.2f}")
    print(f"target {TARGET_S * 1000:.0f} ms; {args.n} runs, {len(records)} records each (A and PTR)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
