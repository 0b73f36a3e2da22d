"""Load: eight `colo provision` processes at once, for the eight lab servers of eight agencies, on one
register, half in R01 on sw-lab-01 (Cisco IOS, layer 3) and half in R02 behind sw-lab-02 (RouterOS, with its
trunk to sw-lab-01 in every path). All succeed, no port, address, VLAN, subnet or rack unit is given twice,
each access switch ends holding its servers' ports, the core every gateway, and every server answers from the
NOC (the per-switch locks let one configuration session in at a time, and they were taken).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from reliability_lab import (
    approved,
    back_to_staging,
    claims,
    clean_up,
    colo,
    own_site,
    placement_of,
    port_config,
)
from reliability_support import Figures

from provisioner.register.db import open_register
from tests.integration.conftest import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.soak]

HOSTS = [f"lab-srv{n}" for n in range(1, 9)]
RACKS = ("R02", "R01")
"""By the host's number: even in R01, odd in R02."""
R02_SWITCH = "sw-lab-02"
YEAR = 2031


def _watch_locks(url: str, stop: threading.Event, seen: list[tuple[str, str]]) -> None:
    """Sample the switch lock table until `stop`: (switch, holder) of every row seen."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        while not stop.is_set():
            with engine.connect() as conn:
                rows = conn.execute(sqlalchemy.text("SELECT switch, holder FROM switch_locks"))
                seen += [(str(r[0]), str(r[1])) for r in rows]
            time.sleep(0.05)
    finally:
        engine.dispose()


def test_eight_at_once(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    if lab.lab.host_count() < len(HOSTS):
        lab.lab.up(len(HOSTS))
    site = own_site(tmp_path, uplinks__0__capacity_mbps=2000)  # the lab's uplink carries six servers
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    ids: dict[str, str] = {}
    stop, seen = threading.Event(), list[tuple[str, str]]()
    watcher = threading.Thread(target=_watch_locks, args=(url, stop, seen), daemon=True)
    figures.case(len(HOSTS))
    try:
        for n, host in enumerate(HOSTS, 1):
            back_to_staging(lab.lab, host)  # as delivered: earlier tests may have left it provisioned
            ids[host] = approved(register, lab.lab, site, host, f"load{n}", YEAR, rack=RACKS[n % 2])
        watcher.start()
        with ThreadPoolExecutor(len(HOSTS)) as pool:
            runs = dict(zip(HOSTS, pool.map(
                lambda h: colo(["provision", ids[h], "--yes", "--json"], url, site, lab.lab, timeout=1500),
                HOSTS), strict=True))
        stop.set()
        watcher.join()
        failed = {h: r.err[-1500:] for h, r in runs.items() if r.code != 0}
        assert failed == {}
        held = claims(register)
        rows = held["capacity_claims"]
        assert len(rows) == len(HOSTS)
        columns = ("port", "address")
        for name in columns:
            index = _column(url, "capacity_claims", name)
            values = Counter(row[index] for row in rows)
            duplicates = [v for v, n in values.items() if n > 1]
            for value in duplicates:
                figures.leak(f"{name} {value} allocated twice")
            assert duplicates == []
        networks = held["agency_networks"]
        assert len({r[_column(url, 'agency_networks', 'vlan')] for r in networks}) == len(HOSTS)
        assert len({r[_column(url, 'agency_networks', 'subnet')] for r in networks}) == len(HOSTS)
        assert len(held["claimed_units"]) == len(set(held["claimed_units"]))
        assert seen, "no switch lock was ever seen taken"
        access = lab.lab.switch_config(R02_SWITCH)
        fabric = lab.lab.fabric.snapshot()
        for host, request_id in ids.items():
            placement = placement_of(register, request_id)
            if placement["switch"] == R02_SWITCH:
                assert fabric.switch(R02_SWITCH).port(placement["port"]).vlan == placement["vlan"], host
                assert "comment=load" in access and request_id in access, (host, access)
            else:
                config = port_config(register, site, placement["port"])
                assert f"switchport access vlan {placement['vlan']}" in config
                assert request_id in config, (host, config)
            gateway = str(next(ipaddress.ip_network(placement["subnet"]).hosts()))  # the first host
            assert gateway in port_config(register, site, f"Vlan{placement['vlan']}")
            assert lab.lab.reachable_from_noc(str(placement["address"]), 443), host
        assert Counter(placement_of(register, r)["switch"] for r in ids.values()) == {
            "sw-lab-01": 4, R02_SWITCH: 4}
        figures.fault(len(HOSTS))
    finally:
        stop.set()
        for host, request_id in ids.items():
            clean_up(register, site, request_id, lab.lab, host)


def _column(url: str, table: str, name: str) -> int:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        return [c["name"] for c in sqlalchemy.inspect(engine).get_columns(table)].index(name)
    finally:
        engine.dispose()
