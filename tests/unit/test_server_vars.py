"""The monitoring system's address, which the server stage writes into every server's firewall."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.errors import BadInput
from provisioner.facility import Facility, parse_facility
from provisioner.safe_yaml import load_yaml_file

LAB_FACILITY = Path(__file__).resolve().parents[2] / "inventories" / "lab" / "facility.yml"


def _with_url(url: str) -> Facility:
    document: Any = load_yaml_file(LAB_FACILITY)
    document["monitoring"]["url"] = url
    return parse_facility(document)


def test_the_monitoring_source_is_the_address_of_the_monitoring_url() -> None:
    assert str(_with_url("http://10.231.253.2:9090").monitoring.address) == "10.231.253.2"
    assert str(_with_url("https://10.231.253.2/prometheus").monitoring.address) == "10.231.253.2"


@pytest.mark.parametrize("url", [
    "http://10.231.253.2,0.0.0.0-255.255.255.255:9090", "http://10.0.0.1}accept;{x:9090",
    "http://prometheus.lab:9090", "http://[::1]:9090", "http://:9090",
])
def test_anything_but_an_ipv4_address_is_refused_when_the_facility_loads(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        _with_url(url)
    assert [p for p in caught.value.problems if p.startswith("monitoring.url")], caught.value.problems
