"""Step 3, the capacity check: a pure function of the facility, one request's demand and what is in use.

For every resource the SOP names (space, electricity, UPS, genset, bandwidth) and those the network needs
(a switch port in the server's rack, the agency's VLAN and subnet, an address) the check reports capacity,
used (allocated), held (promised to requests checked but not yet provisioned), this request, headroom and a
verdict. Headroom is capacity - used - held - this request; for rack space it is the longest run of free
contiguous units minus the units requested. A request fits when every headroom is >= 0.

Choices, in a fixed order so the same register gives the same answer: the first rack in the facility file
whose units, power budget, UPS and switch ports all fit (units from the bottom, lowest free run first; the
first switch port free in file order); the uplink with the most headroom; an agency's existing VLAN and
subnet, else the lowest free VLAN id and the lowest free subnet; the lowest free server address.

Power: a rack's watts count on its rack budget and its UPS; every genset backs the whole site (the facility
file maps no genset to a UPS), so each carries its own base load plus every placed server.
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, computed_field, field_serializer, field_validator

from provisioner.facility import Facility, Rack

ClaimKind = Literal["hold", "allocated"]
HOLD: ClaimKind = "hold"
ALLOCATED: ClaimKind = "allocated"


@dataclass(frozen=True)
class Demand:
    """What one request needs from the facility."""

    request_id: str
    agency: str
    rack_units: int
    power_watts: int
    bandwidth_mbps: int
    subdomains: tuple[str, ...] = ()


class Claim(NamedTuple):
    """What the register holds or has allocated for one request (a tuple: snapshots hold thousands)."""

    request_id: str
    agency: str
    kind: ClaimKind
    rack: str
    units: tuple[int, ...]
    ups: str
    uplink: str
    switch: str
    port: str
    watts: int
    mbps: int
    address: ipaddress.IPv4Address


@dataclass(frozen=True)
class AgencyNetwork:
    """The VLAN and subnet an agency's servers share."""

    agency: str
    vlan: int
    subnet: ipaddress.IPv4Network


@dataclass(frozen=True)
class Usage:
    """A snapshot of the register: every live claim and every agency network."""

    claims: Sequence[Claim] = ()
    networks: Sequence[AgencyNetwork] = ()
    taken_names: Mapping[str, Remark] = field(default_factory=dict)
    """Subdomains already taken (held by another request, or in the DNS zone), each with who holds it."""


REMARKS: Mapping[str, str] = {
    "units": "units {first}-{last}",
    "longest_run": "longest free contiguous run {longest} U",
    "rack_budget": "rack power budget",
    "ups_limit": "{va} VA x {factor} x {ratio}; used includes base load {base} W",
    "genset_limit": "{kva} kVA x 1000 x {factor} x {ratio}; used includes base load {base} W",
    "committed": "used includes {committed} Mbps committed before",
    "port": "{switch} {port}",
    "ports_taken": "{switches}",
    "no_switch": "no switch in this rack",
    "reuses_vlan": "reuses VLAN {vlan}",
    "reuses_subnet": "reuses {subnet}",
    "new_vlan": "new VLAN {vlan}",
    "all_taken": "all taken",
    "new_subnet": "new {subnet}",
    "exhausted": "{supernet} exhausted",
    "address": "{address}",
    "full": "{subnet} is full",
    "recorded": "{text}",
    "name_free": "free",
    "name_held": "held by {request}",
    "name_in_zone": "already in the DNS zone ({values})",
}
"""Each kind of remark in English (the CLI's words); documents give each kind their own wording."""


@dataclass(frozen=True)
class Remark:
    """A line's remark: its kind (a key of REMARKS) and the values it names."""

    kind: str
    values: Mapping[str, int | str] = field(default_factory=dict)

    def text(self) -> str:
        return REMARKS[self.kind].format(**self.values)


@dataclass(frozen=True)
class Line:
    """One resource in the capacity report."""

    resource: str
    subject: str
    unit: str
    capacity: int
    used: int
    held: int
    request: int
    headroom: int
    remark: Remark

    @property
    def ok(self) -> bool:
        return self.headroom >= 0

    @property
    def note(self) -> str:
        return self.remark.text()

    def shortage(self) -> str:
        """What was short, in one line."""
        free = self.headroom + self.request
        needs = f"needs {self.request} {self.unit}, {free} available"
        return f"{self.resource} {self.subject}: {needs} ({self.note})"


@dataclass(frozen=True)
class Placement:
    """Where the request fits: what a passing check holds and step 6 allocates."""

    rack: str
    units: tuple[int, ...]
    ups: str
    uplink: str
    switch: str
    port: str
    vlan: int
    subnet: ipaddress.IPv4Network
    address: ipaddress.IPv4Address
    new_network: bool
    path: tuple[str, ...] = ()
    """The switch's way to its layer-3 switch: the switch, each trunk, the layer-3 switch (older reports:
    empty)."""


@dataclass(frozen=True)
class RackMap:
    """The units of the rack a request fits in, as the check found them (1 is the bottom)."""

    rack: str
    height_u: int
    reserved: tuple[int, ...]
    used: tuple[int, ...]
    held: tuple[int, ...]


class CapacityReport(BaseModel):
    """The capacity report: every resource, what was short, and the placement held (None: rejected). Step 3's
    result, its completion event's ``details["report"]`` (``model_dump(mode="json")``), the CLI's JSON and the
    documents' data are this model."""

    model_config = ConfigDict(frozen=True)

    site: str
    request: Demand
    resources: tuple[Line, ...]
    placement: Placement | None
    rack_map: RackMap | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sufficient(self) -> bool:
        return self.placement is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def shortages(self) -> list[str]:
        return [line.shortage() for line in self.resources if not line.ok]

    @field_validator("resources", mode="before")
    @classmethod
    def _recorded_notes(cls, lines: object) -> object:
        """A line recorded before remarks had kinds keeps its English note as a ``recorded`` remark."""
        if not isinstance(lines, list):
            return lines
        return [
            {**line, "remark": {"kind": "recorded", "values": {"text": line["note"]}}}
            if isinstance(line, dict) and "remark" not in line and "note" in line else line
            for line in lines
        ]

    @field_serializer("resources")
    def _resources(self, lines: tuple[Line, ...]) -> list[dict[str, object]]:
        """Each line with its verdict and note, as the report records it."""
        return [{**asdict(line), "ok": line.ok, "note": line.note} for line in lines]


@dataclass
class _Tally:
    """Allocated and held amounts of one resource."""

    used: int = 0
    held: int = 0

    def add(self, kind: ClaimKind, amount: int) -> None:
        if kind == ALLOCATED:
            self.used += amount
        else:
            self.held += amount

    def line(
        self, resource: str, subject: str, unit: str, capacity: int, request: int, remark: Remark
    ) -> Line:
        headroom = capacity - self.used - self.held - request
        return Line(resource, subject, unit, capacity, self.used, self.held, request, headroom, remark)


@dataclass
class _Index:
    """The usage snapshot indexed by resource, built in one pass."""

    units: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    occupied: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    held_units: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    rack_watts: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    ups_watts: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    site_watts: _Tally = field(default_factory=_Tally)
    mbps: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    ports: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    taken_ports: set[tuple[str, str]] = field(default_factory=set)
    addresses: dict[int, ClaimKind] = field(default_factory=dict)
    agency_kind: dict[str, ClaimKind] = field(default_factory=dict)

    @classmethod
    def of(cls, claims: Iterable[Claim]) -> _Index:
        index = cls()
        for c in claims:
            index.units[c.rack].add(c.kind, len(c.units))
            index.occupied[c.rack].update(c.units)
            if c.kind == HOLD:
                index.held_units[c.rack].update(c.units)
            index.rack_watts[c.rack].add(c.kind, c.watts)
            index.ups_watts[c.ups].add(c.kind, c.watts)
            index.site_watts.add(c.kind, c.watts)
            index.mbps[c.uplink].add(c.kind, c.mbps)
            index.ports[c.switch].add(c.kind, 1)
            index.taken_ports.add((c.switch, c.port))
            index.addresses[int(c.address)] = c.kind
            if index.agency_kind.get(c.agency) != ALLOCATED:
                index.agency_kind[c.agency] = c.kind
        return index


def _lowest_run(free: set[int], height: int, size: int) -> tuple[tuple[int, ...], int]:
    """The lowest run of `size` contiguous free units, if any, and the longest free run."""
    found: tuple[int, ...] = ()
    longest = run = 0
    for unit in range(1, height + 1):
        run = run + 1 if unit in free else 0
        longest = max(longest, run)
        if run == size and not found:
            found = tuple(range(unit - size + 1, unit + 1))
    return found, longest


def _rack_lines(
    facility: Facility, rack: Rack, demand: Demand, index: _Index
) -> tuple[list[Line], tuple[int, ...], tuple[str, str] | None]:
    """Units, power budget, UPS and switch port of one rack; the units and port it would give."""
    free = set(rack.free_units) - index.occupied[rack.name]
    units, longest = _lowest_run(free, rack.height_u, demand.rack_units)
    used_units = index.units[rack.name]
    space = Line(
        "rack space", rack.name, "U", len(rack.free_units), used_units.used, used_units.held,
        demand.rack_units, longest - demand.rack_units,
        Remark("units", {"first": units[0], "last": units[-1]}) if units
        else Remark("longest_run", {"longest": longest}),
    )
    power = index.rack_watts[rack.name].line(
        "rack power", rack.name, "W", rack.power_budget_w, demand.power_watts, Remark("rack_budget")
    )
    ups = facility.ups(rack.ups)
    limit = facility.power.ups_limit_w(ups)
    ups_tally = index.ups_watts[ups.name]
    ups_line = _Tally(ups.base_load_w + ups_tally.used, ups_tally.held).line(
        "UPS", ups.name, "W", limit, demand.power_watts,
        Remark("ups_limit", {"va": ups.capacity_va, "factor": str(ups.power_factor),
                             "ratio": str(facility.power.max_load_ratio), "base": ups.base_load_w}),
    )
    switches = facility.switches_in(rack.name)
    free_ports = ((s.name, p) for s in switches for p in s.ports if (s.name, p) not in index.taken_ports)
    port = next(free_ports, None)
    tallies = [index.ports[s.name] for s in switches]
    ports = _Tally(sum(t.used for t in tallies), sum(t.held for t in tallies))
    port_line = ports.line(
        "switch port", rack.name, "port", sum(s.port_count for s in switches), 1,
        Remark("port", {"switch": port[0], "port": port[1]}) if port
        else Remark("ports_taken", {"switches": ", ".join(s.name for s in switches)}) if switches
        else Remark("no_switch"),
    )
    return [space, power, ups_line, port_line], units, port


def _network_lines(
    facility: Facility, demand: Demand, usage: Usage, index: _Index
) -> tuple[list[Line], AgencyNetwork | None, ipaddress.IPv4Address | None, bool]:
    """The agency's VLAN and subnet (reused or new) and a free server address in it."""
    kinds = Counter(index.agency_kind.get(n.agency, ALLOCATED) for n in usage.networks)
    vlans, subnets = _Tally(kinds[ALLOCATED], kinds[HOLD]), _Tally(kinds[ALLOCATED], kinds[HOLD])
    existing = next((n for n in usage.networks if n.agency == demand.agency), None)
    name = facility.vlans.name_for(demand.agency)
    vlan_count, subnet_count = len(facility.vlans.ids), facility.agency_subnet_count
    if existing is not None:
        network: AgencyNetwork | None = existing
        lines = [
            vlans.line("VLAN", name, "VLAN", vlan_count, 0, Remark("reuses_vlan", {"vlan": existing.vlan})),
            subnets.line("subnet", demand.agency, "subnet", subnet_count, 0,
                         Remark("reuses_subnet", {"subnet": str(existing.subnet)})),
        ]
    else:
        taken_vlans = {n.vlan for n in usage.networks}
        taken_subnets = {n.subnet for n in usage.networks}
        vlan = next((v for v in facility.vlans.ids if v not in taken_vlans), None)
        subnet = next((s for s in facility.agency_subnets() if s not in taken_subnets), None)
        network = None if vlan is None or subnet is None else AgencyNetwork(demand.agency, vlan, subnet)
        lines = [
            vlans.line("VLAN", name, "VLAN", vlan_count, 1,
                       Remark("new_vlan", {"vlan": vlan}) if vlan else Remark("all_taken")),
            subnets.line(
                "subnet", demand.agency, "subnet", subnet_count, 1,
                Remark("new_subnet", {"subnet": str(subnet)}) if subnet
                else Remark("exhausted", {"supernet": str(facility.addressing.supernet)}),
            ),
        ]
    address = None
    hosts: Sequence[int] = facility.addressing.server_hosts(network.subnet) if network else ()
    in_subnet = _Tally()
    for host in hosts:
        kind = index.addresses.get(host)
        if kind is None:
            if address is None:
                address = ipaddress.IPv4Address(host)
        else:
            in_subnet.add(kind, 1)
    where = str(network.subnet) if network else "no subnet"
    remark = Remark("address", {"address": str(address)}) if address else Remark("full", {"subnet": where})
    lines.append(in_subnet.line("address", where, "address", len(hosts), 1, remark))
    return lines, network, address, existing is None


def path_of(facility: Facility, switch: str) -> tuple[str, ...]:
    """A switch's way to layer 3 as the report shows it: the switch, each trunk (its two ends), the layer-3
    switch (a layer-3 switch alone is its own path)."""
    path = facility.uplink_path(switch)
    trunks = (f"trunk {hop.down} - {hop.up}" for hop in path.hops)
    return (path.access, *trunks, path.layer3) if path.hops else (path.access,)


def _subdomain_lines(demand: Demand, usage: Usage) -> list[Line]:
    """One name per application subdomain, insufficient when another request or the zone holds it."""
    lines = []
    for label in demand.subdomains:
        taken = usage.taken_names.get(label)
        lines.append(Line("subdomain", label, "name", 1, 0 if taken is None else 1, 0, 1,
                          -1 if taken else 0, taken or Remark("name_free")))
    return lines


def check_capacity(
    facility: Facility, demand: Demand, usage: Usage, rack: str | None = None
) -> CapacityReport:
    """Check every resource for one request against what is allocated and held; choose where it fits (in
    ``rack`` only, when given: a rack the facility file names)."""
    index = _Index.of(usage.claims)
    rack_lines: list[Line] = []
    chosen: tuple[Rack, tuple[int, ...], tuple[str, str]] | None = None
    for option in facility.racks if rack is None else (facility.rack(rack),):
        candidate, units, port = _rack_lines(facility, option, demand, index)
        if all(line.ok for line in candidate) and port is not None:
            rack_lines, chosen = candidate, (option, units, port)
            break
        rack_lines += candidate
    genset_lines = [
        _Tally(g.base_load_w + index.site_watts.used, index.site_watts.held).line(
            "genset", g.name, "W", facility.power.genset_limit_w(g), demand.power_watts,
            Remark("genset_limit", {"kva": str(g.capacity_kva), "factor": str(g.power_factor),
                                    "ratio": str(facility.power.max_load_ratio), "base": g.base_load_w}),
        )
        for g in facility.power.gensets
    ]
    uplink_lines = sorted(
        (
            _Tally(u.committed_mbps + index.mbps[u.name].used, index.mbps[u.name].held).line(
                "uplink", u.name, "Mbps", u.capacity_mbps, demand.bandwidth_mbps,
                Remark("committed", {"committed": u.committed_mbps}),
            )
            for u in facility.uplinks
        ),
        key=lambda line: -line.headroom,
    )
    if uplink_lines[0].ok:
        uplink_lines = uplink_lines[:1]
    network_lines, network, address, new_network = _network_lines(facility, demand, usage, index)
    lines = (*rack_lines, *genset_lines, *uplink_lines, *network_lines, *_subdomain_lines(demand, usage))
    placement, rack_map = None, None
    if chosen and network and address and all(line.ok for line in lines):
        place, units, (switch, port_name) = chosen
        placement = Placement(
            place.name, units, place.ups, uplink_lines[0].subject, switch, port_name,
            network.vlan, network.subnet, address, new_network, path_of(facility, switch),
        )
        held = index.held_units[place.name]
        rack_map = RackMap(place.name, place.height_u, tuple(sorted(set(place.reserved_u))),
                           tuple(sorted(index.occupied[place.name] - held)), tuple(sorted(held)))
    return CapacityReport.model_construct(site=facility.site.code, request=demand, resources=lines,
                                          placement=placement, rack_map=rack_map)
