"""The facility model: validation naming the field, and port ranges per platform."""

from __future__ import annotations

import copy
import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.errors import BadInput
from provisioner.facility import (
    MAX_PROBLEMS,
    MAX_SERVER_PORTS,
    expand_ports,
    load_facility,
    parse_facility,
    parse_ports,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "facilities"
REFUSED = sorted((DATA / "refused").glob("*.yml"))
TRUNK_OFF_THE_RANGES = [{"a": "sw-access-01:Ethernet9999/1", "b": "sw-access-02:GigabitEthernet2/0/1"}]
"""The example's trunk on ports outside the big ranges the tests below give the switches."""
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
    name = data["switches"][0]["name"]
    assert problem == (f"switches[0].platform: switch {name!r} names 'cisco_xr', not a supported platform "
                       "(supported: cisco_ios, mikrotik_routeros)")


@pytest.mark.parametrize("platform", ["arista_eos", "hp_procurve", "juniper_junos", "aruba_os"])
def test_platforms_never_run_against_a_device_are_refused(data: dict[str, Any], platform: str) -> None:
    data["switches"][1]["platform"] = platform
    [problem] = problems_of(data)
    assert problem.startswith(f"switches[1].platform: switch 'sw-access-02' names {platform!r}, not a ")
    assert problem.endswith("(supported: cisco_ios, mikrotik_routeros)")


@pytest.mark.parametrize(
    ("section", "field"),
    [("racks", "racks"), ("switches", "switches"), ("uplinks", "uplinks")],
)
def test_duplicate_names(data: dict[str, Any], section: str, field: str) -> None:
    data[section].append(copy.deepcopy(data[section][0]))
    if section == "switches":
        data[section][-1].update(rack="R02", host="10.0.0.4")
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
        ("cisco_ios", "Ethernet1-48", "Ethernet1", "Ethernet48", 48),
        ("mikrotik_routeros", "ether1-24", "ether1", "ether24", 24),
    ],
)
def test_port_ranges_per_platform(platform: str, spec: str, first: str, last: str, count: int) -> None:
    ports = expand_ports(parse_ports(platform, [spec]))
    assert (ports[0], ports[-1], len(ports)) == (first, last, count)


@pytest.mark.parametrize(
    ("platform", "spec"),
    [
        ("cisco_ios", "GigabitEthernet1/0/7"),
        ("mikrotik_routeros", "sfp-sfpplus1"),
    ],
)
def test_single_ports_stay_single(platform: str, spec: str) -> None:
    assert expand_ports(parse_ports(platform, [spec])) == (spec,)


@pytest.mark.parametrize(
    ("platform", "spec"),
    [
        ("cisco_ios", "Ethernet1-x"),
        ("cisco_ios", "ge-0/0/0-47"),
        ("mikrotik_routeros", "GigabitEthernet1/0/1-4"),
        ("mikrotik_routeros", "1-24"),
        ("cisco_ios", "GigabitEthernet1/0/1-5000"),
        ("cisco_ios", "GigabitEthernet1/0/1\nshutdown"),
    ],
)
def test_wrong_port_names_are_refused(platform: str, spec: str) -> None:
    with pytest.raises(ValueError, match=platform if "5000" not in spec else "at most"):
        expand_ports(parse_ports(platform, [spec]))


# ---- Numbers: finite, bounded, YAML numbers ----


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("power.gensets.0.capacity_kva", "1e5000"),  # text in YAML, once read as a Decimal
        ("power.gensets.0.capacity_kva", "1e999999999"),
        ("power.gensets.0.capacity_kva", float("inf")),
        ("power.gensets.0.capacity_kva", float("nan")),
        ("power.gensets.0.capacity_kva", 100_001),
        ("power.gensets.0.capacity_kva", 40.0001),
        ("power.gensets.0.capacity_kva", True),
        ("power.gensets.0.base_load_w", 100_000_001),
        ("power.ups.0.capacity_va", 10_000_001),
        ("power.ups.0.capacity_va", "10000"),
        ("power.ups.0.capacity_va", True),
        ("power.ups.0.capacity_va", 10000.0),
        ("power.ups.0.base_load_w", 10_000_001),
        ("power.ups.0.power_factor", 0),
        ("power.ups.0.power_factor", 1.01),
        ("power.ups.0.power_factor", 1e-9),
        ("power.ups.0.power_factor", "0.9"),
        ("power.max_load_ratio", 1e-300),
        ("racks.0.power_budget_w", 1_000_001),
        ("racks.0.height_u", 101),
        ("uplinks.0.capacity_mbps", 10_000_001),
        ("uplinks.0.committed_mbps", -1),
        ("switches.0.port", "22"),
        ("addressing.reserved_hosts", 10**30),
        ("addressing.agency_prefix_len", 8),
    ],
)
def test_numbers_are_finite_bounded_numbers(data: dict[str, Any], path: str, value: object) -> None:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    field = re.sub(r"\.(\d+)", r"[\1]", path)
    [problem] = problems_of(data)
    assert problem.startswith(f"{field}: "), problem


def test_bounds_themselves_are_accepted(data: dict[str, Any]) -> None:
    data["power"]["ups"][0].update(capacity_va=10_000_000, power_factor=1)
    data["power"]["gensets"][0].update(capacity_kva=100_000, power_factor=0.0001)
    facility = parse_facility(data)
    assert facility.power.ups_limit_w(facility.power.ups[0]) == 8_000_000
    assert facility.power.genset_limit_w(facility.power.gensets[0]) == 8000


# ---- Text fields: one line of visible characters ----


@pytest.mark.parametrize(
    ("section", "key", "value", "field"),
    [
        ("site", "name", "Data Center\nLab", "site.name"),
        ("site", "name", "Data Center\u2028Lab", "site.name"),
        ("site", "name", "Data \u202eCenter", "site.name"),
        ("site", "name", "Data\u200bCenter", "site.name"),
        ("dns", "search", ["ciamiskab.go.id\nnameserver 10.6.6.6"], "dns.search[0]"),
        ("dns", "search", ["Ciamiskab.go.id"], "dns.search[0]"),
        ("dns", "search", ["a.go.id"] * 7, "dns.search"),
        ("dns", "servers", ["10.0.0.53", "10.0.0.54", "10.0.0.55", "10.0.0.56"], "dns.servers"),
        ("dns", "servers", ["0.0.0.0"], "dns.servers[0]"),
        ("dns", "servers", ["255.255.255.255"], "dns.servers[0]"),
        ("monitoring", "url", "http://10.0.0.9:9090/\u202e", "monitoring.url"),
        ("monitoring", "url", "http://:9090/", "monitoring.url"),
        ("monitoring", "file_sd_dir", "/etc/prometheus\n/x", "monitoring.file_sd_dir"),
        ("monitoring", "file_sd_dir", "relative/dir", "monitoring.file_sd_dir"),
    ],
)
def test_text_fields_refuse_line_breaks_and_invisible_characters(
    data: dict[str, Any], section: str, key: str, value: object, field: str
) -> None:
    data[section][key] = value
    problem = problems_of(data)[0]  # an address refused also leaves dns.servers empty: a second line
    assert problem.startswith(f"{field}: "), problem


@pytest.mark.parametrize("host", ["10.0.0.2\nreload", "sw 01", "-sw01", "sw01..example", "10.0.0.2;id"])
def test_switch_host_is_an_address_or_host_name(data: dict[str, Any], host: str) -> None:
    data["switches"][0]["host"] = host
    [problem] = problems_of(data)
    assert problem.startswith("switches[0].host: ")


# ---- VLANs and addressing ----


@pytest.mark.parametrize(
    ("vlans", "expected"),
    [
        ({"range": [1, 99]}, "vlans.range: [1, 99] holds VLAN 1, every switch's default VLAN; start at 2"),
        ({"range": [1000, 1010]}, "vlans.range: [1000, 1010] holds VLANs 1002-1005, which cisco_ios"),
        ({"staging": 1003}, "vlans.staging: 1003 is one of VLANs 1002-1005, which cisco_ios reserves"),
        ({"range": [3000, 4095]}, "vlans.range: [3000, 4095] must run upwards within 1..4094"),
        ({"range": ["100", 199]}, "vlans.range[0]: "),
    ],
)
def test_vlans_an_agency_may_not_get(data: dict[str, Any], vlans: dict[str, object], expected: str) -> None:
    data["vlans"].update(vlans)
    [problem] = problems_of(data)
    assert problem.startswith(expected), problem


@pytest.mark.parametrize("staging", [0, 1, 4095])
def test_staging_vlan_outside_2_to_4094(data: dict[str, Any], staging: int) -> None:
    data["vlans"]["staging"] = staging
    [problem] = problems_of(data)
    assert problem.startswith("vlans.staging: ")


def test_cisco_reserved_vlans_are_fine_without_cisco(data: dict[str, Any]) -> None:
    for switch in data["switches"]:
        switch.update(platform="mikrotik_routeros", server_ports=["ether1-40"])
    data["links"] = [{"a": "sw-access-01:ether48", "b": "sw-access-02:ether48"}]
    data["vlans"].update(range=[1000, 1002], staging=1005)
    assert list(parse_facility(data).vlans.ids) == [1000, 1001, 1002]


@pytest.mark.parametrize(
    ("supernet", "expected"),
    [
        ("0.0.0.0/0", "0.0.0.0/0 is larger than a /8"),
        ("10.0.0.0/7", "10.0.0.0/7 is larger than a /8"),
        ("127.0.0.0/16", "127.0.0.0/16 overlaps 127.0.0.0/8"),
        ("169.254.0.0/16", "169.254.0.0/16 overlaps 169.254.0.0/16"),
        ("224.0.0.0/8", "224.0.0.0/8 overlaps 224.0.0.0/3"),
        ("0.0.0.0/16", "0.0.0.0/16 overlaps 0.0.0.0/8"),
    ],
)
def test_supernet_bounds(data: dict[str, Any], supernet: str, expected: str) -> None:
    data["addressing"]["supernet"] = supernet
    [problem] = problems_of(data)
    assert problem.startswith("addressing.supernet: ") and expected in problem, problem


@pytest.mark.parametrize(
    ("section", "change", "field", "address"),
    [
        ("dns", {"servers": ["10.20.255.53"]}, "dns.servers[0]", "10.20.255.53"),
        ("ntp", ["10.0.0.123", "10.20.0.1"], "ntp[1]", "10.20.0.1"),
        ("monitoring", {"url": "http://10.20.3.9:9090"}, "monitoring.url", "10.20.3.9"),
        ("switches", {"host": "10.20.255.2"}, "switches[0].host", "10.20.255.2"),
    ],
)
def test_supernet_holding_the_facility_s_own_addresses(
    data: dict[str, Any], section: str, change: object, field: str, address: str
) -> None:
    if isinstance(change, list):
        data[section] = change
    elif section == "switches":
        data["switches"][0].update(change)
    else:
        assert isinstance(change, dict)
        data[section].update(change)
    assert problems_of(data) == [
        f"addressing.supernet: 10.20.0.0/16 holds {field} ({address}); agency subnets are given from it"
    ]


def test_a_slash_8_supernet_loads(data: dict[str, Any]) -> None:
    data["addressing"].update(supernet="172.16.0.0/12", agency_prefix_len=16)
    assert parse_facility(data).agency_subnet_count == 16


# ---- Server ports: one physical port once, sizes bounded, ranges expanded only when asked ----


@pytest.mark.parametrize(
    ("ports", "name"),
    [
        (["Gi1/0/1", "GigabitEthernet1/0/1"], "GigabitEthernet1/0/1"),
        (["Gi1/0/1", "Gi01/0/01"], "GigabitEthernet1/0/1"),
        (["GigabitEthernet1/0/1-40", "gi1/0/40"], "GigabitEthernet1/0/40"),
        (["Te1/1/1-4", "TenGigabitEthernet1/1/3-8"], "TenGigabitEthernet1/1/3"),
        (["GigabitEthernet1/0/1-40", "Gig1/0/1-40"], "GigabitEthernet1/0/1"),
    ],
)
def test_the_same_physical_port_twice(data: dict[str, Any], ports: list[str], name: str) -> None:
    data["switches"][0]["server_ports"] = ports
    assert problems_of(data) == [f"switches[0].server_ports: {name!r} appears 2 times"]


def test_same_port_three_times_is_one_problem(data: dict[str, Any]) -> None:
    data["switches"][0]["server_ports"] = ["Gi1/0/5", "GigabitEthernet1/0/1-10", "gi1/0/005"]
    assert problems_of(data) == ["switches[0].server_ports: 'GigabitEthernet1/0/5' appears 3 times"]


def test_abbreviated_port_names_are_kept_in_the_platform_s_spelling(data: dict[str, Any]) -> None:
    data["switches"][0]["server_ports"] = ["Gi1/0/01-3", "te1/1/1"]
    ports = parse_facility(data).switches[0].ports
    assert ports == ("GigabitEthernet1/0/1", "GigabitEthernet1/0/2", "GigabitEthernet1/0/3",
                     "TenGigabitEthernet1/1/1")


@pytest.mark.parametrize(
    ("platform", "spec", "expected"),
    [
        ("mikrotik_routeros", "ether2-ether23", ("ether2", "ether23", 22)),  # CONTRACT section 6
        ("cisco_ios", "GigabitEthernet1/0/1-GigabitEthernet1/0/4", ("GigabitEthernet1/0/1",
                                                                    "GigabitEthernet1/0/4", 4)),
        ("cisco_ios", "Et1/1-4", ("Ethernet1/1", "Ethernet1/4", 4)),
    ],
)
def test_range_written_with_both_names(platform: str, spec: str, expected: tuple[str, str, int]) -> None:
    ports = expand_ports(parse_ports(platform, [spec]))
    assert (ports[0], ports[-1], len(ports)) == expected


@pytest.mark.parametrize(
    ("platform", "spec"),
    [
        ("cisco_ios", "Gx1/0/1"),  # no such interface type
        ("cisco_ios", "GigabitEthernet1/0/\u0661"),  # an Arabic-Indic digit
        ("mikrotik_routeros", "ether2-sfp5"),  # a range across interface types
        ("mikrotik_routeros", "Ether2"),
    ],
)
def test_names_the_platform_does_not_use(platform: str, spec: str) -> None:
    with pytest.raises(ValueError, match=platform):
        parse_ports(platform, [spec])


def test_two_entries_for_one_switch(data: dict[str, Any]) -> None:
    data["switches"][1].update(host="10.0.0.2", port=22)
    assert problems_of(data) == [
        "switches[1].host: 10.0.0.2 port 22 is also switches[0]; one switch, one entry"
    ]


def test_host_names_compare_without_case_or_final_dot(data: dict[str, Any]) -> None:
    data["switches"][0]["host"] = "SW-01.ciamiskab.go.id."
    data["switches"][1].update(host="sw-01.ciamiskab.go.id", port=22)
    [problem] = problems_of(data)
    assert problem.startswith("switches[1].host: sw-01.ciamiskab.go.id port 22 is also switches[0]")


def test_one_host_with_two_ports_is_two_switches(data: dict[str, Any]) -> None:
    data["switches"][1].update(host="10.0.0.2", port=2202)
    assert len(parse_facility(data).switches) == 2


def ranges_of_1024(count: int) -> list[str]:
    return [f"Ethernet{k}/1-1024" for k in range(count)]


def test_too_many_server_ports_refused_without_expanding(data: dict[str, Any]) -> None:
    """9,000 ranges of 1,024 ports (9,216,000) once took 20 s and 1.2 GB to load; the total is now bounded."""
    data["switches"][0].update(platform="cisco_ios", server_ports=ranges_of_1024(9000))
    data["links"] = TRUNK_OFF_THE_RANGES
    assert problems_of(data) == [
        f"switches[0].server_ports: these bring the facility to 9216000 server ports, "
        f"more than {MAX_SERVER_PORTS}"
    ]


def test_port_total_counts_every_switch(data: dict[str, Any]) -> None:
    data["switches"][0].update(platform="cisco_ios", server_ports=ranges_of_1024(9))
    data["links"] = TRUNK_OFF_THE_RANGES
    data["switches"][1]["server_ports"] = ["GigabitEthernet1/0/1-1024"]
    assert problems_of(data) == [
        f"switches[1].server_ports: these bring the facility to 10240 server ports, "
        f"more than {MAX_SERVER_PORTS}"
    ]


def test_ranges_are_expanded_only_when_asked(data: dict[str, Any]) -> None:
    data["switches"][0].update(platform="cisco_ios", server_ports=ranges_of_1024(9))
    data["links"] = TRUNK_OFF_THE_RANGES
    switch = parse_facility(data).switches[0]
    assert switch.port_count == 9216
    assert "ports" not in switch.__dict__, "loading the facility expanded the ranges"
    assert switch.ports[-1] == "Ethernet8/1024" and len(switch.ports) == 9216


def test_problem_list_is_bounded(data: dict[str, Any]) -> None:
    data["racks"] = [{"name": f"R{k}", "height_u": 42, "power_budget_w": 1, "ups": "no"} for k in range(1000)]
    problems = problems_of(data)
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1] == "... and 952 more problems"


@pytest.mark.parametrize("path", REFUSED, ids=[p.stem for p in REFUSED])
def test_refused_links_name_the_field(path: Path) -> None:
    """Each file of the corpus breaks one rule of `links:`; its first line names what the refusal names."""
    field = path.read_text().splitlines()[0].removeprefix("# refused: ")
    with pytest.raises(BadInput) as caught:
        load_facility_file(path)
    assert caught.value.exit_code == 2
    assert any(field in problem for problem in caught.value.problems), caught.value.problems


def load_facility_file(path: Path) -> object:
    return parse_facility(yaml.safe_load(path.read_text()), str(path))


def test_the_refused_corpus_covers_every_link_rule() -> None:
    assert {p.stem for p in REFUSED} >= {
        "link-unknown-switch", "link-unknown-port", "link-server-port", "link-port-twice", "link-loop",
        "link-to-itself", "link-missing", "link-no-layer3",
    }


def test_uplink_paths_of_the_example_site() -> None:
    facility = load_facility(ROOT / "inventories" / "example")
    core = facility.uplink_path("sw-core-01")
    assert (core.switches, core.hops, core.layer3) == (("sw-core-01",), (), "sw-core-01")
    path = facility.uplink_path("sw-access-03")
    assert (path.access, path.layer3) == ("sw-access-03", "sw-core-01")
    assert path.switches == ("sw-access-03", "sw-core-01")
    assert [str(end) for end in path.trunk_ends] == [
        "sw-access-03:GigabitEthernet1/0/48", "sw-core-01:GigabitEthernet1/0/2"]


def test_link_ends_are_spelt_the_platform_s_way(data: dict[str, Any]) -> None:
    data["links"] = [{"a": "sw-access-01:Gi1/0/048", "b": "sw-access-02:gi1/0/48"}]
    [hop] = parse_facility(data).uplink_path("sw-access-02").hops
    assert (str(hop.down), str(hop.up)) == (
        "sw-access-02:GigabitEthernet1/0/48", "sw-access-01:GigabitEthernet1/0/48")


def test_a_path_crosses_every_trunk_to_the_layer3_switch(data: dict[str, Any]) -> None:
    """A chain: sw-access-03 hangs off sw-access-02, which hangs off the layer-3 sw-access-01."""
    third = {**data["switches"][1], "name": "sw-access-03", "host": "10.0.0.4"}
    data["switches"].append(third)
    data["links"].append(
        {"a": "sw-access-03:GigabitEthernet1/0/48", "b": "sw-access-02:GigabitEthernet1/0/47"})
    path = parse_facility(data).uplink_path("sw-access-03")
    assert path.switches == ("sw-access-03", "sw-access-02", "sw-access-01")
    assert [str(e) for e in path.trunk_ends] == [
        "sw-access-03:GigabitEthernet1/0/48", "sw-access-02:GigabitEthernet1/0/47",
        "sw-access-02:GigabitEthernet1/0/48", "sw-access-01:GigabitEthernet1/0/48",
    ]


def test_a_trunk_from_a_second_layer3_switch_is_no_loop(data: dict[str, Any]) -> None:
    data["switches"][1]["layer3"] = True
    data["links"] = []
    facility = parse_facility(data)
    assert facility.uplink_path("sw-access-02").switches == ("sw-access-02",)


def test_the_contract_s_link_to_a_mikrotik_access_switch(data: dict[str, Any]) -> None:
    data["switches"][1].update(platform="mikrotik_routeros", server_ports=["ether2-ether23"])
    data["links"] = [{"a": "sw-access-01:GigabitEthernet1/0/48", "b": "sw-access-02:sfp-sfpplus1"}]
    path = parse_facility(data).uplink_path("sw-access-02")
    assert [str(e) for e in path.trunk_ends] == [
        "sw-access-02:sfp-sfpplus1", "sw-access-01:GigabitEthernet1/0/48"]
    data["links"] = [{"a": "sw-access-01:GigabitEthernet1/0/48", "b": "sw-access-02:ether5"}]
    assert problems_of(data) == [
        "links[0].b: ether5 is one of sw-access-02's server_ports; a trunk needs a port of its own"]
