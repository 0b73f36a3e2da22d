"""Which module speaks to a facility's monitoring system: one mapping from `monitoring.kind` to a module."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from provisioner.facility import Monitoring
from provisioner.monitoring import BACKENDS, MonitoredHost, open_backend
from provisioner.monitoring.prometheus import Prometheus
from provisioner.monitoring.zabbix import ZabbixBackend, desired


def test_every_kind_the_facility_accepts_has_a_backend_module() -> None:
    kinds = typing.get_args(Monitoring.model_fields["kind"].annotation)
    assert set(kinds) == set(BACKENDS)


def test_the_facility_section_opens_its_backend(tmp_path: Path) -> None:
    settings = Monitoring.model_validate(
        {"kind": "prometheus", "url": "http://10.231.253.2:9090/", "file_sd_dir": str(tmp_path / "sd")}
    )
    backend = open_backend(settings)
    assert isinstance(backend, Prometheus)
    assert backend.api.url == "http://10.231.253.2:9090" and backend.file_sd.dir == tmp_path / "sd"


def test_a_zabbix_section_opens_the_zabbix_backend_with_its_credentials_name() -> None:
    settings = Monitoring.model_validate(
        {"kind": "zabbix", "url": "http://10.231.253.2/zabbix", "credentials": "zabbix-lab"}
    )
    backend = open_backend(settings)
    assert isinstance(backend, ZabbixBackend)
    assert backend.url == "http://10.231.253.2/zabbix" and backend.credentials == "zabbix-lab"


def test_each_kind_requires_its_own_fields() -> None:
    with pytest.raises(ValidationError, match="file_sd_dir"):
        Monitoring.model_validate({"kind": "prometheus", "url": "http://10.231.253.2:9090/"})
    with pytest.raises(ValidationError, match="credentials"):
        Monitoring.model_validate({"kind": "zabbix", "url": "http://10.231.253.2/zabbix"})


def test_the_zabbix_host_is_named_grouped_and_tagged_from_the_request() -> None:
    host = MonitoredHost(
        request_id="REQ-1",
        address="10.0.0.5",
        hostname="web01",
        agency="DISHUB",
        site="LAB",
        urls=(("portal", "http://10.0.0.5:80/"),),
    )
    want = desired(host)
    assert want.name == "web01" and want.group == "Instansi/DISHUB"
    assert ("colo-request", "REQ-1") in want.tags
    assert want.scenarios == (("web01 portal", "http://10.0.0.5:80/"),)
