"""The records one server needs: an A record per application subdomain, and a PTR where a reverse zone holds
the server's address (pointing at its first subdomain, so the reverse name resolves back to the address)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from provisioner.dns.base import DnsRecord
from provisioner.facility import Dns


def reverse_zone_name(network: ipaddress.IPv4Network) -> str:
    """`10.231.0.0/16` -> `231.10.in-addr.arpa` (a /8, /16 or /24)."""
    octets = network.network_address.packed[: network.prefixlen // 8]
    return ".".join([*(str(octet) for octet in reversed(octets)), "in-addr.arpa"])


def ptr_name(address: ipaddress.IPv4Address) -> str:
    """`10.231.0.5` -> `5.0.231.10.in-addr.arpa`."""
    return address.reverse_pointer


def server_records(dns: Dns, address: ipaddress.IPv4Address,
                   subdomains: Sequence[str]) -> tuple[DnsRecord, ...]:
    """The A records (`<subdomain>.<zone>` -> address) and the PTR the site's `dns` section calls for;
    none when the site has no zone."""
    if dns.zone is None or not subdomains:
        return ()
    names = [f"{label}.{dns.zone}" for label in dict.fromkeys(s.lower() for s in subdomains)]
    records = [DnsRecord(zone=dns.zone, name=name, type="A", value=str(address)) for name in names]
    if (network := dns.reverse_zone_for(address)) is not None:
        records.append(DnsRecord(zone=reverse_zone_name(network), name=ptr_name(address), type="PTR",
                                 value=names[0]))
    return tuple(records)
