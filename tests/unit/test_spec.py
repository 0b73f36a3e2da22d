"""The spec check: facts against the request, field by field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.errors import SpecMismatch
from provisioner.request import Server
from provisioner.spec import MEMORY_TOLERANCE, ServerFacts, compare_spec, ensure_spec, shown


def _server(**changes: object) -> Server:
    fields: dict[str, object] = {
        "hostname": "simpeg", "vendor": "Dell", "model": "PowerEdge R650", "serial": "7XK2Q93",
        "rack_units": 1, "power_watts": 450, "cpu_cores": 16, "memory_gb": 64, "disk_gb": 960,
        "os": {"family": "Debian", "version": "12"},
    }
    fields.update(changes)
    return Server.model_validate(fields)


def _facts(**changes: object) -> ServerFacts:
    fields: dict[str, object] = {
        "hostname": "lab-srv1", "cpu_cores": 16, "cpu_vcpus": 32, "memory_mb": 64304,
        "disks": [{"name": "sda", "size_bytes": 960_197_124_096}], "os_family": "Debian",
        "os_distribution": "Debian", "os_version": "12.5", "os_major_version": "12",
        "nics": [{"name": "eth0", "mac": "02:00:00:00:00:01", "ipv4": "10.231.250.11"}],
        "vendor": "Dell Inc.", "model": "PowerEdge R650", "serial": "7XK2Q93",
    }
    fields.update(changes)
    return ServerFacts.model_validate(fields)


def _by_field(server: Server, facts: ServerFacts, serial: str | None = None) -> dict[str, bool]:
    return {f.field: f.ok for f in compare_spec(server, facts, serial)}


def test_matching_server_passes_every_field() -> None:
    findings = compare_spec(_server(), _facts())
    assert [f.field for f in findings] == [
        "cpu_cores", "memory_gb", "disk_gb", "os", "serial", "vendor", "model"]
    assert all(f.ok for f in findings)
    ensure_spec(findings)


def test_each_finding_shows_requested_and_found() -> None:
    findings = {f.field: f for f in compare_spec(_server(), _facts(cpu_cores=8))}
    assert findings["cpu_cores"].requested == ">= 16"
    assert findings["cpu_cores"].found == "8"
    assert findings["os"].found == "Debian 12.5"
    assert findings["disk_gb"].found == "960 GB on 1 disk(s)"


def test_memory_tolerance_boundary() -> None:
    floor = round(64 * 1024 * MEMORY_TOLERANCE)
    assert _by_field(_server(), _facts(memory_mb=floor))["memory_gb"]
    assert not _by_field(_server(), _facts(memory_mb=floor - 1))["memory_gb"]
    # 32 GiB of RAM is not the 64 GB asked for
    assert not _by_field(_server(), _facts(memory_mb=32_000))["memory_gb"]


@given(requested=st.integers(1, 4096), found=st.integers(0, 5_000_000))
def test_memory_rule_is_the_documented_floor(requested: int, found: int) -> None:
    ok = _by_field(_server(memory_gb=requested), _facts(memory_mb=found))["memory_gb"]
    assert ok == (found >= round(requested * 1024 * MEMORY_TOLERANCE))


def test_cores_are_a_minimum_and_fall_back_to_logical_cpus() -> None:
    assert _by_field(_server(), _facts(cpu_cores=32))["cpu_cores"]
    assert not _by_field(_server(), _facts(cpu_cores=15, cpu_vcpus=30))["cpu_cores"]
    assert _by_field(_server(), _facts(cpu_cores=0, cpu_vcpus=16))["cpu_cores"]


def test_disk_is_decimal_gb_summed_over_disks() -> None:
    two = [{"name": "sda", "size_bytes": 480_103_981_056}, {"name": "sdb", "size_bytes": 480_103_981_056}]
    assert _by_field(_server(), _facts(disks=two))["disk_gb"]
    assert not _by_field(_server(), _facts(disks=[{"name": "sda", "size_bytes": 959_999_999_999}]))["disk_gb"]
    assert not _by_field(_server(), _facts(disks=[]))["disk_gb"]


@pytest.mark.parametrize(
    ("family", "version", "distribution", "found_version", "ok"),
    [
        ("Debian", "12", "Debian", "12", True),
        ("debian", "12", "Debian", "12.11", True),
        ("Debian", "12", "Debian", "11.9", False),
        ("Debian", "1", "Debian", "12", False),
        ("Ubuntu", "22.04", "Ubuntu", "22.04", True),
        ("Ubuntu", "22.04", "Ubuntu", "24.04", False),
        ("Debian", "12", "Ubuntu", "12", False),
        ("Rocky", "9", "Rocky", "9.3", True),
        ("RedHat", "9", "Rocky", "9.3", False),
    ],
)
def test_os_distribution_and_version(family: str, version: str, distribution: str, found_version: str,
                                     ok: bool) -> None:
    server = _server(os={"family": family, "version": version})
    facts = _facts(os_distribution=distribution, os_version=found_version)
    assert _by_field(server, facts)["os"] is ok


def test_serial_must_match_when_shown() -> None:
    assert not _by_field(_server(), _facts(serial="OTHER123"))["serial"]
    assert _by_field(_server(), _facts(serial="To Be Filled By O.E.M."))["serial"]
    assert _by_field(_server(), _facts(serial=""))["serial"]
    # the serial recorded at step 4 is the one that counts
    assert _by_field(_server(), _facts(serial="NEW42"), serial="NEW42")["serial"]
    assert not _by_field(_server(), _facts(), serial="NEW42")["serial"]


def test_no_serial_anywhere_means_no_serial_finding() -> None:
    assert "serial" not in _by_field(_server(serial=None), _facts())


def test_vendor_and_model_contain_the_requested_names() -> None:
    assert _by_field(_server(vendor="dell"), _facts(vendor="Dell Inc."))["vendor"]
    assert not _by_field(_server(vendor="HPE"), _facts(vendor="Dell Inc."))["vendor"]
    assert _by_field(_server(), _facts(model="NA"))["model"]
    assert "vendor" not in _by_field(_server(vendor=None), _facts())


def test_placeholders_are_not_shown_values() -> None:
    assert shown(" Not Specified ") is None
    assert shown("NA") is None
    assert shown("7XK2Q93") == "7XK2Q93"


def test_ensure_spec_names_every_mismatching_field() -> None:
    findings = compare_spec(_server(), _facts(cpu_cores=8, memory_mb=32_000, serial="X1"))
    with pytest.raises(SpecMismatch) as caught:
        ensure_spec(findings)
    assert caught.value.exit_code == 3
    assert [p.split(":")[0] for p in caught.value.problems] == ["cpu_cores", "memory_gb", "serial"]
