"""Step 6's stage results read back from the register: the details that earlier versions recorded still
validate through today's models, and what today's models record reads back equal."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from provisioner.stages.base import StageResult
from provisioner.stages.plan import Placement
from provisioner.steps.provision import all_stages

# Event details as recorded before the results were models (one request's step 6, durations included).
RECORDED: dict[str, dict[str, Any]] = {
    "plan": {
        "request_id": "REQ-2026-0001", "site": "dc-lab", "kind": "allocated", "rack": "R01", "units": [7],
        "ups": "UPS-A", "uplink": "ISP-A", "switch": "sw-lab-01", "switch_port": "GigabitEthernet1/0/3",
        "vlan_id": 100, "vlan_name": "OPD-DISDIK", "subnet": "10.231.0.0/27", "gateway": "10.231.0.1",
        "prefix_len": 27, "address": "10.231.0.5", "watts": 450, "mbps": 50,
        "placement_sheet": "/tmp/docs/REQ-2026-0001/placement_sheet.txt", "seconds": 0.41,
    },
    "verify": {
        "address": "10.231.250.11",
        "checks": [{"field": "cpu_cores", "requested": "16", "found": "16", "ok": True}],
        "facts": {"hostname": "simpeg", "cpu_cores": 16, "cpu_vcpus": 32, "memory_mb": 65536, "disks": [],
                  "os_family": "Debian", "os_distribution": "Debian", "os_version": "12",
                  "os_major_version": "12", "nics": [], "vendor": "Dell Inc.", "model": "PowerEdge R650",
                  "serial": "7XK2Q93"},
        "seconds": 3.2,
    },
    "network": {
        "description": "disdik:simpeg:REQ-2026-0001", "svi": True, "staged_over_staging_address": True,
        "switch": {"switch": "sw-lab-01", "lines_sent": ["vlan 100", " name OPD-DISDIK"], "saved": True},
        "seconds": 21.0,
    },
    "server": {"address": "10.231.0.5", "configured_by": "network", "seconds": 0.0},
    "dns": {
        "made": [{"zone": "lab.ciamiskab.go.id", "name": "simpeg.lab.ciamiskab.go.id", "type": "A",
                  "value": "10.231.0.5", "ttl": 300}],
        "present": [], "updates": 1, "skipped": None, "seconds": 0.1,
    },
    "monitoring": {
        "target": "10.231.0.5:9100", "file_changed": True, "health": "up", "last_error": "",
        "last_scrape": "2026-11-20T10:00:00Z", "labels": {"request": "REQ-2026-0001"}, "seconds": 2.5,
    },
    "access_check": {"access_check": {"passed": True, "items": []}, "seconds": 1.0},
    "record": {
        "asset_tag": "DC-LAB-2026-0001", "handover_number": "001/BAST-COLO/dc-lab/2026",
        "address": "10.231.0.5", "documents": {"work_report": "/tmp/docs/work_report.pdf"}, "seconds": 4.0,
    },
}


@pytest.mark.parametrize("stage", all_stages(), ids=lambda s: s.name)
def test_details_recorded_before_read_back_through_the_stage_model(stage: Any) -> None:
    result = stage.result_type.model_validate(RECORDED[stage.name])
    assert isinstance(result, StageResult)
    again = stage.result_type.model_validate(result.model_dump(mode="json"))
    assert again == result


def test_a_read_back_placement_is_typed() -> None:
    plan = Placement.model_validate(RECORDED["plan"])
    assert plan.address == ipaddress.IPv4Address("10.231.0.5") and plan.units == (7,)


def test_a_result_that_lost_a_field_is_refused() -> None:
    from pydantic import ValidationError

    broken = {k: v for k, v in RECORDED["plan"].items() if k != "address"}
    with pytest.raises(ValidationError, match="address"):
        Placement.model_validate(broken)


def test_a_network_result_over_two_switches_reads_back_and_an_earlier_one_has_none() -> None:
    from provisioner.stages.network import NetworkConfigured

    two = {**RECORDED["network"], "switches": [
        {"switch": "sw-lab-01", "lines_sent": ["vlan 100"], "saved": True},
        {"switch": "sw-lab-02", "lines_sent": [], "saved": False}],
        "left_alone": ["sw-lab-01:GigabitEthernet1/1/2"]}
    result = NetworkConfigured.model_validate(two)
    assert [s.switch for s in result.switches] == ["sw-lab-01", "sw-lab-02"]
    assert result.left_alone == ("sw-lab-01:GigabitEthernet1/1/2",)
    assert NetworkConfigured.model_validate(result.model_dump(mode="json")) == result
    earlier = NetworkConfigured.model_validate(RECORDED["network"])
    assert earlier.switches == () and earlier.switch.switch == "sw-lab-01"
