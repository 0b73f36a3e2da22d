"""The facility model: the data centre as `inventories/<site>/facility.yml` describes it.

`load_facility(site_dir)` reads and validates the file once, at the edge. Field problems and cross references
(a rack naming an unknown UPS, a VLAN range containing the staging VLAN, a supernet too small for the agency
prefix length, a port range that does not parse, duplicate names) are all reported together as one `BadInput`
whose problems name the field (`racks[1].ups: ...`). Inside the program a `Facility` is a trusted value.

Agency addressing: each agency gets one subnet of `agency_prefix_len` out of `supernet`. Its usable hosts are
numbered from 1; the first `reserved_hosts` of them are kept for the network (host 1 is the gateway, the SVI
on the layer-3 switch), and servers get host `reserved_hosts + 1` onwards. With a /27 and 4 reserved hosts,
10.231.0.0/27 has gateway 10.231.0.1, reserves .1 to .4 and gives its first server 10.231.0.5.
"""

from __future__ import annotations

import builtins
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provisioner.errors import BadInput
from provisioner.request import error_lines
from provisioner.safe_yaml import load_yaml_file

FACILITY_FILE = "facility.yml"
MAX_PORTS_PER_RANGE = 1024

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Ratio = Annotated[Decimal, Field(gt=0, le=1)]

# Interface names each supported platform (a Netmiko device_type) gives its server ports.
PORT_NAMES: Mapping[str, re.Pattern[str]] = {
    "cisco_ios": re.compile(
        r"(FastEthernet|GigabitEthernet|TwoGigabitEthernet|TenGigabitEthernet|TwentyFiveGigE|"
        r"FortyGigabitEthernet|HundredGigE|Ethernet)\d+(/\d+){0,2}"
    ),
    "arista_eos": re.compile(r"Ethernet\d+(/\d+){0,2}"),
    "juniper_junos": re.compile(r"(fe|ge|xe|mge|et)-\d+/\d+/\d+"),
    "hp_procurve": re.compile(r"[A-Z]?\d+|\d+/\d+"),
    "aruba_os": re.compile(r"\d+(/\d+){0,2}"),
    "mikrotik_routeros": re.compile(r"(ether|sfp|sfp-sfpplus|qsfpplus\d+-)\d+"),
}
_RANGE = re.compile(r"(?P<prefix>.*?)(?P<first>\d+)-(?P<last>\d+)")


def floor_watts(value: Decimal) -> int:
    """Whole watts, rounded down: a limit is never rounded up past what the source can carry."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def expand_ports(platform: str, specs: Iterable[str]) -> tuple[str, ...]:
    """Expand port names and ranges (`GigabitEthernet1/0/1-40`, `ge-0/0/0-47`, `1-48`, `ether1-24`).

    A range is the platform's interface name whose last number is written `first-last`. Every resulting name
    must be one the platform uses; ValueError says which spec is wrong and why.
    """
    pattern = PORT_NAMES.get(platform)
    if pattern is None:
        raise ValueError(f"unknown platform {platform!r} (one of: {', '.join(sorted(PORT_NAMES))})")
    ports: list[str] = []
    for spec in specs:
        names = [spec]
        if not pattern.fullmatch(spec) and (match := _RANGE.fullmatch(spec)):
            first, last = int(match["first"]), int(match["last"])
            if last < first or last - first >= MAX_PORTS_PER_RANGE:
                raise ValueError(f"{spec!r}: a range runs upwards and holds at most {MAX_PORTS_PER_RANGE}")
            names = [f"{match['prefix']}{n}" for n in range(first, last + 1)]
        if not all(pattern.fullmatch(name) for name in names):
            raise ValueError(f"{spec!r} is not a {platform} port name or range of port names")
        ports.extend(names)
    return tuple(ports)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Model):
    code: Name
    name: str = Field(min_length=1, max_length=200)
    domain: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")

    def letterhead(self) -> dict[str, str]:
        """What every document's letterhead shows of the site."""
        return {"code": self.code, "name": self.name, "domain": self.domain}


class Ups(_Model):
    name: Name
    capacity_va: int = Field(gt=0)
    power_factor: Ratio
    base_load_w: int = Field(ge=0)


class Genset(_Model):
    name: Name
    capacity_kva: Decimal = Field(gt=0)
    power_factor: Ratio
    base_load_w: int = Field(ge=0)


class Power(_Model):
    max_load_ratio: Ratio
    ups: tuple[Ups, ...] = Field(min_length=1)
    gensets: tuple[Genset, ...] = ()

    def ups_limit_w(self, ups: Ups) -> int:
        """What the capacity check may plan on a UPS: VA x power factor x max_load_ratio, in whole watts."""
        return floor_watts(ups.capacity_va * ups.power_factor * self.max_load_ratio)

    def genset_limit_w(self, genset: Genset) -> int:
        """What the capacity check may plan on a genset: kVA x 1000 x power factor x max_load_ratio."""
        return floor_watts(genset.capacity_kva * 1000 * genset.power_factor * self.max_load_ratio)


class Rack(_Model):
    name: Name
    height_u: int = Field(ge=1, le=100)
    power_budget_w: int = Field(ge=0)
    ups: Name
    reserved_u: tuple[int, ...] = ()

    @cached_property
    def free_units(self) -> frozenset[int]:
        """The units servers may use (1 is the bottom), leaving out the reserved ones."""
        return frozenset(range(1, self.height_u + 1)) - set(self.reserved_u)


class Uplink(_Model):
    name: Name
    capacity_mbps: int = Field(gt=0)
    committed_mbps: int = Field(ge=0)


class Switch(_Model):
    name: Name
    platform: str
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=22, ge=1, le=65535)
    credentials: Name
    rack: Name
    server_ports: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = Field(min_length=1)
    layer3: bool = False

    @cached_property
    def ports(self) -> tuple[str, ...]:
        """The server ports, ranges expanded, in the order the file gives them."""
        return expand_ports(self.platform, self.server_ports)


class Vlans(_Model):
    range: tuple[int, int]
    name_prefix: str = Field(default="", max_length=12, pattern=r"^[A-Za-z0-9_-]*$")  # + 20-char code <= 32
    staging: int = Field(ge=1, le=4094)

    @property
    def ids(self) -> builtins.range:
        """The VLAN ids agencies may get, in order."""
        return range(self.range[0], self.range[1] + 1)

    def name_for(self, agency: str) -> str:
        """The VLAN name of an agency: the prefix followed by the agency code."""
        return f"{self.name_prefix}{agency}"


class Addressing(_Model):
    supernet: ipaddress.IPv4Network
    agency_prefix_len: int = Field(ge=8, le=30)
    reserved_hosts: int = Field(ge=1)

    def gateway(self, subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
        """Host 1 of the subnet."""
        return subnet.network_address + 1

    def server_hosts(self, subnet: ipaddress.IPv4Network) -> range:
        """Integer addresses servers may get in the subnet: after the reserved hosts, before broadcast."""
        base = int(subnet.network_address)
        return range(base + self.reserved_hosts + 1, int(subnet.broadcast_address))


class Dns(_Model):
    servers: tuple[ipaddress.IPv4Address, ...] = Field(min_length=1)
    search: tuple[str, ...] = ()


class Monitoring(_Model):
    kind: Literal["prometheus"]
    url: str = Field(pattern=r"^https?://[^\s]+$")
    file_sd_dir: str = Field(min_length=1)


class Facility(_Model):
    site: Site
    power: Power
    racks: tuple[Rack, ...] = Field(min_length=1)
    uplinks: tuple[Uplink, ...] = Field(min_length=1)
    switches: tuple[Switch, ...] = Field(min_length=1)
    vlans: Vlans
    addressing: Addressing
    dns: Dns
    ntp: tuple[ipaddress.IPv4Address, ...] = ()
    monitoring: Monitoring

    def rack(self, name: str) -> Rack:
        return next(r for r in self.racks if r.name == name)

    def ups(self, name: str) -> Ups:
        return next(u for u in self.power.ups if u.name == name)

    def switch(self, name: str) -> Switch:
        return next(s for s in self.switches if s.name == name)

    def switches_in(self, rack: str) -> tuple[Switch, ...]:
        return tuple(s for s in self.switches if s.rack == rack)

    def agency_subnets(self) -> Iterator[ipaddress.IPv4Network]:
        """Every subnet an agency may get, in address order (lazily: a /8 holds millions of /30s)."""
        return self.addressing.supernet.subnets(new_prefix=self.addressing.agency_prefix_len)

    @property
    def agency_subnet_count(self) -> int:
        return 1 << max(self.addressing.agency_prefix_len - self.addressing.supernet.prefixlen, 0)


def _duplicates(field: str, names: Sequence[str]) -> list[str]:
    return [f"{field}: {name!r} appears {n} times" for name, n in Counter(names).items() if n > 1]


def _cross_problems(f: Facility) -> list[str]:
    """Problems that no single field shows: references, overlaps, ranges, sizes."""
    problems = _duplicates("power", [u.name for u in f.power.ups] + [g.name for g in f.power.gensets])
    problems += _duplicates("racks", [r.name for r in f.racks])
    problems += _duplicates("uplinks", [u.name for u in f.uplinks])
    problems += _duplicates("switches", [s.name for s in f.switches])
    ups_names = {u.name for u in f.power.ups}
    for i, rack in enumerate(f.racks):
        if rack.ups not in ups_names:
            known = ", ".join(sorted(ups_names))
            problems.append(f"racks[{i}].ups: {rack.ups!r} is not a UPS in power.ups ({known})")
        if bad := sorted(u for u in set(rack.reserved_u) if not 1 <= u <= rack.height_u):
            problems.append(f"racks[{i}].reserved_u: {bad} outside 1..{rack.height_u}")
    for i, uplink in enumerate(f.uplinks):
        if uplink.committed_mbps > uplink.capacity_mbps:
            problems.append(f"uplinks[{i}].committed_mbps: {uplink.committed_mbps} exceeds capacity_mbps")
    rack_names = {r.name for r in f.racks}
    for i, switch in enumerate(f.switches):
        if switch.rack not in rack_names:
            problems.append(f"switches[{i}].rack: {switch.rack!r} is not a rack in racks")
        if switch.platform not in PORT_NAMES:
            known = ", ".join(sorted(PORT_NAMES))
            problems.append(f"switches[{i}].platform: {switch.platform!r} is not one of {known}")
            continue
        try:
            problems += _duplicates(f"switches[{i}].server_ports", switch.ports)
        except ValueError as exc:
            problems.append(f"switches[{i}].server_ports: {exc}")
    low, high = f.vlans.range
    if not 1 <= low <= high <= 4094:
        problems.append(f"vlans.range: [{low}, {high}] must run upwards within 1..4094")
    if low <= f.vlans.staging <= high:
        problems.append(f"vlans.staging: {f.vlans.staging} lies inside vlans.range [{low}, {high}]")
    a = f.addressing
    if a.agency_prefix_len < a.supernet.prefixlen:
        problems.append(
            f"addressing.supernet: {a.supernet} is too small for agency_prefix_len {a.agency_prefix_len}"
        )
    elif a.reserved_hosts + 1 > 2 ** (32 - a.agency_prefix_len) - 2:
        problems.append(
            f"addressing.reserved_hosts: {a.reserved_hosts} leaves no server address "
            f"in a /{a.agency_prefix_len}"
        )
    return problems


def parse_facility(data: object, source: str = FACILITY_FILE) -> Facility:
    """Validate facility data (already parsed YAML); BadInput lists every problem by field path."""
    try:
        facility = Facility.model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"{source}: the facility file is invalid", error_lines(exc)) from None
    if problems := _cross_problems(facility):
        raise BadInput(f"{source}: the facility file is invalid", problems)
    return facility


def load_facility(site_dir: Path) -> Facility:
    """Read and validate `<site_dir>/facility.yml`."""
    path = site_dir / FACILITY_FILE
    return parse_facility(load_yaml_file(path), str(path))
