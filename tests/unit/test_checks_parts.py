"""Pure parts of the access check: ping output, DNS names, the report's JSON (and the earlier reports the
register holds), the verdict and the target of a request."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provisioner.checks import (
    AccessCheckReport,
    AccessTarget,
    AppSpec,
    CheckItem,
    NameService,
    PortSpec,
    access_target_for,
    host_name,
    parse_ping,
)
from provisioner.errors import AccessCheckFailed, BadInput

ROOT = Path(__file__).resolve().parents[2]

PING_OK = """PING 10.231.250.11 (10.231.250.11) 56(84) bytes of data.
64 bytes from 10.231.250.11: icmp_seq=1 ttl=63 time=0.306 ms

--- 10.231.250.11 ping statistics ---
3 packets transmitted, 2 received, 33.3333% packet loss, time 402ms
rtt min/avg/max/mdev = 0.042/0.174/0.306/0.132 ms
"""

PING_LOST = """PING 10.231.250.11 (10.231.250.11) 56(84) bytes of data.

--- 10.231.250.11 ping statistics ---
3 packets transmitted, 0 received, 100% packet loss, time 2040ms
"""


def test_parse_ping_counts_and_rtt() -> None:
    assert parse_ping(PING_OK) == {
        "transmitted": 3,
        "received": 2,
        "rtt_min_ms": 0.042,
        "rtt_avg_ms": 0.174,
        "rtt_max_ms": 0.306,
    }


def test_parse_ping_all_lost() -> None:
    assert parse_ping(PING_LOST) == {"transmitted": 3, "received": 0}


def test_host_name_is_the_absolute_dns_name() -> None:
    name = host_name("simpeg.lab.ciamiskab.go.id")
    assert name.is_absolute() and name.labels == (b"simpeg", b"lab", b"ciamiskab", b"go", b"id", b"")
    assert name.to_wire() == b"\x06simpeg\x03lab\x09ciamiskab\x02go\x02id\x00"


@pytest.mark.parametrize(
    "name", ["bad name.example", "-x.example", "a..b", "x" * 64 + ".example", "a." * 127 + "b", "é.example"]
)
def test_host_name_refuses_what_is_not_a_host_name(name: str) -> None:
    with pytest.raises(BadInput, match="not a DNS name"):
        host_name(name)


def test_target_refuses_names_instead_of_addresses() -> None:
    with pytest.raises(BadInput, match=r"'simpeg\.example' is not an IP address"):
        AccessTarget(address="simpeg.example")
    with pytest.raises(BadInput, match="'-c1' is not an IP address"):
        NameService(("-c1",))
    with pytest.raises(BadInput, match="'::1' is not an IP address"):
        NameService(("::1",))
    with pytest.raises(BadInput, match="no DNS server"):
        NameService(())
    with pytest.raises(BadInput, match="not a port number"):
        NameService(("127.0.0.1",), 0)


def _report(items: list[CheckItem]) -> AccessCheckReport:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return AccessCheckReport(target="10.231.0.5", started=now, finished=now, items=items,
                             passed=all(i.ok or not i.required for i in items))


def test_status_of_items() -> None:
    assert CheckItem(kind="tcp", target="x", ok=True, detail="open").status == "ok"
    assert CheckItem(kind="tcp", target="x", ok=False, detail="refused").status == "failed"
    assert CheckItem(kind="dns", target="x", ok=False, detail="no", required=False).status == "warning"
    not_checkable = CheckItem(kind="udp", target="x", ok=False, detail="not checkable",
                              evidence={"checkable": False}, required=False)
    assert not_checkable.status == "not checkable" and not not_checkable.retryable
    assert CheckItem(kind="tcp", target="x", ok=False, detail="refused").retryable


def test_report_round_trips_through_json() -> None:
    report = _report(
        [
            CheckItem(kind="tcp", target="10.231.0.5:22/tcp", ok=True, detail="open",
                      evidence={"connect_ms": 0.4, "attempts": 1}),
            CheckItem(kind="dns", target="simpeg.lab.ciamiskab.go.id", ok=False,
                      detail="name does not resolve", evidence={"tried": []}, required=False),
        ]
    )
    saved = json.loads(json.dumps(report.model_dump(mode="json")))
    assert [item["status"] for item in saved["items"]] == ["ok", "warning"], "the documents show the status"
    again = AccessCheckReport.model_validate(saved)
    assert again == report
    assert again.passed and [i.kind for i in again.warnings()] == ["dns"]


def test_a_report_the_register_holds_from_before_loads_and_saves_the_same() -> None:
    """The JSON of the earlier hand-written serialisation (with its `status` field) loads, and saving it
    again gives the same JSON."""
    saved = json.loads((ROOT / "tests" / "data" / "access_check_report_earlier.json").read_text())
    report = AccessCheckReport.model_validate(saved)
    assert report.started == datetime(2026, 11, 20, 9, 0, tzinfo=UTC) and report.passed
    assert [i.status for i in report.items] == ["ok", "not checkable", "ok", "warning"]
    cert = report.items[2].evidence["certificate"]
    assert isinstance(cert, dict) and cert["issuer"] == "CN=simpeg"
    assert report.model_dump(mode="json") == saved


def test_a_report_missing_its_verdict_is_refused() -> None:
    saved = json.loads((ROOT / "tests" / "data" / "access_check_report_earlier.json").read_text())
    del saved["passed"]
    with pytest.raises(ValueError, match="passed"):
        AccessCheckReport.model_validate(saved)


def test_raise_if_failed_names_each_failed_item() -> None:
    report = _report(
        [
            CheckItem(kind="tcp", target="10.231.0.5:22/tcp", ok=False,
                      detail="connect failed: Connection refused"),
            CheckItem(kind="dns", target="simpeg.lab.ciamiskab.go.id", ok=False, detail="no", required=False),
        ]
    )
    with pytest.raises(AccessCheckFailed) as info:
        report.raise_if_failed()
    assert info.value.exit_code == 3
    assert info.value.problems == ["tcp 10.231.0.5:22/tcp: connect failed: Connection refused"]


def test_access_target_for_the_example_request_at_the_lab() -> None:
    from provisioner.facility import load_facility
    from provisioner.request import load_request

    spec, _ = load_request(ROOT / "examples" / "request-simpeg.yaml")
    target = access_target_for(spec, "10.231.0.5", load_facility(ROOT / "inventories" / "lab"))
    assert target.address == "10.231.0.5"
    assert target.ports == (PortSpec(22, "tcp", "ssh"), PortSpec(443, "tcp", "https"))
    assert target.applications == (AppSpec("SIMPEG", 443, "https", "/", "simpeg"),)
    assert target.domain == "lab.ciamiskab.go.id"
    assert target.name_service == NameService(("10.231.253.2",), 53)
    assert target.name_of(target.applications[0]) == "simpeg.lab.ciamiskab.go.id"
    assert target.ca_bundle == Path("/var/lib/colo-lab/ca/ca.crt")
