"""Helpers for the allocator's integration tests: requests, worker processes, the invariants of a register."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from provisioner.allocate import allocate, usage_snapshot
from provisioner.errors import NoCapacity
from provisioner.facility import Facility, parse_facility
from provisioner.register.db import Register, open_register
from provisioner.steps.submit import submit_request
from provisioner.workflow import Step, complete_step, get_request

ROOT = Path(__file__).resolve().parents[2]
FACILITIES = ROOT / "tests" / "data" / "facilities"
REQUEST = yaml.safe_load((ROOT / "examples" / "request-simpeg.yaml").read_text())


def facility(name: str, site: str | None = None) -> Facility:
    """A fixture facility, optionally under another site code (one register, many independent sites)."""
    data = yaml.safe_load((FACILITIES / f"{name}.yml").read_text())
    if site:
        data["site"]["code"] = site
    return parse_facility(data)


def submit(register: Register, agency: str, units: int = 1, watts: int = 450, mbps: int = 50) -> str:
    """Record a request (step 1) and its disposition (step 2); returns its id."""
    doc: dict[str, Any] = copy.deepcopy(REQUEST)
    doc["letter"]["date"] = str(doc["letter"]["date"])
    doc["agency"]["code"] = agency
    doc["server"].update(rack_units=units, power_watts=watts)
    doc["network"]["bandwidth_mbps"] = mbps
    request_id = submit_request(register, doc, yaml.safe_dump(doc), actor="test")
    with register.session() as session:
        complete_step(session, get_request(session, request_id), Step.DISPOSE, "Asep", {"to": "Dedi"})
    return request_id


def worker(url: str, worker_id: int, count: int) -> list[tuple[str, str]]:
    """Submit and allocate `count` requests; returns (request id, "ok" | "no capacity") for each."""
    register = open_register(url)
    site = facility("contended")
    outcomes = []
    for n in range(count):
        agency = f"opd-{(worker_id * 7 + n) % 12:02d}"
        request_id = submit(register, agency, units=1 + n % 2, watts=150 + 50 * (n % 5), mbps=10 + n % 20)
        try:
            allocate(register, site, request_id)
            outcomes.append((request_id, "ok"))
        except NoCapacity:
            outcomes.append((request_id, "no capacity"))
    register.close()
    return outcomes


def assert_within_capacity(register: Register, site: Facility) -> None:
    """No resource is booked twice and no capacity is exceeded, from the register's own rows."""
    with register.session() as session:
        usage = usage_snapshot(session, site.site.code)
    claims = usage.claims
    units = [(c.rack, u) for c in claims for u in c.units]
    assert len(units) == len(set(units)), "a rack unit is booked twice"
    ports = [(c.switch, c.port) for c in claims]
    assert len(ports) == len(set(ports)), "a switch port is booked twice"
    addresses = [c.address for c in claims]
    assert len(addresses) == len(set(addresses)), "an address is booked twice"
    vlans = [n.vlan for n in usage.networks]
    subnets = [n.subnet for n in usage.networks]
    assert len(vlans) == len(set(vlans)) and len(subnets) == len(set(subnets))
    assert all(v in site.vlans.ids for v in vlans)
    networks = {n.agency: n for n in usage.networks}
    assert set(networks) == {c.agency for c in claims}, "an agency network without a claim, or the reverse"
    for c in claims:
        rack = site.rack(c.rack)
        assert c.units == tuple(range(c.units[0], c.units[0] + len(c.units))), "units not contiguous"
        assert set(c.units) <= rack.free_units, "a reserved or missing unit is booked"
        assert c.port in site.switch(c.switch).ports and site.switch(c.switch).rack == c.rack
        subnet = networks[c.agency].subnet
        assert int(c.address) in site.addressing.server_hosts(subnet), "address outside the host range"
    rack_watts: Counter[str] = Counter()
    ups_watts: Counter[str] = Counter()
    mbps: Counter[str] = Counter()
    for c in claims:
        rack_watts[c.rack] += c.watts
        ups_watts[c.ups] += c.watts
        mbps[c.uplink] += c.mbps
    for rack in site.racks:
        assert rack_watts[rack.name] <= rack.power_budget_w
    for ups in site.power.ups:
        assert ups.base_load_w + ups_watts[ups.name] <= site.power.ups_limit_w(ups)
    for genset in site.power.gensets:
        assert genset.base_load_w + sum(c.watts for c in claims) <= site.power.genset_limit_w(genset)
    for uplink in site.uplinks:
        assert uplink.committed_mbps + mbps[uplink.name] <= uplink.capacity_mbps
