"""DNS records against the lab's real BIND 9 in the NOC: RFC 2136 updates signed with the lab's TSIG key,
answered by `dig` from the NOC; idempotent; a name someone else holds is refused; removal deletes exactly
what was made; a wrong key is refused by the server."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from pathlib import Path

import dns.query
import dns.rdata
import dns.rdataclass
import dns.tsig
import dns.update
import pytest

from provisioner.dns import DnsBackend, DnsConflict, DnsRefused, open_backend, server_records
from provisioner.dns.records import ptr_name
from provisioner.dns.rfc2136 import Rfc2136
from provisioner.facility import Facility, load_facility
from provisioner.lab.bind import (
    DNS_ADDRESS,
    DNS_CREDENTIALS,
    DNS_PORT,
    DNS_SECRET_VARIABLE,
    LAB_ZONE,
    REVERSE_ZONE,
)
from provisioner.lab.credentials import tsig_secret
from provisioner.lab.layout import NOC_NS
from provisioner.lab.sh import run
from provisioner.secrets import TsigKey
from tests.integration.conftest import LabHandle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def facility() -> Facility:
    return load_facility(ROOT / "inventories" / "lab")


@pytest.fixture()
def secret(lab: LabHandle, monkeypatch: pytest.MonkeyPatch) -> str:
    """The lab's TSIG secret, given to colo through the environment as an operator would."""
    value = lab.credentials_env[DNS_SECRET_VARIABLE]
    monkeypatch.setenv(DNS_SECRET_VARIABLE, value)
    return value


@pytest.fixture()
def backend(facility: Facility, secret: str) -> DnsBackend:
    return open_backend(facility)


@pytest.fixture()
def fresh(secret: str) -> Iterator[tuple[ipaddress.IPv4Address, list[str]]]:
    """An address in the lab's agency range and two subdomains no other test uses; whatever the test left
    in the zone under them is removed afterwards."""
    address = ipaddress.IPv4Address(f"10.231.{secrets.randbelow(120) + 1}.{secrets.randbelow(200) + 20}")
    labels = [f"t{secrets.token_hex(4)}", f"t{secrets.token_hex(4)}"]
    yield address, labels
    _raw_update(secret, *(("delete", f"{label}.{LAB_ZONE}", "A", None) for label in labels))
    _raw_update(secret, ("delete", ptr_name(address), "PTR", None), zone=REVERSE_ZONE)


def dig(name: str, rdtype: str) -> list[str]:
    """What the lab's DNS server answers, asked with `dig` from the NOC."""
    argv = ["dig", "+short", "+tcp", f"@{DNS_ADDRESS}", "-p", str(DNS_PORT), name, rdtype]
    out = run(argv, netns=NOC_NS).stdout
    return sorted(line.rstrip(".") for line in out.split())


def serial(zone: str) -> int:
    return int(run(["dig", "+short", f"@{DNS_ADDRESS}", zone, "SOA"], netns=NOC_NS).stdout.split()[2])


def _raw_update(secret: str, *changes: tuple[str, str, str, str | None], zone: str = LAB_ZONE) -> None:
    """Someone else's change to the zone (another tool, an administrator), signed with the lab's key."""
    key = dns.tsig.Key(DNS_CREDENTIALS, secret, "hmac-sha256")
    update = dns.update.UpdateMessage(zone, keyring=key)
    for action, name, rdtype, value in changes:
        if action == "add":
            update.add(name + ".", 300, rdtype, value)
        elif value is None:
            update.delete(name + ".", rdtype)
        else:
            update.delete(name + ".", dns.rdata.from_text(dns.rdataclass.IN, rdtype, value))
    response = dns.query.tcp(update, DNS_ADDRESS, port=DNS_PORT, timeout=5)
    assert response.rcode() == 0


def test_lab_status_shows_dns(lab: LabHandle) -> None:
    part = next(p for p in lab.lab.status().parts if p.name == "dns")
    assert part.healthy, part.detail
    assert LAB_ZONE in part.detail


def test_records_added_and_answered_by_dig(facility: Facility, backend: DnsBackend,
                                           fresh: tuple[ipaddress.IPv4Address, list[str]]) -> None:
    address, labels = fresh
    records = server_records(facility.dns, address, labels)
    assert [r.type for r in records] == ["A", "A", "PTR"]
    assert backend.plan(records).add == records
    result = backend.ensure(records)
    assert result.made == records and result.present == () and result.updates == 2
    for label in labels:
        assert dig(f"{label}.{LAB_ZONE}", "A") == [str(address)]
    assert dig(ptr_name(address), "PTR") == [f"{labels[0]}.{LAB_ZONE}"]
    looked_up = backend.lookup(f"{labels[0]}.{LAB_ZONE}")
    assert looked_up.exists and looked_up.values == (str(address),)
    assert not backend.lookup(f"n{secrets.token_hex(4)}.{LAB_ZONE}").exists


def test_rerun_sends_no_update(facility: Facility, backend: DnsBackend,
                               fresh: tuple[ipaddress.IPv4Address, list[str]]) -> None:
    address, labels = fresh
    records = server_records(facility.dns, address, labels)
    backend.ensure(records)
    before = (serial(LAB_ZONE), serial(REVERSE_ZONE))
    again = backend.ensure(records)
    assert again.made == () and again.present == records and again.updates == 0 and not again.changed
    # a run interrupted after its update and before its result was stored: its plan says what it made
    resumed = backend.ensure(records, ours=records)
    assert resumed.made == records and resumed.present == () and resumed.updates == 0
    assert (serial(LAB_ZONE), serial(REVERSE_ZONE)) == before  # BIND counts every update


def test_name_holding_another_value_is_refused(facility: Facility, backend: DnsBackend, secret: str,
                                               fresh: tuple[ipaddress.IPv4Address, list[str]]) -> None:
    address, labels = fresh
    taken = f"{labels[1]}.{LAB_ZONE}"
    _raw_update(secret, ("add", taken, "A", "10.231.200.9"))
    records = server_records(facility.dns, address, labels)
    before = serial(LAB_ZONE)
    for attempt in (backend.plan, backend.ensure):
        with pytest.raises(DnsConflict) as caught:
            attempt(records)
        assert caught.value.exit_code == 3
        assert taken in caught.value.message and "A 10.231.200.9" in caught.value.message
    assert dig(taken, "A") == ["10.231.200.9"]
    assert dig(f"{labels[0]}.{LAB_ZONE}", "A") == []  # nothing of the refused request was written
    assert serial(LAB_ZONE) == before


def test_cname_at_the_name_is_refused(facility: Facility, backend: DnsBackend, secret: str,
                                      fresh: tuple[ipaddress.IPv4Address, list[str]]) -> None:
    address, labels = fresh
    _raw_update(secret, ("add", f"{labels[0]}.{LAB_ZONE}", "CNAME", f"ns.{LAB_ZONE}."))
    try:
        with pytest.raises(DnsConflict, match=f"CNAME ns.{LAB_ZONE}"):
            backend.ensure(server_records(facility.dns, address, labels[:1]))
    finally:
        _raw_update(secret, ("delete", f"{labels[0]}.{LAB_ZONE}", "CNAME", None))


def test_remove_deletes_exactly_what_was_made(facility: Facility, backend: DnsBackend, secret: str,
                                              fresh: tuple[ipaddress.IPv4Address, list[str]]) -> None:
    address, labels = fresh
    first, second = (f"{label}.{LAB_ZONE}" for label in labels)
    _raw_update(secret, ("add", second, "A", str(address)))  # already there, made by someone else
    result = backend.ensure(server_records(facility.dns, address, labels))
    reverse = ptr_name(address)
    assert [(r.name, r.type) for r in result.made] == [(first, "A"), (reverse, "PTR")]
    assert [r.name for r in result.present] == [second]
    # someone else repoints the PTR before decommission: it is no longer this request's record
    _raw_update(secret, ("delete", reverse, "PTR", None), ("add", reverse, "PTR", f"other.{LAB_ZONE}."),
                zone=REVERSE_ZONE)
    removal = backend.remove(result.made)
    assert [r.name for r in removal.removed] == [first]
    assert [r.type for r in removal.kept] == ["PTR"] and removal.absent == ()
    assert dig(first, "A") == []
    assert dig(second, "A") == [str(address)]
    assert dig(reverse, "PTR") == [f"other.{LAB_ZONE}"]
    assert backend.remove(result.made[:1]).absent == result.made[:1]  # a second decommission finds it gone


@pytest.mark.parametrize(("key_name", "code"), [("not-a-lab-key", "BADKEY"), (DNS_CREDENTIALS, "BADSIG")])
def test_wrong_tsig_key_is_refused_by_the_server(facility: Facility, secret: str, key_name: str, code: str,
                                                 fresh: tuple[ipaddress.IPv4Address, list[str]]) -> None:
    address, labels = fresh
    wrong_secret = secret if key_name != DNS_CREDENTIALS else tsig_secret()
    backend = Rfc2136(DNS_ADDRESS, DNS_PORT, TsigKey(key_name, wrong_secret))
    records = server_records(facility.dns, address, labels)
    with pytest.raises(DnsRefused) as caught:
        backend.ensure(records)
    assert caught.value.message == f"the DNS server refused the update ({code})"
    assert caught.value.exit_code == 1
    assert secret not in " ".join(caught.value.lines()) and wrong_secret not in " ".join(caught.value.lines())
    assert dig(records[0].name, "A") == []


