"""DNS servers behind one protocol (`DnsBackend`), chosen by the facility's `dns.update.kind`.

The DNS stage of step 6 and step 3's subdomain check use:
`server_records(facility.dns, address, subdomains)` -> the records wanted; `open_backend(facility)`;
`backend.plan(records)` (--check: what would be added; DnsConflict for a taken name; store `plan.add` before
writing); `backend.ensure(records, ours=<the stored plan.add>)` -> DnsResult (store it: `made` is what this
request made, even when an earlier run was interrupted between the update and storing its result);
`backend.remove(result.made)` at decommission; `backend.lookup(name)` for a subdomain already in the zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from provisioner.dns.base import (
    DnsBackend,
    DnsConflict,
    DnsName,
    DnsPlan,
    DnsRecord,
    DnsRefused,
    DnsRemoval,
    DnsResult,
)
from provisioner.dns.records import server_records
from provisioner.dns.rfc2136 import Rfc2136
from provisioner.errors import BadInput
from provisioner.facility import DnsUpdate, Facility
from provisioner.secrets import TsigKey

__all__ = ["DnsBackend", "DnsConflict", "DnsName", "DnsPlan", "DnsRecord", "DnsRefused", "DnsRemoval",
           "DnsResult", "open_backend", "server_records"]

BACKENDS: Mapping[str, Callable[[str, int, TsigKey], DnsBackend]] = {"rfc2136": Rfc2136}


def open_backend(facility: Facility) -> DnsBackend:
    """The backend for the facility's `dns.update`, signing with the TSIG key its credentials name."""
    update: DnsUpdate | None = facility.dns.update
    if update is None:
        raise BadInput("dns.update: the site names no DNS server to create application records on")
    key = facility.credential_source().tsig_key(update.credentials)
    return BACKENDS[update.kind](str(update.server), update.port, key)
