"""RFC 2136 dynamic update signed with TSIG (dnspython), to the site's primary server over TCP.

Reads ask the same server (authoritative, no cache between). An add carries the prerequisite that the name
holds no record of its type, a delete that the record still holds its value: what someone else wrote in
between is never overwritten or deleted. One update per zone for the adds; one per record for the deletes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from itertools import groupby

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update

from provisioner.dns.base import DnsConflict, DnsName, DnsPlan, DnsRecord, DnsRefused, DnsRemoval, DnsResult
from provisioner.errors import BadInput, InfrastructureError
from provisioner.secrets import TsigKey

TIMEOUT_S = 5.0
MAX_ATTEMPTS = 3  # an add whose prerequisite failed (a name written meanwhile) is planned again
_TSIG_ERRORS: tuple[tuple[type[dns.tsig.PeerError], str], ...] = (
    (dns.tsig.PeerBadKey, "BADKEY"), (dns.tsig.PeerBadSignature, "BADSIG"),
    (dns.tsig.PeerBadTime, "BADTIME"), (dns.tsig.PeerBadTruncation, "BADTRUNC"),
)


def _absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name)


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


class Rfc2136:
    """The DNS backend of `dns.update.kind: rfc2136`."""

    def __init__(self, server: str, port: int, key: TsigKey) -> None:
        self.server, self.port = server, port
        try:
            base64.b64decode(key.secret, validate=True)
        except binascii.Error:
            raise BadInput(f"the TSIG key {key.name!r}: its secret is not base64") from None
        self._key = dns.tsig.Key(key.name, key.secret, key.algorithm)
        try:
            dns.tsig.get_context(self._key)  # type: ignore[no-untyped-call]  # dnspython leaves it untyped
        except NotImplementedError:
            raise BadInput(f"the TSIG key {key.name!r}: algorithm {key.algorithm!r} is not one dnspython "
                           "signs with (hmac-sha256, hmac-sha512, ...)") from None

    # ---- reads ----
    def _query(self, name: str, rdtype: str) -> dns.message.Message:
        response = self._send(dns.message.make_query(name, rdtype))
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            code = dns.rcode.to_text(response.rcode())
            raise InfrastructureError(f"the DNS server {self._where} answered {code} when asked for {name} "
                                      f"{rdtype}", ["is the name in a zone it serves?"])
        return response

    def _held(self, name: str, rdtype: str) -> tuple[bool, list[tuple[str, str]]]:
        """Whether `name` exists, and the (type, value) pairs it answers for `rdtype` (a CNAME included)."""
        response, owner = self._query(name, rdtype), _absolute(name)
        held = [(dns.rdatatype.to_text(rrset.rdtype), _rdata_text(rrset.rdtype, r))
                for rrset in response.answer if rrset.name == owner for r in rrset]
        return response.rcode() != dns.rcode.NXDOMAIN, held

    def _values(self, record: DnsRecord) -> list[str]:
        """What the record's name holds that bears on it: its type's values, or a CNAME."""
        return [f"{kind} {value}" for kind, value in self._held(record.name, record.type)[1]]

    def lookup(self, name: str) -> DnsName:
        exists, held = self._held(name, "A")
        return DnsName(name=_text(_absolute(name)), exists=exists, values=tuple(value for _, value in held))

    def plan(self, records: Sequence[DnsRecord]) -> DnsPlan:
        add, present = [], []
        for record in records:
            holds = self._values(record)
            if not holds:
                add.append(record)
            elif holds == [f"{record.type} {record.value}"]:
                present.append(record)
            else:
                raise DnsConflict(record, holds)
        return DnsPlan(add=tuple(add), present=tuple(present))

    # ---- writes ----
    def ensure(self, records: Sequence[DnsRecord], *, ours: Sequence[DnsRecord] = ()) -> DnsResult:
        added: list[DnsRecord] = []
        updates = 0
        for _attempt in range(MAX_ATTEMPTS):
            plan = self.plan(records)
            written_meanwhile = False
            for zone, group in groupby(sorted(plan.add, key=lambda r: r.zone), key=lambda r: r.zone):
                update, members = self._update(zone), list(group)
                for record in members:
                    update.absent(_absolute(record.name), record.type)
                    update.add(_absolute(record.name), record.ttl, record.type, _wire_value(record))
                updates += 1
                if self._write(update) == dns.rcode.NOERROR:
                    added += members
                else:
                    written_meanwhile = True
            if not written_meanwhile:
                made = [r for r in records if r in added or r in ours]
                return DnsResult(made=tuple(made), present=tuple(r for r in records if r not in made),
                                 updates=updates)
        raise InfrastructureError(f"the DNS zone kept changing while records were added ({MAX_ATTEMPTS} "
                                  "attempts); run again")

    def remove(self, records: Sequence[DnsRecord]) -> DnsRemoval:
        removed: list[DnsRecord] = []
        absent: list[DnsRecord] = []
        kept: list[DnsRecord] = []
        for record in records:
            holds = self._values(record)
            if f"{record.type} {record.value}" not in holds:
                (kept if holds else absent).append(record)
                continue
            update = self._update(record.zone)
            value = dns.rdata.from_text(dns.rdataclass.IN, record.type, _wire_value(record))
            update.present(_absolute(record.name), value)
            update.delete(_absolute(record.name), value)
            (removed if self._write(update) == dns.rcode.NOERROR else kept).append(record)
        return DnsRemoval(removed=tuple(removed), absent=tuple(absent), kept=tuple(kept))

    def _update(self, zone: str) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(zone, keyring=self._key)

    def _write(self, update: dns.update.UpdateMessage) -> int:
        """Send a signed update; the response code when a prerequisite failed (YXRRSET, NXRRSET), else
        NOERROR; DnsRefused for any other refusal."""
        try:
            code = self._send(update).rcode()
        except dns.tsig.PeerError as exc:
            raise DnsRefused(_tsig_code(exc), self._where) from None
        if code in (dns.rcode.NOERROR, dns.rcode.YXRRSET, dns.rcode.NXRRSET):
            return int(code)
        raise DnsRefused(dns.rcode.to_text(code), self._where)

    @property
    def _where(self) -> str:
        return f"{self.server} port {self.port}"

    def _send(self, message: dns.message.Message) -> dns.message.Message:
        try:
            return dns.query.tcp(message, self.server, port=self.port, timeout=TIMEOUT_S)
        except dns.exception.Timeout:
            raise InfrastructureError(f"the DNS server {self._where} did not answer within {TIMEOUT_S:g} s") \
                from None
        except OSError as exc:
            raise InfrastructureError(f"the DNS server {self._where} did not answer: "
                                      f"{exc.strerror or exc}") from None


def _tsig_code(exc: dns.tsig.PeerError) -> str:
    return next((code for kind, code in _TSIG_ERRORS if isinstance(exc, kind)), "TSIG error")


def _wire_value(record: DnsRecord) -> str:
    """The value as zone-file text: a PTR's target is absolute."""
    return f"{record.value}." if record.type == "PTR" else record.value


def _rdata_text(rdtype: int, rdata: object) -> str:
    text = str(rdata)
    return text.rstrip(".").lower() if rdtype in (dns.rdatatype.PTR, dns.rdatatype.CNAME) else text
