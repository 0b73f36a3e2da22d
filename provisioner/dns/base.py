"""What every DNS backend offers (`DnsBackend`), the records it writes, its typed results and refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from provisioner.errors import InfrastructureError, Refused

RecordType = Literal["A", "PTR"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DnsRecord(_Model):
    """One record: absolute names in lower case without the final dot (`simpeg.lab.ciamiskab.go.id`)."""

    zone: str
    name: str
    type: RecordType
    value: str
    ttl: int = Field(default=300, ge=1, le=86_400)

    def __str__(self) -> str:
        return f"{self.name} {self.type} {self.value}"


class DnsName(_Model):
    """What the zone holds at a name, asked live: whether the name exists, and its A/CNAME values."""

    name: str
    exists: bool
    values: tuple[str, ...] = ()


class DnsPlan(_Model):
    """The records an update would add, and those the zone already holds with the same value."""

    add: tuple[DnsRecord, ...] = ()
    present: tuple[DnsRecord, ...] = ()


class DnsResult(_Model):
    """What `ensure` did: the records this request made (now, or in an earlier run it was told of), those
    already in place made by someone else, and how many updates this run sent (0: nothing changed)."""

    made: tuple[DnsRecord, ...] = ()
    present: tuple[DnsRecord, ...] = ()
    updates: int = 0

    @property
    def changed(self) -> bool:
        return self.updates > 0


class DnsRemoval(_Model):
    """What `remove` did: records deleted, already gone, or left because someone else changed them."""

    removed: tuple[DnsRecord, ...] = ()
    absent: tuple[DnsRecord, ...] = ()
    kept: tuple[DnsRecord, ...] = ()


class DnsConflict(Refused):
    """A name already holds another value that this request did not make: it is never overwritten."""

    def __init__(self, record: DnsRecord, holds: Sequence[str]) -> None:
        super().__init__(
            f"{record.name} already holds {', '.join(holds)} in the DNS zone {record.zone}, not made by this "
            f"request: it is not overwritten with {record.type} {record.value}",
            ["choose another subdomain, or have the zone's owner remove the name"],
        )
        self.name = record.name


class DnsRefused(InfrastructureError):
    """The DNS server refused an update: its response code or TSIG error, never the key."""

    def __init__(self, code: str, server: str) -> None:
        super().__init__(f"the DNS server refused the update ({code})",
                         [f"server {server}; check dns.update and the TSIG key's name, secret and algorithm"])
        self.code = code


class DnsBackend(Protocol):
    """A DNS server holding the site's zones. Reads go to the server live, never through a cache."""

    def lookup(self, name: str) -> DnsName:
        """Whether `name` exists in the zone, and what it holds."""
        ...

    def plan(self, records: Sequence[DnsRecord]) -> DnsPlan:
        """What `ensure(records)` would add; DnsConflict for a name holding another value. Changes nothing."""
        ...

    def ensure(self, records: Sequence[DnsRecord], *, ours: Sequence[DnsRecord] = ()) -> DnsResult:
        """Add the records the zone lacks (sending nothing when all are there); DnsConflict as `plan`.
        `ours`: records an interrupted earlier run of the same request was about to add (its plan), counted
        as made by this request when found in place."""
        ...

    def remove(self, records: Sequence[DnsRecord]) -> DnsRemoval:
        """Delete each record that still holds its value; a record changed by someone else stays."""
        ...
