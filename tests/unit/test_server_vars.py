"""What the server stage hands to provision.yml from the facility."""

from __future__ import annotations

import pytest

from provisioner.errors import BadInput
from provisioner.stages.server import monitoring_sources


def test_the_monitoring_source_is_the_address_of_the_monitoring_url() -> None:
    assert monitoring_sources("http://10.231.253.2:9090") == ["10.231.253.2"]
    assert monitoring_sources("https://10.231.253.2/prometheus") == ["10.231.253.2"]


@pytest.mark.parametrize("url", [
    "http://10.231.253.2,0.0.0.0-255.255.255.255:9090", "http://10.0.0.1}accept;{x:9090",
    "http://prometheus.lab:9090", "http://[::1]:9090", "http://:9090",
])
def test_anything_but_an_ipv4_address_never_reaches_the_firewall(url: str) -> None:
    with pytest.raises(BadInput, match=r"monitoring\.url"):
        monitoring_sources(url)
