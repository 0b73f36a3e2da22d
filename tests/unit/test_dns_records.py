"""The facility's `dns` section refused at load naming the field (the corpus in tests/data/facilities/dns/),
the records a server gets, and the TSIG key resolved by credentials name without showing its secret."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.dns import DnsRecord, server_records
from provisioner.dns.records import ptr_name, reverse_zone_name
from provisioner.dns.rfc2136 import Rfc2136
from provisioner.errors import BadInput
from provisioner.facility import Dns, Facility, parse_facility
from provisioner.secrets import TsigKey, tsig_key

DATA = Path(__file__).resolve().parent.parent / "data" / "facilities"
CORPUS = sorted((DATA / "dns").glob("*.yml"))


def _example(dns: object) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "example.yml").read_text())
    data["dns"] = dns
    return data


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_dns_section_refused_naming_the_field(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    with pytest.raises(BadInput) as caught:
        parse_facility(_example(case["dns"]))
    assert caught.value.exit_code == 2
    assert any(p.startswith(case["refused"]) for p in caught.value.problems), caught.value.problems
    assert "c2VjcmV0" not in " ".join(caught.value.lines())  # a secret put in the file is not repeated


def _facility(**dns: object) -> Facility:
    return parse_facility(_example({"servers": ["10.0.0.53"], **dns}))


def test_dns_section_of_before_still_loads() -> None:
    dns = _facility(search=["ciamiskab.go.id"]).dns
    assert dns.zone is None and dns.update is None and dns.reverse_zones == ()
    assert server_records(dns, ipaddress.IPv4Address("10.20.0.5"), ["simpeg"]) == ()


def _full() -> Dns:
    return _facility(zone="ciamiskab.go.id", update={"server": "10.0.0.53", "credentials": "dns-update"},
                     reverse_zones=["10.0.0.0/8", "10.20.0.0/16"], ca_bundle="/etc/colo/ca.pem").dns


def test_full_dns_section() -> None:
    dns = _full()
    assert dns.update is not None and dns.update.port == 53 and dns.update.kind == "rfc2136"
    assert dns.reverse_zone_for(ipaddress.IPv4Address("10.20.0.5")) == ipaddress.IPv4Network("10.20.0.0/16")
    assert dns.reverse_zone_for(ipaddress.IPv4Address("192.168.0.5")) is None


def test_server_records_a_per_subdomain_and_one_ptr() -> None:
    records = server_records(_full(), ipaddress.IPv4Address("10.20.0.5"), ["simpeg", "SIMPEG", "sakip"])
    assert records == (
        DnsRecord(zone="ciamiskab.go.id", name="simpeg.ciamiskab.go.id", type="A", value="10.20.0.5"),
        DnsRecord(zone="ciamiskab.go.id", name="sakip.ciamiskab.go.id", type="A", value="10.20.0.5"),
        DnsRecord(zone="20.10.in-addr.arpa", name="5.0.20.10.in-addr.arpa", type="PTR",
                  value="simpeg.ciamiskab.go.id"),
    )
    assert DnsRecord.model_validate_json(records[2].model_dump_json()) == records[2]


@pytest.mark.parametrize(("network", "zone"), [("10.0.0.0/8", "10.in-addr.arpa"),
                                                ("10.231.0.0/16", "231.10.in-addr.arpa"),
                                                ("192.168.7.0/24", "7.168.192.in-addr.arpa")])
def test_reverse_zone_names(network: str, zone: str) -> None:
    assert reverse_zone_name(ipaddress.IPv4Network(network)) == zone
    assert ptr_name(ipaddress.IPv4Address("10.231.0.5")) == "5.0.231.10.in-addr.arpa"


def test_tsig_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLO_CRED_DNS_UPDATE_SECRET", "c2VjcmV0c2VjcmV0")
    key = tsig_key("dns-update")
    assert (key.name, key.secret, key.algorithm) == ("dns-update", "c2VjcmV0c2VjcmV0", "hmac-sha256")
    assert "c2VjcmV0" not in repr(key)
    monkeypatch.setenv("COLO_CRED_DNS_UPDATE_KEY_NAME", "colo-update.ciamiskab.go.id")
    monkeypatch.setenv("COLO_CRED_DNS_UPDATE_ALGORITHM", "hmac-sha512")
    assert tsig_key("dns-update").name == "colo-update.ciamiskab.go.id"
    assert tsig_key("dns-update").algorithm == "hmac-sha512"


def test_tsig_key_missing_names_the_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COLO_VAULT_FILE", raising=False)
    monkeypatch.setenv("COLO_CREDENTIALS_FILE", str(tmp_path / "none.env"))
    (tmp_path / "none.env").write_text("COLO_CRED_OTHER_SECRET=x\n")
    (tmp_path / "none.env").chmod(0o600)
    with pytest.raises(BadInput, match="COLO_CRED_DNS_UPDATE_SECRET") as caught:
        tsig_key("dns-update")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("key", "expected"), [
    (TsigKey("dns-update", "c2Vj!!!"), "its secret is not base64"),
    (TsigKey("dns-update", "c2VjcmV0", "hmac-md6"), "algorithm 'hmac-md6' is not one"),
])
def test_unusable_tsig_key_is_bad_input(key: TsigKey, expected: str) -> None:
    with pytest.raises(BadInput, match=expected) as caught:
        Rfc2136("127.0.0.1", 53, key)
    assert key.secret not in " ".join(caught.value.lines())
