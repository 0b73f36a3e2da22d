"""The facility model: validation naming the field, and port ranges per platform."""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.errors import BadInput
from provisioner.facility import expand_ports, load_facility, parse_facility

DATA = Path(__file__).resolve().parent.parent / "data" / "facilities"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data() -> dict[str, Any]:
    loaded = yaml.safe_load((DATA / "example.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(BadInput) as caught:
        parse_facility(data)
    assert caught.value.exit_code == 2
    return caught.value.problems


def test_example_facility_loads(data: dict[str, Any]) -> None:
    facility = parse_facility(data)
    assert [r.name for r in facility.racks] == ["R01", "R02", "R03"]
    assert facility.switches[0].ports[0] == "GigabitEthernet1/0/1"
    assert len(facility.switches[0].ports) == 40
    assert facility.power.ups_limit_w(facility.power.ups[0]) == 7200  # 10000 VA x 0.9 x 0.8
    assert facility.power.genset_limit_w(facility.power.gensets[0]) == 25600  # 40 kVA x 1000 x 0.8 x 0.8


@pytest.mark.parametrize("site", ["example", "lab"])
def test_inventory_facilities_load(site: str) -> None:
    path = ROOT / "inventories" / site
    if not (path / "facility.yml").exists():
        pytest.skip(f"inventories/{site}/facility.yml not written yet")
    assert load_facility(path).site.code


def test_rack_naming_an_unknown_ups(data: dict[str, Any]) -> None:
    data["racks"][1]["ups"] = "UPS-C"
    assert problems_of(data) == ["racks[1].ups: 'UPS-C' is not a UPS in power.ups (UPS-A, UPS-B)"]


def test_switch_in_an_unknown_rack(data: dict[str, Any]) -> None:
    data["switches"][1]["rack"] = "R09"
    assert problems_of(data) == ["switches[1].rack: 'R09' is not a rack in racks"]


def test_vlan_range_containing_the_staging_vlan(data: dict[str, Any]) -> None:
    data["vlans"]["staging"] = 150
    assert problems_of(data) == ["vlans.staging: 150 lies inside vlans.range [100, 199]"]


def test_vlan_range_backwards(data: dict[str, Any]) -> None:
    data["vlans"]["range"] = [199, 100]
    assert problems_of(data) == ["vlans.range: [199, 100] must run upwards within 1..4094"]


def test_supernet_too_small_for_the_prefix(data: dict[str, Any]) -> None:
    data["addressing"] = {"supernet": "10.20.0.0/28", "agency_prefix_len": 27, "reserved_hosts": 4}
    assert problems_of(data) == ["addressing.supernet: 10.20.0.0/28 is too small for agency_prefix_len 27"]


def test_reserved_hosts_leaving_no_server_address(data: dict[str, Any]) -> None:
    data["addressing"]["agency_prefix_len"] = 29  # 6 hosts: gateway + 5 reserved leaves none
    data["addressing"]["reserved_hosts"] = 6
    assert problems_of(data) == ["addressing.reserved_hosts: 6 leaves no server address in a /29"]


def test_port_range_that_does_not_parse(data: dict[str, Any]) -> None:
    data["switches"][0]["server_ports"] = ["GigabitEthernet1/0/1-x"]
    [problem] = problems_of(data)
    assert problem.startswith("switches[0].server_ports: 'GigabitEthernet1/0/1-x' is not a cisco_ios port")


def test_port_range_running_backwards(data: dict[str, Any]) -> None:
    data["switches"][0]["server_ports"] = ["GigabitEthernet1/0/40-1"]
    [problem] = problems_of(data)
    assert problem.startswith("switches[0].server_ports: 'GigabitEthernet1/0/40-1': a range runs upwards")


def test_overlapping_port_ranges(data: dict[str, Any]) -> None:
    data["switches"][0]["server_ports"] = ["GigabitEthernet1/0/1-10", "GigabitEthernet1/0/10"]
    assert problems_of(data) == ["switches[0].server_ports: 'GigabitEthernet1/0/10' appears 2 times"]


def test_unknown_platform(data: dict[str, Any]) -> None:
    data["switches"][0]["platform"] = "cisco_xr"
    [problem] = problems_of(data)
    assert problem.startswith("switches[0].platform: 'cisco_xr' is not one of arista_eos")


@pytest.mark.parametrize(
    ("section", "field"),
    [("racks", "racks"), ("switches", "switches"), ("uplinks", "uplinks")],
)
def test_duplicate_names(data: dict[str, Any], section: str, field: str) -> None:
    data[section].append(copy.deepcopy(data[section][0]))
    if section == "switches":
        data[section][-1]["rack"] = "R02"
    name = data[section][0]["name"]
    assert problems_of(data) == [f"{field}: {name!r} appears 2 times"]


def test_duplicate_power_source_names(data: dict[str, Any]) -> None:
    data["power"]["gensets"][0]["name"] = "UPS-A"
    assert problems_of(data) == ["power: 'UPS-A' appears 2 times"]


def test_field_errors_name_the_path(data: dict[str, Any]) -> None:
    data["racks"][2]["height_u"] = "tall"
    data["power"]["ups"][0]["surprise"] = 1
    problems = problems_of(data)
    assert any(p.startswith("racks[2].height_u: ") for p in problems)
    assert any(p.startswith("power.ups[0].surprise: ") for p in problems)


def test_every_problem_is_reported_at_once(data: dict[str, Any]) -> None:
    data["racks"][0]["ups"] = "nope"
    data["vlans"]["staging"] = 100
    assert len(problems_of(data)) == 2


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        load_facility(tmp_path)


def test_gateway_and_first_server_address(data: dict[str, Any]) -> None:
    addressing = parse_facility(data).addressing
    subnet = ipaddress.IPv4Network("10.20.0.32/27")
    hosts = addressing.server_hosts(subnet)
    assert addressing.gateway(subnet) == ipaddress.IPv4Address("10.20.0.33")
    assert ipaddress.IPv4Address(hosts[0]) == ipaddress.IPv4Address("10.20.0.37")  # after 4 reserved hosts
    assert ipaddress.IPv4Address(hosts[-1]) == ipaddress.IPv4Address("10.20.0.62")  # before broadcast
    assert len(hosts) == 26


@pytest.mark.parametrize(
    ("platform", "spec", "first", "last", "count"),
    [
        ("cisco_ios", "GigabitEthernet1/0/1-40", "GigabitEthernet1/0/1", "GigabitEthernet1/0/40", 40),
        ("cisco_ios", "TenGigabitEthernet1/1/1-4", "TenGigabitEthernet1/1/1", "TenGigabitEthernet1/1/4", 4),
        ("arista_eos", "Ethernet1-48", "Ethernet1", "Ethernet48", 48),
        ("juniper_junos", "ge-0/0/0-47", "ge-0/0/0", "ge-0/0/47", 48),
        ("hp_procurve", "1-48", "1", "48", 48),
        ("aruba_os", "1-48", "1", "48", 48),
        ("mikrotik_routeros", "ether1-24", "ether1", "ether24", 24),
    ],
)
def test_port_ranges_per_platform(platform: str, spec: str, first: str, last: str, count: int) -> None:
    ports = expand_ports(platform, [spec])
    assert (ports[0], ports[-1], len(ports)) == (first, last, count)


@pytest.mark.parametrize(
    ("platform", "spec"),
    [
        ("cisco_ios", "GigabitEthernet1/0/7"),
        ("juniper_junos", "xe-0/1/2"),
        ("mikrotik_routeros", "sfp-sfpplus1"),
    ],
)
def test_single_ports_stay_single(platform: str, spec: str) -> None:
    assert expand_ports(platform, [spec]) == (spec,)


@pytest.mark.parametrize(
    ("platform", "spec"),
    [
        ("cisco_ios", "Ethernet1-x"),
        ("cisco_ios", "ge-0/0/0-47"),
        ("arista_eos", "GigabitEthernet1/0/1-4"),
        ("juniper_junos", "ge-0/0-47"),
        ("mikrotik_routeros", "1-24"),
        ("cisco_ios", "GigabitEthernet1/0/1-5000"),
        ("cisco_ios", "GigabitEthernet1/0/1\nshutdown"),
    ],
)
def test_wrong_port_names_are_refused(platform: str, spec: str) -> None:
    with pytest.raises(ValueError, match=platform if "5000" not in spec else "at most"):
        expand_ports(platform, [spec])
