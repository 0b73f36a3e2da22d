"""The facility model: the data centre as `inventories/<site>/facility.yml` describes it.

`load_facility(site_dir)` reads and validates the file once, at the edge. Field problems and cross references
(a rack naming an unknown UPS, a VLAN range containing the staging VLAN, a supernet too small for the agency
prefix length, a port range that does not parse, duplicate names) are all reported together as one `BadInput`
whose problems name the field (`racks[1].ups: ...`). Inside the program a `Facility` is a trusted value.

Agency addressing: each agency gets one subnet of `agency_prefix_len` out of `supernet`. Its usable hosts are
numbered from 1; the first `reserved_hosts` of them are kept for the network (host 1 is the gateway, the SVI
on the layer-3 switch), and servers get host `reserved_hosts + 1` onwards. With a /27 and 4 reserved hosts,
10.231.0.0/27 has gateway 10.231.0.1, reserves .1 to .4 and gives its first server 10.231.0.5. The supernet
holds none of the facility's own addresses (DNS, NTP, monitoring, switch management): sooner or later an
agency would get them.

Bounds (a file beyond them is refused, naming the field): every number is a YAML number (not text, not
true/false), finite, and within what a building holds. A UPS carries at most 10 MVA (`capacity_va`), a genset
100,000 kVA with at most 3 decimals, a rack 1 MW (`power_budget_w`) and 100 units; base loads are at most
10 MW on a UPS and 100 MW on a genset; power factors and `max_load_ratio` lie in (0, 1] with at most 4
decimals; an uplink carries at most 10 Tbit/s (10,000,000 Mbps). At most 100 UPSs, 100 gensets, 100 uplinks,
1,000 racks and 1,000 switches; a port range holds at most 1,024 ports and the facility at most 10,000 server
ports. Agency VLANs and the staging VLAN lie in 2..4094 (VLAN 1 is every switch's default VLAN; 1002-1005 are
also refused when a cisco_ios switch is present, which reserves them). The supernet is at most a /8 and lies
outside 0/8, 127/8, 169.254/16 and 224/3; an agency subnet is a /16 to a /30. At most 3 DNS servers (what a
resolver reads), 6 search domains and 8 NTP servers. `dns.zone` and `dns.update` come together; a reverse zone
is a /8, /16 or /24 of the agency supernet. Every text field is one line of visible characters
(`provisioner.plaintext`).

A switch's platform is one of those proven against a switch CLI (cisco_ios, mikrotik_routeros); another
is refused, naming the switch and the supported platforms.

Server port names are read per platform and kept in the platform's own spelling: `Gi1/0/01` on cisco_ios
is `GigabitEthernet1/0/1`, so two entries that name the same physical port are refused. Ranges are kept as
ranges (`PortRange`) and expanded only when a command asks for a switch's ports.

Links (`links:`, each end `switch:port`) are the trunks between switches. An end names a known switch and a
port of its platform that is not a server port, and no port holds two cables; the links form a tree (no
loop), and every switch with server ports reaches a layer-3 switch over them (`Facility.uplink_path`).
"""

from __future__ import annotations

import builtins
import heapq
import ipaddress
import re
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    ValidationError,
    model_validator,
)

from provisioner.errors import BadInput
from provisioner.organisation import Letterhead, Organisation
from provisioner.plaintext import check_plain_text
from provisioner.request import error_lines
from provisioner.safe_yaml import load_yaml_file

if TYPE_CHECKING:
    from provisioner.secrets import CredentialSource
from provisioner.topology import Topology, Trunk, TrunkEnd, UplinkPath

FACILITY_FILE = "facility.yml"
MAX_PORTS_PER_RANGE = 1024
MAX_SERVER_PORTS = 10_000
MAX_PROBLEMS = 50
CISCO_RESERVED_VLANS = range(1002, 1006)
_NOT_FOR_HOSTS = tuple(
    ipaddress.IPv4Network(n) for n in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3")
)

Text = Annotated[str, AfterValidator(check_plain_text)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Domain = Annotated[
    str, Field(max_length=253, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
]


_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?", re.ASCII)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _number(value: object) -> object:
    """A YAML number: `1e5000` and `"0.9"` are text in YAML, and true/false are not amounts."""
    if isinstance(value, str | bool):
        raise ValueError("must be a number (not text or true/false)")
    return value


Ratio = Annotated[Decimal, BeforeValidator(_number), Field(gt=0, le=1, decimal_places=4)]
Kva = Annotated[Decimal, BeforeValidator(_number), Field(gt=0, le=100_000, decimal_places=3)]


def _host_address(address: ipaddress.IPv4Address) -> ipaddress.IPv4Address:
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        raise ValueError(f"{address} is not the address of a host")
    return address


HostAddress = Annotated[ipaddress.IPv4Address, AfterValidator(_host_address)]


def _host(value: str) -> str:
    """An IP address or a DNS host name (where a switch answers SSH)."""
    if _ip(value) is None and not _HOSTNAME.fullmatch(value):
        raise ValueError("must be an IP address or a host name")
    return value


def _supernet(net: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if net.prefixlen < 8:
        raise ValueError(f"{net} is larger than a /8 (agency subnets come from at most 16,777,216 addresses)")
    if special := next((s for s in _NOT_FOR_HOSTS if net.overlaps(s)), None):
        raise ValueError(f"{net} overlaps {special}, which is not for host addresses")
    return net


def _url(value: str) -> str:
    """An http(s) URL whose host is an IPv4 address: the servers' firewalls admit the monitoring system by
    that address, and anything else there (a name, a list, a range) would change what they admit."""
    try:
        ipaddress.IPv4Address(urllib.parse.urlsplit(value).hostname or "")
    except ValueError:
        raise ValueError("the host must be an IPv4 address (http://10.0.0.9:9090/...), as the servers' "
                         "firewalls admit the monitoring system by address") from None
    return value


def floor_watts(value: Decimal) -> int:
    """Whole watts, rounded down: a limit is never rounded up past what the source can carry."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


# ---- Server ports: names per platform, ranges ----


def _spellings(types: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Lower-case spellings (the full name and its abbreviations) of each interface type."""
    return {spelling: name for name, short in types.items() for spelling in (name.lower(), *short)}


@dataclass(frozen=True)
class _Platform:
    """How a platform names a server port: an interface type, then numbers separated by '/'."""

    pattern: re.Pattern[str]  # groups `type` and `numbers`
    types: Mapping[str, str] | None = None  # lower-case spelling -> the type's name; None: as written

    def parse(self, name: str) -> tuple[str, int] | None:
        """(`GigabitEthernet1/0/`, 7) for `Gi1/0/07`: the canonical name up to its last number, and that."""
        match = self.pattern.fullmatch(name)
        if match is None:
            return None
        kind = match["type"] if self.types is None else self.types.get(match["type"].lower())
        if kind is None:
            return None
        *head, last = (int(n) for n in match["numbers"].split("/"))
        return kind + "".join(f"{n}/" for n in head), last


_SLOTS = r"(?P<numbers>\d+(?:/\d+){0,2})"
_ETHERNET = {"Ethernet": ("e", "et", "eth")}
PLATFORMS: Mapping[str, _Platform] = {
    "cisco_ios": _Platform(
        re.compile(r"(?P<type>[A-Za-z]+)" + _SLOTS, re.ASCII),
        _spellings({
            "FastEthernet": ("fa",), "GigabitEthernet": ("gi", "gig"), "TwoGigabitEthernet": ("tw",),
            "TenGigabitEthernet": ("te", "ten"), "TwentyFiveGigE": ("twe",), "FortyGigabitEthernet": ("fo",),
            "HundredGigE": ("hu",), **_ETHERNET,
        }),
    ),
    "mikrotik_routeros": _Platform(
        re.compile(r"(?P<type>ether|sfp-sfpplus|sfp|qsfpplus\d+-)(?P<numbers>\d+)", re.ASCII)
    ),
}


@dataclass(frozen=True, order=True)
class PortRange:
    """The ports `prefix + n` for n from first to last (one port when they are equal), canonically spelt."""

    prefix: str
    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def names(self) -> Iterator[str]:
        return (f"{self.prefix}{n}" for n in range(self.first, self.last + 1))


def _parse_spec(platform: _Platform, spec: str) -> PortRange | None:
    """A port name, or a range whose last number is `first-last` (or `first-<name>last`); None if neither."""
    if single := platform.parse(spec):
        return PortRange(single[0], single[1], single[1])
    for cut in (i for i in range(len(spec) - 1, 0, -1) if spec[i] == "-"):
        start, end = platform.parse(spec[:cut]), spec[cut + 1:]
        if start is None:
            continue
        stop = (start[0], int(end)) if end.isascii() and end.isdigit() else platform.parse(end)
        if stop is None or stop[0] != start[0]:
            continue
        if stop[1] < start[1] or stop[1] - start[1] >= MAX_PORTS_PER_RANGE:
            raise ValueError(f"{spec!r}: a range runs upwards and holds at most {MAX_PORTS_PER_RANGE}")
        return PortRange(start[0], start[1], stop[1])
    return None


def parse_ports(platform: str, specs: Iterable[str]) -> tuple[PortRange, ...]:
    """Port names and ranges (`GigabitEthernet1/0/1-40`, `ge-0/0/0-47`, `1-48`, `ether1-24`), unexpanded.

    Every name must be one the platform uses; ValueError says which spec is wrong and why.
    """
    known = PLATFORMS.get(platform)
    if known is None:
        raise ValueError(f"unknown platform {platform!r} (one of: {', '.join(sorted(PLATFORMS))})")
    ranges = []
    for spec in specs:
        port_range = _parse_spec(known, spec)
        if port_range is None:
            raise ValueError(f"{spec!r} is not a {platform} port name or range of port names")
        ranges.append(port_range)
    return tuple(ranges)


def expand_ports(ranges: Iterable[PortRange]) -> tuple[str, ...]:
    """Every port name of the ranges, in order."""
    return tuple(name for port_range in ranges for name in port_range.names())


def _port_overlaps(field: str, ranges: Sequence[PortRange]) -> list[str]:
    """Ports that more than one entry names (`Gi1/0/1-10` and `GigabitEthernet1/0/10`), without expanding."""
    times: dict[str, int] = {}
    by_prefix: defaultdict[str, list[PortRange]] = defaultdict(list)
    for port_range in ranges:
        by_prefix[port_range.prefix].append(port_range)
    for group in by_prefix.values():
        open_ends: list[int] = []  # a heap: the last ports of the earlier entries
        for port_range in sorted(group):
            while open_ends and open_ends[0] < port_range.first:
                heapq.heappop(open_ends)
            if open_ends:
                name = f"{port_range.prefix}{port_range.first}"
                times[name] = max(times.get(name, 0), len(open_ends) + 1)
            heapq.heappush(open_ends, port_range.last)
    return [f"{field}: {name!r} appears {n} times" for name, n in times.items()]


# ---- The model ----


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Model):
    code: Name
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    domain: Domain


class Ups(_Model):
    name: Name
    capacity_va: Annotated[StrictInt, Field(gt=0, le=10_000_000)]
    power_factor: Ratio
    base_load_w: Annotated[StrictInt, Field(ge=0, le=10_000_000)]


class Genset(_Model):
    name: Name
    capacity_kva: Kva
    power_factor: Ratio
    base_load_w: Annotated[StrictInt, Field(ge=0, le=100_000_000)]


class Power(_Model):
    max_load_ratio: Ratio
    ups: tuple[Ups, ...] = Field(min_length=1, max_length=100)
    gensets: tuple[Genset, ...] = Field(default=(), max_length=100)

    def ups_limit_w(self, ups: Ups) -> int:
        """What the capacity check may plan on a UPS: VA x power factor x max_load_ratio, in whole watts."""
        return floor_watts(ups.capacity_va * ups.power_factor * self.max_load_ratio)

    def genset_limit_w(self, genset: Genset) -> int:
        """What the capacity check may plan on a genset: kVA x 1000 x power factor x max_load_ratio."""
        return floor_watts(genset.capacity_kva * 1000 * genset.power_factor * self.max_load_ratio)


class Rack(_Model):
    name: Name
    height_u: Annotated[StrictInt, Field(ge=1, le=100)]
    power_budget_w: Annotated[StrictInt, Field(ge=0, le=1_000_000)]
    ups: Name
    reserved_u: tuple[StrictInt, ...] = Field(default=(), max_length=100)

    @cached_property
    def free_units(self) -> frozenset[int]:
        """The units servers may use (1 is the bottom), leaving out the reserved ones."""
        return frozenset(range(1, self.height_u + 1)) - set(self.reserved_u)


class Uplink(_Model):
    name: Name
    capacity_mbps: Annotated[StrictInt, Field(gt=0, le=10_000_000)]
    committed_mbps: Annotated[StrictInt, Field(ge=0, le=10_000_000)]


class Switch(_Model):
    name: Name
    platform: str = Field(max_length=64)
    host: Annotated[str, Field(min_length=1, max_length=253), AfterValidator(_host)]
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 22
    credentials: Name
    rack: Name
    server_ports: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = Field(min_length=1)
    layer3: bool = False

    @cached_property
    def port_ranges(self) -> tuple[PortRange, ...]:
        """The server ports as the file gives them, names and ranges parsed, nothing expanded."""
        return parse_ports(self.platform, self.server_ports)

    @property
    def port_count(self) -> int:
        return sum(r.count for r in self.port_ranges)

    @cached_property
    def ports(self) -> tuple[str, ...]:
        """The server ports, ranges expanded (on first use), in the order the file gives them."""
        return expand_ports(self.port_ranges)

    @property
    def endpoint(self) -> tuple[str, int]:
        """Where the switch answers, one way of writing it: (`10.0.0.2`, 22), host names in lower case."""
        address = _ip(self.host)
        return (address.compressed if address else self.host.lower().rstrip(".")), self.port

    def is_server_port(self, canonical: str) -> bool:
        """Whether the port (spelt the platform's way) is one of the server ports, without expanding them."""
        parsed = PLATFORMS[self.platform].parse(canonical)
        return parsed is not None and any(
            r.prefix == parsed[0] and r.first <= parsed[1] <= r.last for r in self.port_ranges
        )


LinkEnd = Annotated[
    Text, Field(min_length=3, max_length=130, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*:[^\s:]+$")
]


class Link(_Model):
    """A trunk between two switches: each end `switch:port` (`sw-core-01:GigabitEthernet1/0/48`)."""

    a: LinkEnd
    b: LinkEnd


class Vlans(_Model):
    range: tuple[StrictInt, StrictInt]
    name_prefix: str = Field(default="", max_length=12, pattern=r"^[A-Za-z0-9_-]*$")  # + 20-char code <= 32
    staging: Annotated[StrictInt, Field(ge=2, le=4094)]

    @property
    def ids(self) -> builtins.range:
        """The VLAN ids agencies may get, in order."""
        return range(self.range[0], self.range[1] + 1)

    def name_for(self, agency: str) -> str:
        """The VLAN name of an agency: the prefix followed by the agency code."""
        return f"{self.name_prefix}{agency}"


class Addressing(_Model):
    supernet: Annotated[ipaddress.IPv4Network, AfterValidator(_supernet)]
    agency_prefix_len: Annotated[StrictInt, Field(ge=16, le=30)]
    reserved_hosts: Annotated[StrictInt, Field(ge=1, le=65_533)]

    def gateway(self, subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
        """Host 1 of the subnet."""
        return subnet.network_address + 1

    def server_hosts(self, subnet: ipaddress.IPv4Network) -> range:
        """Integer addresses servers may get in the subnet: after the reserved hosts, before broadcast."""
        base = int(subnet.network_address)
        return range(base + self.reserved_hosts + 1, int(subnet.broadcast_address))


def _zone(name: str) -> str:
    if any(len(label) > 63 for label in name.split(".")):
        raise ValueError("a DNS label holds at most 63 characters")
    return name


def _reverse_network(net: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if net.prefixlen not in (8, 16, 24):
        raise ValueError(f"{net}: a reverse zone is a /8, /16 or /24 (one in-addr.arpa zone per network)")
    return net


Zone = Annotated[Domain, AfterValidator(_zone)]
CredentialsName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]


class DnsUpdate(_Model):
    """Where and how application records are written: RFC 2136 dynamic update signed with a TSIG key, the
    key being the secret named by `credentials` (provisioner.secrets.tsig_key), never in this file."""

    kind: Literal["rfc2136"] = "rfc2136"
    server: HostAddress
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 53
    credentials: CredentialsName


class Dns(_Model):
    """The site's resolvers and search domains; with `zone` and `update`, the zone where application
    subdomains get their A records, and the agency networks whose reverse zones get PTR records."""

    servers: tuple[HostAddress, ...] = Field(min_length=1, max_length=3)
    search: tuple[Domain, ...] = Field(default=(), max_length=6)
    zone: Zone | None = None
    update: DnsUpdate | None = None
    reverse_zones: tuple[Annotated[ipaddress.IPv4Network, AfterValidator(_reverse_network)], ...] = Field(
        default=(), max_length=256)
    ca_bundle: Annotated[Text, Field(min_length=2, max_length=4096, pattern=r"^/")] | None = None
    """CA certificates (PEM) the access check trusts for HTTPS, an absolute path on this machine."""

    def reverse_zone_for(self, address: ipaddress.IPv4Address) -> ipaddress.IPv4Network | None:
        """The configured reverse zone holding `address`'s PTR name (the most specific), if any."""
        holding = [net for net in self.reverse_zones if address in net]
        return max(holding, key=lambda net: net.prefixlen, default=None)


AbsolutePath = Annotated[Text, Field(min_length=1, max_length=4096, pattern=r"^/")]


class MonitoringHost(_Model):
    """The monitoring host, reached over SSH: the target files are written there (temporary file, mode and
    owner, rename). Its host key is pinned in the register on first contact, like a switch's. The login is
    the secret named by `credentials` (provisioner.secrets.ssh_login: a user and a private key file)."""

    address: HostAddress
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 22
    credentials: CredentialsName
    file_owner: Name | None = None
    """Owner the files get (`chown`), where Prometheus must own or read them as a given user."""
    file_group: Name | None = None
    file_mode: Annotated[str, Field(pattern=r"^0?[0-7]{3}$")] = "0644"
    """Octal mode of the files (Prometheus needs read access: 0644 unless owner/group say otherwise)."""


class Probes(_Model):
    """blackbox_exporter probes of the request's applications: one file_sd file per request in `file_sd_dir`
    (on the monitoring host), read by a Prometheus job that probes each URL with blackbox module `module`."""

    file_sd_dir: AbsolutePath
    module: Name = "http_2xx"


class Monitoring(_Model):
    """The monitoring system. Prometheus: its API `url`, the `file_sd_dir` its node job reads. With `host`
    the directory is on that host, written over SSH; without it, on the machine `colo` runs on (as before).
    With `probes`, each application's URL is also probed by blackbox_exporter; without it, none is.
    Zabbix: its API `url` and the `credentials` name its API user is kept under."""

    kind: Literal["prometheus", "zabbix"]
    url: Annotated[Text, Field(max_length=2000, pattern=r"^https?://[^\s]+$"), AfterValidator(_url)]
    file_sd_dir: AbsolutePath | None = None
    host: MonitoringHost | None = None
    probes: Probes | None = None
    credentials: Annotated[Text, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")] | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Monitoring:
        if self.kind == "prometheus" and self.file_sd_dir is None:
            raise ValueError("a prometheus monitoring section needs file_sd_dir")
        if self.kind == "zabbix" and self.credentials is None:
            raise ValueError("a zabbix monitoring section needs credentials (its API user's entry name)")
        return self

    @property
    def address(self) -> ipaddress.IPv4Address:
        """The monitoring system's address (the host of its URL)."""
        return ipaddress.IPv4Address(urllib.parse.urlsplit(self.url).hostname)


class Facility(_Model):
    site: Site
    power: Power
    racks: tuple[Rack, ...] = Field(min_length=1, max_length=1000)
    uplinks: tuple[Uplink, ...] = Field(min_length=1, max_length=100)
    switches: tuple[Switch, ...] = Field(min_length=1, max_length=1000)
    links: tuple[Link, ...] = Field(default=(), max_length=1000)
    vlans: Vlans
    addressing: Addressing
    dns: Dns
    ntp: tuple[HostAddress, ...] = Field(default=(), max_length=8)
    monitoring: Monitoring
    credentials_file: Path | None = None
    """The dotenv file of the site's secrets (relative to the site folder); $COLO_CREDENTIALS_FILE wins."""
    organisation: Organisation = Organisation()
    _site_dir: Path | None = PrivateAttr(default=None)

    def credential_source(self) -> CredentialSource:
        """Where this site's secrets come from (its credentials file, relative to the site folder)."""
        from provisioner.secrets import CredentialSource

        named = self.credentials_file
        if named is None:
            return CredentialSource()
        return CredentialSource(self._site_dir / named if self._site_dir is not None else named)

    def letterhead(self) -> Letterhead:
        """What every document's letterhead shows of the site and its office, and where its signers'
        secrets come from."""
        return Letterhead(self.site.code, self.site.name, self.site.domain, self.organisation,
                          self.credential_source())

    def rack(self, name: str) -> Rack:
        return next(r for r in self.racks if r.name == name)

    def ups(self, name: str) -> Ups:
        return next(u for u in self.power.ups if u.name == name)

    def switch(self, name: str) -> Switch:
        return next(s for s in self.switches if s.name == name)

    def switches_in(self, rack: str) -> tuple[Switch, ...]:
        return tuple(s for s in self.switches if s.rack == rack)

    @cached_property
    def topology(self) -> Topology:
        """The switches and the trunks between them, every port spelt the platform's way."""
        switches = {s.name: s for s in self.switches}
        ends = [(_trunk_end(switches, link.a)[0], _trunk_end(switches, link.b)[0]) for link in self.links]
        trunks = [Trunk(a, b) for a, b in ends if a is not None and b is not None]  # all of them, once loaded
        return Topology(switches, (s.name for s in self.switches if s.layer3), trunks)

    def uplink_path(self, switch: str) -> UplinkPath:
        """The path from `switch` over trunks to the layer-3 switch holding its VLANs' gateways."""
        path = self.topology.path_to_layer3(switch)
        if path is None:  # refused when the file loaded
            raise ValueError(f"{switch} reaches no layer-3 switch")
        return path

    def agency_subnets(self) -> Iterator[ipaddress.IPv4Network]:
        """Every subnet an agency may get, in address order (lazily: a /8 holds millions of /30s)."""
        return self.addressing.supernet.subnets(new_prefix=self.addressing.agency_prefix_len)

    @property
    def agency_subnet_count(self) -> int:
        return 1 << max(self.addressing.agency_prefix_len - self.addressing.supernet.prefixlen, 0)

    def own_addresses(self) -> Iterator[tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address]]:
        """The facility's own addresses (DNS, NTP, switch management, monitoring), each with its field."""
        yield from ((f"dns.servers[{i}]", a) for i, a in enumerate(self.dns.servers))
        if self.dns.update is not None:
            yield "dns.update.server", self.dns.update.server
        yield from ((f"ntp[{i}]", a) for i, a in enumerate(self.ntp))
        for i, switch in enumerate(self.switches):
            if address := _ip(switch.host):
                yield f"switches[{i}].host", address
        yield "monitoring.url", self.monitoring.address
        if self.monitoring.host is not None:
            yield "monitoring.host.address", self.monitoring.host.address


def _duplicates(field: str, names: Sequence[str]) -> list[str]:
    return [f"{field}: {name!r} appears {n} times" for name, n in Counter(names).items() if n > 1]


def _switch_problems(f: Facility) -> list[str]:
    """Unknown racks and platforms, port names, ports named twice, the facility's port total, endpoints."""
    problems: list[str] = []
    rack_names = {r.name for r in f.racks}
    total, seen = 0, dict[tuple[str, int], int]()
    for i, switch in enumerate(f.switches):
        if switch.rack not in rack_names:
            problems.append(f"switches[{i}].rack: {switch.rack!r} is not a rack in racks")
        if (earlier := seen.setdefault(switch.endpoint, i)) != i:
            host, port = switch.endpoint
            problems.append(
                f"switches[{i}].host: {host} port {port} is also switches[{earlier}]; one switch, one entry"
            )
        if switch.platform not in PLATFORMS:
            problems.append(f"switches[{i}].platform: switch {switch.name!r} names {switch.platform!r}, "
                            f"not a supported platform (supported: {', '.join(sorted(PLATFORMS))})")
            continue
        try:
            ranges = switch.port_ranges
        except ValueError as exc:
            problems.append(f"switches[{i}].server_ports: {exc}")
            continue
        problems += _port_overlaps(f"switches[{i}].server_ports", ranges)
        before, total = total, total + sum(r.count for r in ranges)
        if before <= MAX_SERVER_PORTS < total:
            problems.append(f"switches[{i}].server_ports: these bring the facility to {total} server ports, "
                            f"more than {MAX_SERVER_PORTS}")
    return problems


def _trunk_end(switches: Mapping[str, Switch], end: str) -> tuple[TrunkEnd | None, str]:
    """The end `switch:port` with the port spelt the platform's way, or None and what is wrong with it
    (nothing when the switch itself is refused)."""
    name, _, port = end.partition(":")
    switch = switches.get(name)
    if switch is None:
        return None, f"{name!r} is not a switch in switches"
    platform = PLATFORMS.get(switch.platform)
    if platform is None:
        return None, ""  # the switch's platform is refused on its own
    parsed = platform.parse(port)
    if parsed is None:
        return None, f"{port!r} is not a {switch.platform} port name"
    canonical = f"{parsed[0]}{parsed[1]}"
    try:
        server_port = switch.is_server_port(canonical)
    except ValueError:
        return None, ""  # the switch's server_ports are refused on their own
    if server_port:
        return None, f"{canonical} is one of {name}'s server_ports; a trunk needs a port of its own"
    return TrunkEnd(name, canonical), ""


def _link_problems(f: Facility) -> list[str]:
    """Ends on unknown switches or ports, on server ports or used twice; loops; switches cut off layer 3."""
    switches = {s.name: s for s in f.switches}
    problems: list[str] = []
    cabled: dict[TrunkEnd, str] = {}
    unchecked = False
    for i, link in enumerate(f.links):
        for side, text in (("a", link.a), ("b", link.b)):
            end, problem = _trunk_end(switches, text)
            if end is None:
                problems += [f"links[{i}].{side}: {problem}"] if problem else []
                unchecked = unchecked or not problem
            elif (earlier := cabled.setdefault(end, f"links[{i}].{side}")) != f"links[{i}].{side}":
                problems.append(f"links[{i}].{side}: {end} is also {earlier}; a port holds one cable")
    if problems or unchecked:
        return problems
    topology = f.topology
    if (loop := topology.first_loop()) is not None:
        trunk = topology.trunks[loop]
        return [f"links[{loop}]: {trunk.a} - {trunk.b} closes a loop; the links between switches must form a "
                "tree"]
    return [
        f"links: switches[{i}] ({switch.name}) has server ports but reaches no layer-3 switch (layer3: true)"
        for i, switch in enumerate(f.switches)
        if switch.server_ports and topology.path_to_layer3(switch.name) is None
    ]


def _vlan_problems(f: Facility) -> list[str]:
    low, high = f.vlans.range
    staging = f.vlans.staging
    problems = []
    if not 1 <= low <= high <= 4094:
        problems.append(f"vlans.range: [{low}, {high}] must run upwards within 1..4094")
    elif low == 1:
        problems.append(f"vlans.range: [{low}, {high}] holds VLAN 1, every switch's default VLAN; start at 2")
    if low <= staging <= high:
        problems.append(f"vlans.staging: {staging} lies inside vlans.range [{low}, {high}]")
    if any(s.platform == "cisco_ios" for s in f.switches):
        reserved = CISCO_RESERVED_VLANS
        if low <= reserved[-1] and high >= reserved[0]:
            problems.append(f"vlans.range: [{low}, {high}] holds VLANs 1002-1005, which cisco_ios reserves")
        if staging in reserved:
            problems.append(f"vlans.staging: {staging} is one of VLANs 1002-1005, which cisco_ios reserves")
    return problems


def _addressing_problems(f: Facility) -> list[str]:
    a = f.addressing
    if a.agency_prefix_len < a.supernet.prefixlen:
        return [f"addressing.supernet: {a.supernet} is too small for agency_prefix_len {a.agency_prefix_len}"]
    problems = [
        f"addressing.supernet: {a.supernet} holds {field} ({address}); agency subnets are given from it"
        for field, address in f.own_addresses()
        if address in a.supernet
    ]
    if a.reserved_hosts + 1 > 2 ** (32 - a.agency_prefix_len) - 2:
        problems.append(
            f"addressing.reserved_hosts: {a.reserved_hosts} leaves no server address "
            f"in a /{a.agency_prefix_len}"
        )
    return problems


def _dns_problems(f: Facility) -> list[str]:
    """Dynamic update needs its zone and the zone its update; reverse zones lie within the agency supernet."""
    dns, problems = f.dns, []
    if dns.zone is not None and dns.update is None:
        problems.append("dns.update: needed with dns.zone (server, port, credentials of the TSIG key)")
    if dns.update is not None and dns.zone is None:
        problems.append("dns.zone: needed with dns.update (the zone application subdomains are created in)")
    if dns.reverse_zones and dns.update is None:
        problems.append("dns.update: needed with dns.reverse_zones")
    for i, net in enumerate(dns.reverse_zones):
        if not net.overlaps(f.addressing.supernet):
            problems.append(f"dns.reverse_zones[{i}]: {net} holds no address of addressing.supernet "
                            f"{f.addressing.supernet}")
    return problems + _duplicates("dns.reverse_zones", [str(net) for net in dns.reverse_zones])


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
    problems += f.organisation.problems()
    problems += _switch_problems(f) + _link_problems(f) + _vlan_problems(f) + _addressing_problems(f)
    return problems + _dns_problems(f)


def _refused(source: str, problems: list[str]) -> BadInput:
    """The refusal, with at most MAX_PROBLEMS lines (a broken generated file can hold thousands)."""
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
    return BadInput(f"{source}: the facility file is invalid", shown)


def parse_facility(data: object, source: str = FACILITY_FILE) -> Facility:
    """Validate facility data (already parsed YAML); BadInput lists every problem by field path."""
    try:
        facility = Facility.model_validate(data)
    except ValidationError as exc:
        raise _refused(source, error_lines(exc)) from None
    if problems := _cross_problems(facility):
        raise _refused(source, problems)
    return facility


def load_facility(site_dir: Path) -> Facility:
    """Read and validate `<site_dir>/facility.yml`."""
    path = site_dir / FACILITY_FILE
    facility = parse_facility(load_yaml_file(path), str(path))
    facility._site_dir = site_dir
    return facility
