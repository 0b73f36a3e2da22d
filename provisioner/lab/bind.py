"""BIND 9 in the NOC: authoritative for the lab's zone and its reverse zone, taking updates signed with the
TSIG key the lab generates into its credentials file (the key's secret is written only into BIND's own
configuration, readable by root and the `bind` group)."""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Mapping
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode

from provisioner.dns.records import ptr_name, reverse_zone_name
from provisioner.lab import procs
from provisioner.lab.layout import LAB_SUPERNET, NOC_ADDRESS, NOC_NS
from provisioner.secrets import env_prefix

NAMED_BIN = "/usr/sbin/named"
BIND_USER = "bind"
DNS_ADDRESS = NOC_ADDRESS.split("/")[0]
DNS_PORT = 53
LAB_ZONE = "lab.ciamiskab.go.id"
REVERSE_ZONE = reverse_zone_name(ipaddress.IPv4Network(LAB_SUPERNET))
DNS_CREDENTIALS = "dns-lab"
DNS_SECRET_VARIABLE = f"{env_prefix(DNS_CREDENTIALS)}_SECRET"
_NS_NAME = f"ns.{LAB_ZONE}"


def bind_dir(lab_dir: Path) -> Path:
    return lab_dir / "bind"


def pid_file(lab_dir: Path) -> Path:
    """named's pid file (`Lab.down` stops every run/<name>.pid it knows)."""
    return lab_dir / "run" / "named.pid"


def named_conf(base: Path, secret: str) -> str:
    """The server's configuration: authoritative only, IPv4 on the NOC address, no rndc channel."""
    forward = f"grant {DNS_CREDENTIALS} zonesub A AAAA CNAME TXT;"
    reverse = f"grant {DNS_CREDENTIALS} zonesub PTR;"
    return f"""key "{DNS_CREDENTIALS}" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{
    directory "{base}";
    listen-on port {DNS_PORT} {{ {DNS_ADDRESS}; 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    pid-file none;
    session-keyfile none;
    managed-keys-directory "{base}";
}};
controls {{ }};
zone "{LAB_ZONE}" {{ type primary; file "{base}/{LAB_ZONE}.db"; update-policy {{ {forward} }}; }};
zone "{REVERSE_ZONE}" {{ type primary; file "{base}/{REVERSE_ZONE}.db"; update-policy {{ {reverse} }}; }};
"""


def zone_file(records: str) -> str:
    """A zone's starting content: its SOA and NS, then `records` (relative to the zone)."""
    soa = f"{_NS_NAME}. hostmaster.{LAB_ZONE}. 1 3600 600 86400 60"
    return f"$TTL 300\n@ SOA {soa}\n@ NS {_NS_NAME}.\n{records}"


def _write(path: Path, text: str, mode: int) -> None:
    path.write_text(text)
    path.chmod(mode)
    shutil.chown(path, "root", BIND_USER)


def start_bind(lab_dir: Path, credentials: Mapping[str, str]) -> None:
    """Run named inside the NOC namespace unless it runs. Zone files are written once: the records added
    since live in their journals and survive a restart."""
    if procs.pid_of(pid_file(lab_dir)) is not None:
        return
    base = bind_dir(lab_dir)
    base.mkdir(parents=True, exist_ok=True)
    shutil.chown(base, BIND_USER, BIND_USER)
    base.chmod(0o750)
    _write(base / "named.conf", named_conf(base, credentials[DNS_SECRET_VARIABLE]), 0o640)
    own_ptr = f"{ptr_name(ipaddress.IPv4Address(DNS_ADDRESS))}. PTR {_NS_NAME}.\n"
    for zone, records in ((LAB_ZONE, f"ns A {DNS_ADDRESS}\n"), (REVERSE_ZONE, own_ptr)):
        if not (path := base / f"{zone}.db").exists():
            _write(path, zone_file(records), 0o660)
    procs.start(["ip", "netns", "exec", NOC_NS, NAMED_BIN, "-4", "-g", "-u", BIND_USER, "-c",
                 str(base / "named.conf")], pid_file(lab_dir), lab_dir / "log" / "named.log")


def reset_bind(lab_dir: Path, credentials: Mapping[str, str]) -> None:
    """Stop named, forget every record added since the zones were written (zone files and journals), and
    start it again: the zones as `colo lab up` made them."""
    procs.stop(pid_file(lab_dir))
    for path in bind_dir(lab_dir).glob("*.db*"):
        path.unlink()
    start_bind(lab_dir, credentials)


def bind_answers() -> bool:
    """Whether the lab's DNS server answers for its zone (its SOA, over TCP)."""
    try:
        response = dns.query.tcp(dns.message.make_query(LAB_ZONE, "SOA"), DNS_ADDRESS, port=DNS_PORT,
                                 timeout=1.0)
    except (dns.exception.DNSException, OSError):
        return False
    return response.rcode() == dns.rcode.NOERROR and bool(response.answer)


def bind_running(lab_dir: Path) -> bool:
    return procs.pid_of(pid_file(lab_dir)) is not None and bind_answers()

