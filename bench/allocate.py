"""Allocator and capacity-check speed: `python3 bench/allocate.py [--pg URL]`.

Prints allocations per second (one process, then 8 processes on one register) and the time of one capacity
check on a facility of 50 racks holding 5,000 placed servers (target: under 100 ms), both the pure
computation and with the register query that feeds it. SQLite file by default; --pg adds a PostgreSQL
database URL (an empty database the user may write).
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration")]

from allocate_support import facility, submit  # noqa: E402

from provisioner.allocate import allocate, usage_snapshot  # noqa: E402
from provisioner.capacity import ALLOCATED, AgencyNetwork, Claim, Demand, Usage, check_capacity  # noqa: E402
from provisioner.facility import Facility, parse_facility  # noqa: E402
from provisioner.register.capacity_models import (  # noqa: E402
    AgencyNetworkRecord,
    ClaimRecord,
    UnitClaimRecord,
)
from provisioner.register.db import Register, open_register  # noqa: E402
from provisioner.register.models import RequestRecord  # noqa: E402

RACKS, SERVERS, AGENCIES = 50, 5000, 100


def _allocate_many(url: str, worker: int, count: int, barrier: Any = None) -> tuple[float, float]:
    """Submit `count` requests, wait for the other workers, allocate them all; returns (start, end) times."""
    register = open_register(url)
    site = facility("contended", site=f"bench-{worker}")  # a site per process: room for every allocation
    ids = [submit(register, f"opd-{n % 9}", watts=50, mbps=1) for n in range(count)]
    if barrier is not None:
        barrier.wait()
    start = time.time()
    for rid in ids:
        allocate(register, site, rid)
    register.close()
    return start, time.time()


def allocation_rates(url: str) -> None:
    start, end = _allocate_many(url, 0, 40)
    print(
        f"  sequential:   {40 / (end - start):7.1f} allocations/s ({(end - start) * 1000 / 40:.1f} ms each)"
    )
    context = get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(8, mp_context=context) as pool:
        barrier = manager.Barrier(8)
        spans = list(pool.map(_allocate_many, [url] * 8, range(1, 9), [20] * 8, [barrier] * 8))
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    print(f"  8 processes:  {160 / wall:7.1f} allocations/s together ({wall:.2f} s for 160)")


def big_facility() -> Facility:
    per_rack = SERVERS // RACKS
    return parse_facility(
        {
            "site": {"code": "dc-big", "name": "Bench DC", "domain": "bench.go.id"},
            "power": {
                "max_load_ratio": 0.8,
                "ups": [
                    {"name": f"UPS-{u}", "capacity_va": 100000, "power_factor": 0.9, "base_load_w": 0}
                    for u in range(10)
                ],
                "gensets": [{"name": "GEN-1", "capacity_kva": 1000, "power_factor": 0.8, "base_load_w": 0}],
            },
            "racks": [
                {"name": f"R{r:02d}", "height_u": per_rack, "power_budget_w": 12000, "ups": f"UPS-{r % 10}"}
                for r in range(RACKS)
            ],
            "uplinks": [{"name": "ISP-A", "capacity_mbps": 10000, "committed_mbps": 0}],
            "switches": [
                {
                    "name": f"sw-{r:02d}",
                    "platform": "cisco_ios",
                    "host": "127.0.0.1",
                    "port": 2201 + r,
                    "credentials": "sw",
                    "rack": f"R{r:02d}",
                    "server_ports": [f"GigabitEthernet1/0/1-{per_rack}"],
                    "layer3": True,
                }
                for r in range(RACKS)
            ],
            "vlans": {"range": [100, 399], "name_prefix": "OPD-", "staging": 999},
            "addressing": {"supernet": "10.232.0.0/16", "agency_prefix_len": 26, "reserved_hosts": 4},
            "dns": {"servers": ["10.231.253.2"]},
            "monitoring": {"kind": "prometheus", "url": "http://10.231.253.2:9090", "file_sd_dir": "/tmp/sd"},
        }
    )


def placed_usage(site: Facility) -> Usage:
    """5,000 servers: rack r holds servers r*100 .. r*100+99 (one per unit and port), 50 per agency."""
    per_rack, per_agency = SERVERS // RACKS, SERVERS // AGENCIES
    subnets = list(site.agency_subnets())[:AGENCIES]
    networks = [AgencyNetwork(f"opd-{a}", 100 + a, subnets[a]) for a in range(AGENCIES)]
    claims = []
    for n in range(SERVERS - 1):  # leave one unit free so the check passes and does its full work
        rack, unit, agency = divmod(n, per_rack)[0], n % per_rack + 1, n // per_agency
        host = site.addressing.server_hosts(subnets[agency])[n % per_agency]
        claims.append(
            Claim(
                f"REQ-2026-{n:05d}",
                f"opd-{agency}",
                ALLOCATED,
                f"R{rack:02d}",
                (unit,),
                f"UPS-{rack % 10}",
                "ISP-A",
                f"sw-{rack:02d}",
                f"GigabitEthernet1/0/{unit}",
                100,
                1,
                ipaddress.IPv4Address(host),
            )
        )
    return Usage(claims, networks)


def fill_register(register: Register, site: Facility, usage: Usage) -> None:
    with register.session() as session:
        session.add_all(
            RequestRecord(
                id=c.request_id,
                year=2026,
                seq=i + 1,
                agency_code=c.agency,
                hostname="h",
                letter_number="1",
                document={},
                source_text="",
            )
            for i, c in enumerate(usage.claims)
        )
        session.add_all(
            AgencyNetworkRecord(site=site.site.code, agency=n.agency, vlan=n.vlan, subnet=str(n.subnet))
            for n in usage.networks
        )
        session.flush()
        session.add_all(
            ClaimRecord(
                request_id=c.request_id,
                site=site.site.code,
                agency=c.agency,
                kind=c.kind,
                rack=c.rack,
                ups=c.ups,
                uplink=c.uplink,
                switch=c.switch,
                port=c.port,
                address=str(c.address),
                watts=c.watts,
                mbps=c.mbps,
            )
            for c in usage.claims
        )
        session.flush()
        session.add_all(
            UnitClaimRecord(site=site.site.code, rack=c.rack, unit=u, request_id=c.request_id)
            for c in usage.claims
            for u in c.units
        )


def timed(fn: object, repeat: int = 20) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def check_times(url: str) -> None:
    site, register = big_facility(), open_register(url)
    usage = placed_usage(site)
    fill_register(register, site, usage)
    demand = Demand("REQ-NEW", "opd-new", 1, 100, 1)
    report = check_capacity(site, demand, usage)
    assert report.ok and report.placement is not None and report.placement.rack == "R49", report.shortages
    pure = timed(lambda: check_capacity(site, demand, usage))

    def with_query() -> None:
        with register.session() as session:
            check_capacity(site, demand, usage_snapshot(session, site.site.code))

    full = timed(with_query)
    print(
        f"  capacity check, {RACKS} racks / {len(usage.claims)} servers: pure {pure:.1f} ms, "
        f"with the register query {full:.1f} ms (target < 100 ms: {'met' if full < 100 else 'MISSED'})"
    )
    register.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database, measured after SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite file", f"sqlite:///{tmp}/alloc.db", f"sqlite:///{tmp}/check.db")]
        if args.pg:
            targets.append(("PostgreSQL", args.pg, args.pg))
        for name, alloc_url, check_url in targets:
            print(name)
            allocation_rates(alloc_url)
            check_times(check_url)


if __name__ == "__main__":
    main()
