"""Pure parts of the access check: ping output, DNS wire format, report serialisation and verdict."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime

import pytest

from provisioner.checks import (
    AccessCheckReport,
    AccessTarget,
    CheckItem,
    decode_answer,
    encode_query,
    parse_ping,
)
from provisioner.errors import AccessCheckFailed, BadInput

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


def test_encode_query_wire_format() -> None:
    packet = encode_query("simpeg.lab.ciamiskab.go.id", 0x1234)
    assert packet[:12] == struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    assert packet[12:] == b"\x06simpeg\x03lab\x09ciamiskab\x02go\x02id\x00" + b"\x00\x01\x00\x01"


@pytest.mark.parametrize("name", ["bad name.example", "-x.example", "a..b", "x" * 64 + ".example"])
def test_encode_query_refuses_bad_names(name: str) -> None:
    with pytest.raises(BadInput):
        encode_query(name, 1)


def _answer(qid: int, rcode: int, answers: list[tuple[int, bytes]]) -> bytes:
    question = encode_query("simpeg.lab.ciamiskab.go.id", qid)[12:]
    header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
    records = b"".join(
        struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(data)) + data for rtype, data in answers
    )
    return header + question + records


def test_decode_answer_reads_a_records_after_a_cname() -> None:
    cname = b"\x03www\xc0\x0c"
    packet = _answer(7, 0, [(5, cname), (1, bytes([10, 231, 0, 5])), (1, bytes([10, 231, 0, 6]))])
    assert decode_answer(packet, 7) == (0, ["10.231.0.5", "10.231.0.6"])


def test_decode_answer_nxdomain() -> None:
    assert decode_answer(_answer(9, 3, []), 9) == (3, [])


def test_decode_answer_rejects_other_ids_and_truncation() -> None:
    packet = _answer(7, 0, [(1, bytes([10, 231, 0, 5]))])
    with pytest.raises(ValueError, match="not the answer"):
        decode_answer(packet, 8)
    with pytest.raises(ValueError, match=r"malformed|truncated"):
        decode_answer(packet[:-2], 7)


def test_target_refuses_names_instead_of_addresses() -> None:
    with pytest.raises(BadInput):
        AccessTarget(address="simpeg.example")
    with pytest.raises(BadInput):
        AccessTarget(address="127.0.0.1", dns_servers=("-c1",))


def _report(items: list[CheckItem]) -> AccessCheckReport:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return AccessCheckReport("10.231.0.5", now, now, items, all(i.ok or not i.required for i in items))


def test_status_of_items() -> None:
    assert CheckItem("tcp", "x", True, "open").status == "ok"
    assert CheckItem("tcp", "x", False, "refused").status == "failed"
    assert CheckItem("dns", "x", False, "not resolvable", required=False).status == "warning"
    assert (
        CheckItem("udp", "x", False, "not checkable", {"checkable": False}, False).status == "not checkable"
    )


def test_report_round_trips_through_json() -> None:
    report = _report(
        [
            CheckItem("tcp", "10.231.0.5:22/tcp", True, "open", {"connect_ms": 0.4, "attempts": 1}),
            CheckItem("dns", "simpeg.lab.ciamiskab.go.id", False, "not resolvable", {"tried": []}, False),
        ]
    )
    text = json.dumps(report.to_dict())
    again = AccessCheckReport.from_dict(json.loads(text))
    assert again == report
    assert again.passed and [i.kind for i in again.warnings()] == ["dns"]


def test_raise_if_failed_names_each_failed_item() -> None:
    report = _report(
        [
            CheckItem("tcp", "10.231.0.5:22/tcp", False, "connect failed: Connection refused"),
            CheckItem("dns", "simpeg.lab.ciamiskab.go.id", False, "not resolvable", required=False),
        ]
    )
    with pytest.raises(AccessCheckFailed) as info:
        report.raise_if_failed()
    assert info.value.exit_code == 3
    assert info.value.problems == ["tcp 10.231.0.5:22/tcp: connect failed: Connection refused"]


def test_access_target_for_the_example_request_at_the_lab() -> None:
    from pathlib import Path

    from provisioner.checks import AppSpec, PortSpec, access_target_for
    from provisioner.facility import load_facility
    from provisioner.request import load_request

    root = Path(__file__).resolve().parents[2]
    spec, _ = load_request(root / "examples" / "request-simpeg.yaml")
    target = access_target_for(spec, "10.231.0.5", load_facility(root / "inventories" / "lab"))
    assert target.address == "10.231.0.5"
    assert target.ports == (PortSpec(22, "tcp", "ssh"), PortSpec(443, "tcp", "https"))
    assert target.applications == (AppSpec("SIMPEG", 443, "https", "/", "simpeg"),)
    assert (target.domain, target.dns_servers) == ("lab.ciamiskab.go.id", ("10.231.253.2",))
