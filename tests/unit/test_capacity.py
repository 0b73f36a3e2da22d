"""The capacity check as a pure function: each resource, its boundary to the watt, holds counted as taken."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from provisioner.capacity import (
    ALLOCATED,
    HOLD,
    AgencyNetwork,
    CapacityReport,
    Claim,
    ClaimKind,
    Demand,
    Usage,
    check_capacity,
)
from provisioner.facility import Facility, parse_facility


def facility_data() -> dict[str, Any]:
    """One rack, one UPS (7200 W usable, 2500 W base), one genset (25600 W usable), one uplink, 4 ports."""
    return {
        "site": {"code": "dc-test", "name": "Test DC", "domain": "test.go.id"},
        "power": {
            "max_load_ratio": 0.8,
            "ups": [{"name": "UPS-A", "capacity_va": 10000, "power_factor": 0.9, "base_load_w": 2500}],
            "gensets": [{"name": "GEN-1", "capacity_kva": 40, "power_factor": 0.8, "base_load_w": 6000}],
        },
        "racks": [
            {"name": "R01", "height_u": 10, "power_budget_w": 4000, "ups": "UPS-A", "reserved_u": [10]}
        ],
        "uplinks": [{"name": "ISP-A", "capacity_mbps": 500, "committed_mbps": 200}],
        "switches": [
            {"name": "sw1", "platform": "cisco_ios", "host": "127.0.0.1", "credentials": "sw", "rack": "R01",
             "server_ports": ["GigabitEthernet1/0/1-4"], "layer3": True}
        ],
        "vlans": {"range": [100, 102], "name_prefix": "OPD-", "staging": 999},
        "addressing": {"supernet": "10.231.0.0/26", "agency_prefix_len": 28, "reserved_hosts": 4},
        "dns": {"servers": ["10.231.253.2"]},
        "ntp": ["10.231.253.2"],
        "monitoring": {"kind": "prometheus", "url": "http://10.231.253.2:9090", "file_sd_dir": "/tmp/sd"},
    }


def facility(**changes: Any) -> Facility:
    data = facility_data()
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return parse_facility(data)


def demand(units: int = 1, watts: int = 100, mbps: int = 10, agency: str = "disdik") -> Demand:
    return Demand("REQ-X", agency, units, watts, mbps)


_counter = iter(range(1, 10_000))


def claim(
    units: tuple[int, ...] = (),
    watts: int = 0,
    mbps: int = 0,
    kind: ClaimKind = ALLOCATED,
    agency: str = "other",
    port: str | None = None,
    address: str | None = None,
    rack: str = "R01",
) -> Claim:
    n = next(_counter)
    return Claim(
        f"REQ-{n}", agency, kind, rack, units, "UPS-A", "ISP-A", "sw1", port or f"unlisted{n}", watts, mbps,
        ipaddress.IPv4Address(address or f"192.0.2.{n % 250}"),
    )


def line(report: CapacityReport, resource: str) -> tuple[int, int, int, int, int, bool]:
    [found] = [x for x in report.resources if x.resource == resource]
    return found.capacity, found.used, found.held, found.request, found.headroom, found.ok


def test_empty_facility_places_the_request_at_the_bottom() -> None:
    report = check_capacity(facility(), demand(units=2), Usage())
    assert report.sufficient and report.shortages == []
    p = report.placement
    assert p is not None
    assert (p.rack, p.units, p.switch, p.port) == ("R01", (1, 2), "sw1", "GigabitEthernet1/0/1")
    assert (p.uplink, p.vlan, str(p.subnet), str(p.address)) == ("ISP-A", 100, "10.231.0.0/28", "10.231.0.5")
    assert p.new_network


def test_every_resource_is_reported() -> None:
    report = check_capacity(facility(), demand(), Usage())
    names = [x.resource for x in report.resources]
    assert names == [
        "rack space", "rack power", "UPS", "switch port", "genset", "uplink", "VLAN", "subnet", "address",
    ]


# --- rack space -----------------------------------------------------------------------------------


def test_units_must_be_contiguous() -> None:
    usage = Usage([claim(units=(2,)), claim(units=(4,)), claim(units=(6,)), claim(units=(8,))])
    report = check_capacity(facility(), demand(units=2), usage)  # free: 1,3,5,7,9 (10 reserved)
    assert not report.sufficient
    assert line(report, "rack space") == (9, 4, 0, 2, -1, False)
    assert "longest free contiguous run 1 U" in report.shortages[0]


def test_reserved_units_are_never_used() -> None:
    usage = Usage([claim(units=tuple(range(1, 9)))])  # 9 free, 10 reserved
    assert check_capacity(facility(), demand(units=1), usage).placement.units == (9,)  # type: ignore[union-attr]
    assert not check_capacity(facility(), demand(units=2), usage).sufficient


def test_lowest_free_run_is_chosen() -> None:
    usage = Usage([claim(units=(1, 2)), claim(units=(5,))])
    assert check_capacity(facility(), demand(units=2), usage).placement.units == (3, 4)  # type: ignore[union-attr]
    assert check_capacity(facility(), demand(units=3), usage).placement.units == (6, 7, 8)  # type: ignore[union-attr]


def test_held_units_count_as_taken() -> None:
    usage = Usage([claim(units=tuple(range(1, 9)), kind=HOLD)])
    report = check_capacity(facility(), demand(units=2), usage)
    assert line(report, "rack space") == (9, 0, 8, 2, -1, False)


def test_next_rack_when_the_first_is_full() -> None:
    data = facility_data()
    data["racks"].append({"name": "R02", "height_u": 10, "power_budget_w": 4000, "ups": "UPS-A"})
    data["switches"].append({**data["switches"][0], "name": "sw2", "rack": "R02", "port": 2202})
    usage = Usage([claim(units=tuple(range(1, 10)))])
    report = check_capacity(parse_facility(data), demand(), usage)
    assert report.placement is not None and report.placement.rack == "R02"
    assert report.placement.switch == "sw2"
    assert [x.subject for x in report.resources if x.resource == "rack space"] == ["R02"]


def test_every_rack_is_shown_when_none_fits() -> None:
    data = facility_data()
    data["racks"].append({"name": "R02", "height_u": 10, "power_budget_w": 4000, "ups": "UPS-A"})
    report = check_capacity(parse_facility(data), demand(units=9, watts=4001), Usage())
    assert [x.subject for x in report.resources if x.resource == "rack power"] == ["R01", "R02"]
    assert not report.sufficient


# --- power: rack budget, UPS, genset, each to the watt --------------------------------------------


@pytest.mark.parametrize(("watts", "fits"), [(450, True), (451, False)])
def test_rack_power_budget_to_the_watt(watts: int, fits: bool) -> None:
    usage = Usage([claim(watts=3000), claim(watts=550, kind=HOLD)])  # budget 4000: 450 left
    report = check_capacity(facility(**{"power__ups__0__capacity_va": 100000}), demand(watts=watts), usage)
    assert report.sufficient is fits
    assert line(report, "rack power") == (4000, 3000, 550, watts, 450 - watts, fits)


@pytest.mark.parametrize(("watts", "fits"), [(4700, True), (4701, False)])
def test_ups_headroom_to_the_watt(watts: int, fits: bool) -> None:
    # 10000 VA x 0.9 x 0.8 = 7200 W usable, 2500 W base load: 4700 W for servers.
    f = facility(**{"racks__0__power_budget_w": 100000})
    report = check_capacity(f, demand(watts=watts), Usage())
    assert report.sufficient is fits
    assert line(report, "UPS") == (7200, 2500, 0, watts, 4700 - watts, fits)


def test_ups_counts_placed_and_held_servers() -> None:
    f = facility(**{"racks__0__power_budget_w": 100000})
    usage = Usage([claim(watts=1000), claim(watts=700, kind=HOLD)])
    assert line(check_capacity(f, demand(watts=3000), usage), "UPS") == (7200, 3500, 700, 3000, 0, True)
    assert not check_capacity(f, demand(watts=3001), usage).sufficient


@pytest.mark.parametrize(("watts", "fits"), [(19600, True), (19601, False)])
def test_genset_headroom_to_the_watt(watts: int, fits: bool) -> None:
    # 40 kVA x 1000 x 0.8 x 0.8 = 25600 W usable, 6000 W base load: 19600 W for servers.
    f = facility(**{"racks__0__power_budget_w": 100000, "power__ups__0__capacity_va": 1000000})
    report = check_capacity(f, demand(watts=watts), Usage())
    assert report.sufficient is fits
    assert line(report, "genset") == (25600, 6000, 0, watts, 19600 - watts, fits)
    assert ("genset GEN-1: needs 19601 W, 19600 available" in " ".join(report.shortages)) is not fits


def test_genset_carries_servers_of_every_rack() -> None:
    f = facility(**{"racks__0__power_budget_w": 100000, "power__ups__0__capacity_va": 1000000})
    usage = Usage([claim(watts=10000, rack="R77"), claim(watts=9000, kind=HOLD, rack="R78")])
    assert line(check_capacity(f, demand(watts=600), usage), "genset")[4] == 0
    assert not check_capacity(f, demand(watts=601), usage).sufficient


def test_limits_round_down_to_whole_watts() -> None:
    f = facility(**{"power__ups__0__capacity_va": 1001, "power__ups__0__base_load_w": 0})
    assert line(check_capacity(f, demand(watts=1), Usage()), "UPS")[0] == 720  # 720.72 W


# --- bandwidth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mbps", "fits"), [(250, True), (251, False)])
def test_uplink_to_the_megabit(mbps: int, fits: bool) -> None:
    usage = Usage([claim(mbps=40), claim(mbps=10, kind=HOLD)])  # 500 - 200 committed - 50 = 250
    report = check_capacity(facility(), demand(mbps=mbps), usage)
    assert report.sufficient is fits
    assert line(report, "uplink") == (500, 240, 10, mbps, 250 - mbps, fits)


def test_uplink_with_most_headroom_is_chosen() -> None:
    data = facility_data()
    data["uplinks"].append({"name": "ISP-B", "capacity_mbps": 400, "committed_mbps": 0})
    report = check_capacity(parse_facility(data), demand(mbps=10), Usage())
    assert report.placement is not None and report.placement.uplink == "ISP-B"
    report = check_capacity(parse_facility(data), demand(mbps=401), Usage())
    assert not report.sufficient
    assert [x.subject for x in report.resources if x.resource == "uplink"] == ["ISP-B", "ISP-A"]


# --- switch port ----------------------------------------------------------------------------------


def test_first_free_port_and_none_left() -> None:
    taken = [claim(port=f"GigabitEthernet1/0/{n}") for n in (1, 2, 4)]
    report = check_capacity(facility(), demand(), Usage(taken))
    assert report.placement is not None and report.placement.port == "GigabitEthernet1/0/3"
    full = Usage([*taken, claim(port="GigabitEthernet1/0/3", kind=HOLD)])
    report = check_capacity(facility(), demand(), full)
    assert line(report, "switch port") == (4, 3, 1, 1, -1, False)


def test_rack_without_a_switch_has_no_port() -> None:
    data = facility_data()
    data["racks"].append({"name": "R02", "height_u": 10, "power_budget_w": 4000, "ups": "UPS-A"})
    data["switches"][0]["rack"] = "R02"
    usage = Usage([claim(units=tuple(range(1, 11)), rack="R02")])
    report = check_capacity(parse_facility(data), demand(), usage)
    assert not report.sufficient
    assert report.shortages[0] == "switch port R01: needs 1 port, 0 available (no switch in this rack)"


# --- VLAN, subnet, address ------------------------------------------------------------------------


def test_agency_with_a_network_reuses_it() -> None:
    net = AgencyNetwork("disdik", 101, ipaddress.IPv4Network("10.231.0.16/28"))
    usage = Usage([claim(agency="disdik", address="10.231.0.21")], [net])
    report = check_capacity(facility(), demand(agency="disdik"), usage)
    p = report.placement
    assert p is not None and (p.vlan, str(p.subnet), p.new_network) == (101, "10.231.0.16/28", False)
    assert str(p.address) == "10.231.0.22"
    assert line(report, "VLAN") == (3, 1, 0, 0, 2, True)


def test_new_agency_gets_the_lowest_free_vlan_and_subnet() -> None:
    nets = [AgencyNetwork("a", 100, ipaddress.IPv4Network("10.231.0.16/28"))]
    report = check_capacity(facility(), demand(agency="new"), Usage([claim(agency="a")], nets))
    p = report.placement
    assert p is not None and (p.vlan, str(p.subnet), str(p.address)) == (101, "10.231.0.0/28", "10.231.0.5")


def test_vlans_exhausted() -> None:
    nets = [AgencyNetwork(f"a{i}", 100 + i, ipaddress.IPv4Network(f"10.231.0.{16 * i}/28")) for i in range(3)]
    claims = [claim(agency=f"a{i}", kind=HOLD if i else ALLOCATED) for i in range(3)]
    report = check_capacity(facility(), demand(agency="new"), Usage(claims, nets))
    assert line(report, "VLAN") == (3, 1, 2, 1, -1, False)
    assert not report.sufficient


def test_subnets_exhausted() -> None:
    f = facility(**{"vlans__range": [100, 199]})
    nets = [AgencyNetwork(f"a{i}", 100 + i, ipaddress.IPv4Network(f"10.231.0.{16 * i}/28")) for i in range(4)]
    report = check_capacity(f, demand(agency="new"), Usage([claim(agency=f"a{i}") for i in range(4)], nets))
    assert line(report, "subnet") == (4, 4, 0, 1, -1, False)
    assert "10.231.0.0/26 exhausted" in " ".join(report.shortages)


def test_addresses_exhausted_in_the_agency_subnet() -> None:
    # /28 with 4 reserved hosts: .5 to .14 (10 addresses) for servers.
    net = AgencyNetwork("disdik", 100, ipaddress.IPv4Network("10.231.0.0/28"))
    claims = [claim(agency="disdik", address=f"10.231.0.{h}", kind=HOLD if h % 2 else ALLOCATED)
              for h in range(5, 15)]
    report = check_capacity(facility(**{"switches__0__server_ports": ["GigabitEthernet1/0/1-40"],
                                        "racks__0__height_u": 42}),
                            demand(agency="disdik"), Usage(claims, [net]))
    assert line(report, "address") == (10, 5, 5, 1, -1, False)
    assert not report.sufficient


def test_report_as_plain_data() -> None:
    data = check_capacity(facility(), demand(watts=4701), Usage()).model_dump(mode="json")
    assert data["sufficient"] is False and data["placement"] is None
    resources = data["resources"]
    assert isinstance(resources, list)
    columns = {"resource", "subject", "capacity", "used", "held", "request", "headroom", "ok"}
    assert columns <= set(resources[0])
    assert data["shortages"] == [
        "rack power R01: needs 4701 W, 4000 available (rack power budget)",
        "UPS UPS-A: needs 4701 W, 4700 available (10000 VA x 0.9 x 0.8; used includes base load 2500 W)",
    ]
