"""The allocator against a real register (SQLite file and PostgreSQL): holds, allocation, release, step 3."""

from __future__ import annotations

import ipaddress

import pytest
from allocate_support import REQUEST, assert_within_capacity, facility, submit
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from provisioner.allocate import allocate, find_allocation, release
from provisioner.errors import NoCapacity, OutOfOrder
from provisioner.register.capacity_models import AgencyNetworkRecord, ClaimRecord, UnitClaimRecord
from provisioner.register.db import Register, open_register
from provisioner.steps import capacity
from provisioner.steps.submit import submit_request
from provisioner.workflow import RequestState, cancel, get_request, state_of


@pytest.fixture
def register(register_url: str) -> Register:
    return open_register(register_url)


def test_step_three_holds_and_step_six_allocates_the_same(register: Register) -> None:
    site = facility("example")
    rid = submit(register, "disdik", units=2)
    result = capacity.run(register, site, rid, by="teknisi")
    assert result.outcome == "ok" and not result.repeated
    with register.session() as session:
        held = find_allocation(session, site, rid)
    assert held is not None and held.kind == "hold"
    allocation = allocate(register, site, rid)
    assert allocation.kind == "allocated"
    assert (allocation.rack, allocation.units, allocation.switch, allocation.switch_port) == (
        "R01", (3, 4), "sw-access-01", "GigabitEthernet1/0/1",
    )
    assert (allocation.vlan_id, allocation.vlan_name) == (100, "OPD-disdik")
    assert allocation.subnet == ipaddress.IPv4Network("10.20.0.0/27")
    assert str(allocation.gateway) == "10.20.0.1" and str(allocation.address) == "10.20.0.5"
    assert allocation.prefix_len == 27 and allocation.ups == "UPS-A"
    assert (held.rack, held.units, held.address) == (allocation.rack, allocation.units, allocation.address)
    assert allocate(register, site, rid) == allocation


def test_step_three_repeat_reports_the_earlier_result(register: Register) -> None:
    site = facility("example")
    rid = submit(register, "disdik")
    first = capacity.run(register, site, rid, by="teknisi")
    again = capacity.run(register, site, rid, by="someone else")
    assert again.repeated and again == first.model_copy(update={"repeated": True})
    with register.session() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRecord)) == 1


def test_step_three_before_disposition_is_out_of_order(register: Register) -> None:
    document = {**REQUEST, "letter": {**REQUEST["letter"], "date": "2026-11-20"}}
    rid = submit_request(register, document, "", actor="t")
    with pytest.raises(OutOfOrder, match="step 2"):
        capacity.run(register, facility("example"), rid, by="teknisi")


def test_insufficient_capacity_closes_the_request_as_rejected(register: Register) -> None:
    site = facility("example")
    rid = submit(register, "disdik", watts=3000, mbps=600)  # no uplink carries 600 Mbps
    result = capacity.run(register, site, rid, by="teknisi")
    assert result.outcome == "rejected" and not result.report.sufficient
    shortages = list(result.report.shortages)
    assert any(line.startswith("uplink ISP-A: needs 600 Mbps") for line in shortages)
    with register.session() as session:
        record = get_request(session, rid)
        assert state_of(record) == RequestState.CLOSED_REJECTED
        assert record.events[-1].details["reasons"] == shortages
        assert find_allocation(session, site, rid) is None


def test_a_hold_keeps_the_last_watts_from_a_second_request(register: Register) -> None:
    site = facility("contended")  # UPS-A: 7200 - 2500 = 4700 W; R01 budget 4000 W; R02/UPS-B: 4760 W
    first = submit(register, "opd-a", watts=3000)
    second = submit(register, "opd-b", watts=3000)
    third = submit(register, "opd-c", watts=3000)
    for rid, rack in ((first, "R01"), (second, "R02")):
        placement = capacity.run(register, site, rid, by="t").report.placement
        assert placement is not None and placement.rack == rack
    result = capacity.run(register, site, third, by="t")
    assert result.outcome == "rejected" and result.report.placement is None
    held = [line for line in result.report.resources if line.resource == "rack power"]
    assert [(x.subject, x.held, x.used) for x in held] == [("R01", 3000, 0), ("R02", 3000, 0)]


def test_agency_servers_share_one_vlan_and_subnet(register: Register) -> None:
    site = facility("example")
    one = allocate(register, site, submit(register, "disdik"))
    two = allocate(register, site, submit(register, "disdik"))
    other = allocate(register, site, submit(register, "dinkes"))
    assert (one.vlan_id, one.subnet) == (two.vlan_id, two.subnet)
    assert (str(one.address), str(two.address)) == ("10.20.0.5", "10.20.0.6")
    assert other.vlan_id == 101 and str(other.subnet) == "10.20.0.32/27"


def test_release_frees_everything_and_the_last_server_frees_the_network(register: Register) -> None:
    site = facility("example")
    first = submit(register, "disdik")
    second = submit(register, "disdik")
    a = allocate(register, site, first)
    b = allocate(register, site, second)
    assert release(register, site, first) and not release(register, site, first)
    assert allocate(register, site, submit(register, "dinkes")).vlan_id == 101  # disdik still has 100
    assert release(register, site, second)
    with register.session() as session:
        assert session.scalar(select(func.count()).select_from(AgencyNetworkRecord)) == 1  # dinkes only
    again = allocate(register, site, submit(register, "disdik"))  # unit 3 went to dinkes; 4 is free again
    assert (again.vlan_id, again.subnet, again.address) == (100, a.subnet, a.address)
    assert (again.units, again.switch_port) == (b.units, b.switch_port)
    assert_within_capacity(register, site)


def test_cancelled_request_gives_its_hold_back(register: Register) -> None:
    site = facility("contended")
    rid = submit(register, "opd-a", watts=3000)
    assert capacity.run(register, site, rid, by="t").outcome == "ok"
    with register.session() as session:
        cancel(session, get_request(session, rid), "kepala bidang", "agency withdrew the request")
    other = allocate(register, site, submit(register, "opd-b", watts=3000))  # else R02
    assert other.rack == "R01" and other.units == (1,)
    with register.session() as session:
        assert session.get(ClaimRecord, rid) is None


def test_no_capacity_names_what_was_short(register: Register) -> None:
    site = facility("example")
    rid = submit(register, "disdik", mbps=300)  # ISP-A has 280 free, ISP-B 260
    with pytest.raises(NoCapacity) as caught:
        allocate(register, site, rid)
    assert caught.value.exit_code == 3
    assert caught.value.problems == [
        "uplink ISP-A: needs 300 Mbps, 280 available (used includes 220 Mbps committed before)",
        "uplink ISP-B: needs 300 Mbps, 260 available (used includes 40 Mbps committed before)",
    ]


def test_the_schema_refuses_a_double_booked_unit(register: Register) -> None:
    site = facility("example")
    allocation = allocate(register, site, submit(register, "disdik"))
    other = allocate(register, site, submit(register, "dinkes"))
    with pytest.raises(IntegrityError), register.session() as session:
        session.add(UnitClaimRecord(site=site.site.code, rack=allocation.rack, unit=allocation.units[0],
                                    request_id=other.request_id))
        session.flush()
    with pytest.raises(IntegrityError), register.session() as session:
        claim = session.get_one(ClaimRecord, other.request_id)
        claim.address = str(allocation.address)
        session.flush()
