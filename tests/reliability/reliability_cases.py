"""The malformed inputs: request files and facility files, each a name and the bytes to write.

Each case is built from the valid example (request or lab facility) with one thing broken, so that the
case proves the one rule it names. `field` is the text the error message must contain (the field path or
the problem), so a message that does not say what is wrong fails the test.
"""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REQUEST = ROOT / "examples" / "request-simpeg.yaml"
LAB_FACILITY = ROOT / "inventories" / "lab" / "facility.yml"
REFUSED_FACILITIES = ROOT / "tests" / "data" / "facilities" / "refused"


@dataclass(frozen=True)
class Case:
    """A file's name, its bytes, and what the refusal must name."""

    name: str
    data: bytes
    field: str


def example_request() -> dict[str, Any]:
    return dict(yaml.safe_load(EXAMPLE_REQUEST.read_text()))


def lab_facility() -> dict[str, Any]:
    return dict(yaml.safe_load(LAB_FACILITY.read_text()))


def _dump(data: object) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _set(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A deep copy of `data` with the value at a dotted path (`network.ports.0.port`) replaced or deleted."""
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is _DELETE:
        del node[key]
    else:
        node[key] = value
    return out


_DELETE = object()

# (name, dotted path, new value, text the message must contain)
_REQUEST_FIELDS: list[tuple[str, str, object, str]] = [
    # types
    ("units-as-string", "server.rack_units", "1", "server.rack_units"),
    ("cores-as-float", "server.cpu_cores", 16.5, "server.cpu_cores"),
    ("memory-as-bool", "server.memory_gb", True, "server.memory_gb"),
    ("letter-number-int", "letter.number", 27, "letter.number"),
    ("ports-not-list", "network.ports", "22,443", "network.ports"),
    ("applications-mapping", "applications", {"name": "SIMPEG"}, "applications"),
    ("agency-code-list", "agency.code", ["disdik"], "agency.code"),
    ("date-not-date", "letter.date", "next tuesday", "letter.date"),
    ("hostname-null", "server.hostname", None, "server.hostname"),
    ("os-version-float", "server.os.version", 12.0, "server.os.version"),
    ("contact-scalar", "agency.contact", "Budi", "agency.contact"),
    # ranges
    ("units-zero", "server.rack_units", 0, "server.rack_units"),
    ("units-nine", "server.rack_units", 9, "server.rack_units"),
    ("watts-negative", "server.power_watts", -450, "server.power_watts"),
    ("watts-over", "server.power_watts", 3001, "server.power_watts"),
    ("bandwidth-zero", "network.bandwidth_mbps", 0, "network.bandwidth_mbps"),
    ("bandwidth-over", "network.bandwidth_mbps", 10001, "network.bandwidth_mbps"),
    ("port-zero", "network.ports.0.port", 0, "network.ports[0].port"),
    ("port-65536", "network.ports.1.port", 65536, "network.ports[1].port"),
    ("memory-astronomic", "server.memory_gb", 10**40, "server.memory_gb"),
    ("cores-zero", "server.cpu_cores", 0, "server.cpu_cores"),
    ("letter-number-empty", "letter.number", "", "letter.number"),
    ("letter-number-101", "letter.number", "9" * 101, "letter.number"),
    ("agency-code-short", "agency.code", "d", "agency.code"),
    ("agency-code-long", "agency.code", "d" * 21, "agency.code"),
    ("hostname-64", "server.hostname", "s" * 64, "server.hostname"),
    ("hostname-leading-dash", "server.hostname", "-simpeg", "server.hostname"),
    ("hostname-upper", "server.hostname", "SIMPEG", "server.hostname"),
    ("hostname-dotted", "server.hostname", "simpeg.disdik", "server.hostname"),
    ("protocol-icmp", "network.ports.0.protocol", "icmp", "network.ports[0].protocol"),
    ("scheme-ftp", "applications.0.scheme", "ftp", "applications[0].scheme"),
    # injections: switch descriptions, shell, terminal escapes, templates
    ("hostname-newline-cmd", "server.hostname", "simpeg\nreload", "server.hostname"),
    ("agency-code-semicolon", "agency.code", "dis;reload", "agency.code"),
    ("subject-newline", "letter.subject", "SIMPEG\nconfigure terminal", "letter.subject"),
    ("purpose-crlf-cmd", "network.ports.0.purpose", "ssh\r\nno vlan 1", "network.ports[0].purpose"),
    ("agency-name-escape", "agency.name", "Disdik\x1b[2J", "agency.name"),
    ("contact-name-nul", "agency.contact.name", "Budi\x00", "agency.contact.name"),
    ("subdomain-dots", "applications.0.subdomain", "simpeg.evil.example", "applications[0].subdomain"),
    ("path-shell", "applications.0.path", "/ ; rm -rf /", "applications[0].path"),
    ("path-no-slash", "applications.0.path", "http://10.0.0.1/", "applications[0].path"),
    ("email-shell", "agency.contact.email", "budi@x.id; cat /etc/shadow", "agency.contact.email"),
    ("serial-backtick", "server.serial", "7XK`reboot`", "server.serial"),
    ("os-version-newline", "server.os.version", "12\nx", "server.os.version"),
    ("os-family-jinja", "server.os.family", "{{ lookup('pipe','id') }}", "server.os.family"),
    ("phone-letters", "agency.contact.phone", "call me", "agency.contact.phone"),
    # characters that break mail headers or hide and reverse text (Zl, Zp, Cf, Cc)
    ("agency-name-line-separator", "agency.name", "Dinas\u2028Pendidikan", "agency.name"),
    ("agency-name-paragraph-separator", "agency.name", "Dinas\u2029Pendidikan", "agency.name"),
    ("agency-name-rtl-override", "agency.name", "Dinas \u202eniaC", "agency.name"),
    ("contact-name-zero-width", "agency.contact.name", "Bu\u200bdi", "agency.contact.name"),
    ("subject-bom", "letter.subject", "SIMPEG\ufeff", "letter.subject"),
    ("purpose-isolate", "network.ports.0.purpose", "ssh\u2066", "network.ports[0].purpose"),
    ("vendor-c1-csi", "server.vendor", "Dell\x9b2J", "server.vendor"),
    # e-mail addresses the step 7 mailer cannot send to
    ("email-non-ascii-local", "agency.contact.email", "bédi@disdik.ciamiskab.go.id", "agency.contact.email"),
    ("email-quote", "agency.contact.email", 'bu"di@disdik.ciamiskab.go.id', "agency.contact.email"),
    ("email-two-addresses", "agency.contact.email", "a>,<evil@disdik.go.id", "agency.contact.email"),
    ("email-c1-control", "agency.contact.email", "bu\x9bdi@disdik.ciamiskab.go.id", "agency.contact.email"),
    # structure
    ("unknown-top-key", "priority", "high", "priority"),
    ("unknown-nested-key", "server.ram_gb", 64, "server.ram_gb"),
    ("missing-letter", "letter", _DELETE, "letter"),
    ("missing-hostname", "server.hostname", _DELETE, "server.hostname"),
    ("ports-empty", "network.ports", [], "network.ports"),
    ("app-port-undeclared", "applications.0.port", 8443, "applications"),
    ("tcp-app-with-path", "applications.0.scheme", "tcp", "applications[0].path"),
]


def _repeated_port(data: dict[str, Any]) -> dict[str, Any]:
    return _set(data, "network.ports", [*data["network"]["ports"], dict(data["network"]["ports"][0])])


def _billion_laughs() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _deep(levels: int) -> bytes:
    return ("letter: " + "[" * levels + "]" * levels + "\n").encode()


_RAW_REQUESTS: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty", lambda: b"", "empty"),
    ("only-comment", lambda: b"# nothing here\n", "empty"),
    ("top-level-list", lambda: b"- letter\n- agency\n", "mapping"),
    ("top-level-scalar", lambda: b"just text\n", "mapping"),
    ("billion-laughs", _billion_laughs, "aliases"),
    ("recursive-alias", lambda: b"letter: &a [*a]\n", "alias"),
    ("python-object-tag", lambda: b"letter: !!python/object/apply:os.system ['id']\n", "tag"),
    ("python-name-tag", lambda: b"letter: !!python/name:os.system\n", "tag"),
    ("binary-tag", lambda: b"letter: !!binary aGVsbG8=\n", "tag"),
    ("custom-tag", lambda: b"letter: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n", "tag"),
    ("set-tag", lambda: b"letter: !!set {a, b}\n", "tag"),
    ("duplicate-key", lambda: _dump(example_request()) + b"letter: {}\n", "twice"),
    ("nesting-200", lambda: _deep(200), "nesting"),
    ("syntax-tab-indent", lambda: b"letter:\n\tnumber: 1\n", "not valid YAML"),
    ("syntax-unclosed-quote", lambda: b'letter: {number: "027\n', "not valid YAML"),
    ("binary-random", lambda: bytes(range(256)) * 8, "binary"),
    ("binary-gzip", lambda: gzip.compress(_dump(example_request())), "binary"),
    ("latin1", lambda: _dump(example_request()).replace(b"Budi Santoso", "Budí".encode("latin-1")), "UTF-8"),
    ("utf16", lambda: _dump(example_request()).decode().encode("utf-16"), "binary"),
    ("huge-300k", lambda: _dump(example_request()) + b"#" * 300_000 + b"\n", "larger than"),
    ("huge-8m-string", lambda: b"letter: {number: '" + b"9" * 8_000_000 + b"'}\n", "larger than"),
    ("two-documents", lambda: _dump(example_request()) + b"---\n" + _dump(example_request()), "YAML"),
    ("repeated-port", lambda: _dump(_repeated_port(example_request())), "more than once"),
    ("date-february-30", lambda: _replaced("date: 2026-11-20", "date: 2026-02-30"), "letter.date"),
    ("date-hour-25", lambda: _replaced("date: 2026-11-20", "date: 2026-11-20 25:00:00"), "letter.date"),
    ("int-5000-digits", lambda: _replaced("memory_gb: 64", "memory_gb: " + "9" * 5000), "server.memory_gb"),
]


def _replaced(old: str, new: str) -> bytes:
    """The example request file as written, with one piece of its text replaced."""
    text = EXAMPLE_REQUEST.read_text()
    assert old in text
    return text.replace(old, new, 1).encode()


def request_cases() -> list[Case]:
    base = example_request()
    cases = [Case(n, _dump(_set(base, p, v)), f) for n, p, v, f in _REQUEST_FIELDS]
    cases += [Case(n, make(), f) for n, make, f in _RAW_REQUESTS]
    return cases


# (name, dotted path, new value, text the message must contain)
_FACILITY_FIELDS: list[tuple[str, str, object, str]] = [
    ("missing-site", "site", _DELETE, "site"),
    ("unknown-key", "cooling", {"crac": 2}, "cooling"),
    ("rack-unknown-ups", "racks.0.ups", "UPS-Z", "racks[0].ups"),
    ("rack-height-zero", "racks.0.height_u", 0, "racks[0].height_u"),
    ("rack-reserved-outside", "racks.0.reserved_u", [43], "racks[0].reserved_u"),
    ("power-factor-over-one", "power.ups.0.power_factor", 1.5, "power.ups[0].power_factor"),
    ("load-ratio-zero", "power.max_load_ratio", 0, "power.max_load_ratio"),
    ("ups-capacity-negative", "power.ups.0.capacity_va", -1, "power.ups[0].capacity_va"),
    ("uplink-overcommitted", "uplinks.0.committed_mbps", 900, "uplinks[0].committed_mbps"),
    ("staging-in-range", "vlans.staging", 150, "vlans.staging"),
    ("vlan-range-reversed", "vlans.range", [199, 100], "vlans.range"),
    ("vlan-range-over-4094", "vlans.range", [100, 5000], "vlans.range"),
    ("supernet-too-small", "addressing.supernet", "10.231.0.0/28", "addressing.supernet"),
    ("supernet-not-cidr", "addressing.supernet", "10.231.0.0/33", "addressing.supernet"),
    ("prefix-31", "addressing.agency_prefix_len", 31, "addressing.agency_prefix_len"),
    ("switch-platform-unknown", "switches.0.platform", "cisco_nxos_fake", "switches[0].platform"),
    ("port-range-reversed", "switches.0.server_ports", ["GigabitEthernet1/0/24-1"], "server_ports"),
    ("port-range-huge", "switches.0.server_ports", ["GigabitEthernet1/0/1-99999"], "server_ports"),
    ("port-name-injection", "switches.0.server_ports", ["Gi1/0/1\nreload"], "switches[0].server_ports"),
    ("switch-port-70000", "switches.0.port", 70000, "switches[0].port"),
    ("switch-rack-unknown", "switches.0.rack", "R99", "switches[0].rack"),
    ("credentials-path", "switches.0.credentials", "../../etc/shadow", "switches[0].credentials"),
    ("dns-not-ip", "dns.servers", ["ns1.example"], "dns.servers"),
    ("ntp-not-ip", "ntp", ["pool.ntp.org"], "ntp"),
    ("monitoring-kind", "monitoring.kind", "nagios", "monitoring.kind"),
    ("monitoring-url-ftp", "monitoring.url", "ftp://10.231.253.2/", "monitoring.url"),
    ("site-domain-upper", "site.domain", "LAB.Example", "site.domain"),
    ("duplicate-racks", "racks", [{"name": "R01", "height_u": 42, "power_budget_w": 1, "ups": "UPS-A"}] * 2,
     "racks"),
    # numbers: YAML numbers, finite, within what a building holds
    ("kva-1e5000-text", "power.gensets.0.capacity_kva", "1e5000", "power.gensets[0].capacity_kva"),
    ("kva-1e999999999-text", "power.gensets.0.capacity_kva", "1e999999999", "power.gensets[0].capacity_kva"),
    ("kva-infinite", "power.gensets.0.capacity_kva", float("inf"), "power.gensets[0].capacity_kva"),
    ("kva-over-100000", "power.gensets.0.capacity_kva", 100_001, "power.gensets[0].capacity_kva"),
    ("ups-va-true", "power.ups.0.capacity_va", True, "power.ups[0].capacity_va"),
    ("ups-va-huge", "power.ups.0.capacity_va", 10**15, "power.ups[0].capacity_va"),
    ("power-factor-tiny", "power.ups.0.power_factor", 1e-9, "power.ups[0].power_factor"),
    ("rack-budget-huge", "racks.0.power_budget_w", 10**9, "racks[0].power_budget_w"),
    ("uplink-huge", "uplinks.0.capacity_mbps", 10**12, "uplinks[0].capacity_mbps"),
    # text: one line of visible characters
    ("site-name-newline", "site.name", "Data Center\nLab", "site.name"),
    ("site-name-line-separator", "site.name", "Data Center\u2028Lab", "site.name"),
    ("site-name-rtl-override", "site.name", "Data \u202eCenter", "site.name"),
    ("dns-search-newline", "dns.search", ["lab.ciamiskab.go.id\nnameserver 10.6.6.6"], "dns.search[0]"),
    ("monitoring-url-bidi", "monitoring.url", "http://10.231.253.2:9090/\u202e", "monitoring.url"),
    ("switch-host-newline", "switches.0.host", "127.0.0.1\nreload", "switches[0].host"),
    # VLANs and addressing
    ("vlan-range-holds-1", "vlans.range", [1, 99], "vlans.range"),
    ("staging-vlan-1", "vlans.staging", 1, "vlans.staging"),
    ("staging-vlan-4095", "vlans.staging", 4095, "vlans.staging"),
    ("vlan-range-cisco-reserved", "vlans.range", [1000, 1010], "vlans.range"),
    ("supernet-everything", "addressing.supernet", "0.0.0.0/0", "addressing.supernet"),
    ("supernet-loopback", "addressing.supernet", "127.0.0.0/16", "addressing.supernet"),
    ("supernet-holds-dns", "addressing.supernet", "10.231.0.0/16", "dns.servers[0]"),
    ("supernet-holds-switch", "switches.0.host", "10.231.0.2", "switches[0].host"),
    # the same physical port twice
    ("port-twice-zero-padded", "switches.0.server_ports",
     ["GigabitEthernet1/0/1-24", "GigabitEthernet01/0/01"], "switches[0].server_ports"),
    ("port-twice-abbreviated", "switches.0.server_ports", ["Gi1/0/7", "GigabitEthernet1/0/7"],
     "'GigabitEthernet1/0/7' appears 2 times"),
]


def _switch_twice() -> dict[str, Any]:
    """A third switch entry for the same host and port as the first."""
    data = lab_facility()
    data["switches"].append({**data["switches"][0], "name": "sw-lab-03"})
    return data


def _many_port_ranges() -> dict[str, Any]:
    """9,000 ranges of 1,024 ports: once 20 s and 1.2 GB for every command that loaded the site."""
    data = lab_facility()
    ranges = [f"Ethernet{k}/1-1024" for k in range(1, 9001)]
    data["switches"][0].update(platform="cisco_ios", server_ports=ranges)
    return data

_RAW_FACILITIES: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty", lambda: b"", "empty"),
    ("top-level-list", lambda: b"- site\n", "facility"),
    ("billion-laughs", _billion_laughs, "aliases"),
    ("python-object-tag", lambda: b"site: !!python/object/apply:os.system ['id']\n", "tag"),
    ("binary-random", lambda: bytes(range(256)) * 8, "binary"),
    ("huge-300k", lambda: _dump(lab_facility()) + b"#" * 300_000 + b"\n", "larger than"),
    ("not-utf8", lambda: b"site: {code: dc-lab, name: \"Data Center \xe9\"}\n", "UTF-8"),
    ("switch-twice", lambda: _dump(_switch_twice()), "switches[2].host"),
    ("port-ranges-9000", lambda: _dump(_many_port_ranges()), "switches[0].server_ports"),
]


def facility_cases() -> list[Case]:
    base = lab_facility()
    cases = [Case(n, _dump(_set(base, p, v)), f) for n, p, v, f in _FACILITY_FIELDS]
    cases += [Case(n, make(), f) for n, make, f in _RAW_FACILITIES]
    cases += [Case(p.stem, p.read_bytes(), p.read_text().splitlines()[0].removeprefix("# refused: "))
              for p in sorted(REFUSED_FACILITIES.glob("*.yml"))]  # each names its field on its first line
    return cases
