"""Which module speaks to a facility's monitoring system: one mapping from `monitoring.kind` to a module."""

from __future__ import annotations

import time
import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from provisioner.errors import InfrastructureError
from provisioner.facility import Monitoring
from provisioner.monitoring import BACKENDS, MonitoredHost, open_backend, prometheus
from provisioner.monitoring.base import TargetState
from provisioner.monitoring.prometheus import Prometheus
from provisioner.monitoring.zabbix import ZabbixBackend, desired
from provisioner.secrets import CredentialSource


def test_every_kind_the_facility_accepts_has_a_backend_module() -> None:
    kinds = typing.get_args(Monitoring.model_fields["kind"].annotation)
    assert set(kinds) == set(BACKENDS)


def test_the_facility_section_opens_its_backend(tmp_path: Path) -> None:
    settings = Monitoring.model_validate(
        {"kind": "prometheus", "url": "http://10.231.253.2:9090/", "file_sd_dir": str(tmp_path / "sd")}
    )
    backend = open_backend(settings, CredentialSource())
    assert isinstance(backend, Prometheus)
    assert backend.api.url == "http://10.231.253.2:9090" and backend.file_sd.dir == tmp_path / "sd"


def test_a_zabbix_section_opens_the_zabbix_backend_with_its_credentials_name() -> None:
    settings = Monitoring.model_validate(
        {"kind": "zabbix", "url": "http://10.231.253.2/zabbix", "credentials": "zabbix-lab"}
    )
    backend = open_backend(settings, CredentialSource())
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


def test_a_section_without_host_writes_here_and_probes_nothing(tmp_path: Path) -> None:
    from provisioner.monitoring.files import LocalFiles

    settings = Monitoring.model_validate(
        {"kind": "prometheus", "url": "http://10.231.253.2:9090", "file_sd_dir": str(tmp_path / "sd")}
    )
    backend = open_backend(settings, CredentialSource())
    assert isinstance(backend, Prometheus)
    assert isinstance(backend.file_sd.files, LocalFiles) and backend.probes is None


def test_a_section_with_host_and_probes_writes_there_over_ssh() -> None:
    from provisioner.monitoring.files import SshFiles

    settings = Monitoring.model_validate({
        "kind": "prometheus", "url": "http://10.0.0.9:9090", "file_sd_dir": "/etc/prometheus/file_sd/colo",
        "host": {"address": "10.0.0.9", "credentials": "noc", "file_owner": "prometheus"},
        "probes": {"file_sd_dir": "/etc/prometheus/file_sd/colo-probes"},
    })
    backend = open_backend(settings, CredentialSource())
    assert isinstance(backend, Prometheus) and isinstance(backend.file_sd.files, SshFiles)
    assert backend.probes is not None and backend.probes.module == "http_2xx"
    assert backend.probes.files is backend.file_sd.files


def test_probe_urls_use_the_zone_name_where_dns_has_it() -> None:
    from provisioner.facility import load_facility
    from provisioner.request import load_request
    from provisioner.stages.monitoring import probe_urls

    root = Path(__file__).resolve().parents[2]
    facility = load_facility(root / "inventories" / "lab")
    request, _text = load_request(root / "examples" / "request-simpeg.yaml")
    named = [a for a in request.applications if a.scheme != "tcp"]
    urls = probe_urls(request, facility, "10.231.0.5")
    assert len(urls) == len(named) and all(u.startswith(("http://", "https://")) for _, u in urls)
    for app, (name, url) in zip(named, urls, strict=True):
        assert name == app.name
        assert (f"{app.subdomain}.lab.ciamiskab.go.id" if app.subdomain else "10.231.0.5") in url


class _Clock:
    """Time for `_poll` alone: sleeping moves it on, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(time, "monotonic", fake.monotonic)
    monkeypatch.setattr(time, "sleep", fake.sleep)
    return fake


def _never_answers() -> TargetState:
    raise InfrastructureError("Prometheus at http://10.231.253.2:9 did not answer: connection refused")


def test_a_wait_on_a_prometheus_that_never_answers_fails_after_the_grace(clock: _Clock) -> None:
    with pytest.raises(InfrastructureError, match="did not answer"):
        prometheus._poll(60.0, 1.0, _never_answers, lambda state: state.up)
    assert clock.now <= prometheus.ANSWER_GRACE_S


def test_a_wait_that_had_an_answer_rides_out_a_restart_until_the_timeout(clock: _Clock) -> None:
    answers = iter([TargetState("10.231.120.10:9100", "unknown")])

    def look() -> TargetState:
        return next(answers, None) or _never_answers()

    state = prometheus._poll(60.0, 1.0, look, lambda s: s.up)
    assert state.health == "unknown" and clock.now >= 59.0


def test_a_wait_returns_as_soon_as_the_target_is_up(clock: _Clock) -> None:
    answers = iter(["unknown", "unknown", "up"])
    state = prometheus._poll(
        60.0, 1.0, lambda: TargetState("10.231.120.10:9100", next(answers)), lambda s: s.up)  # type: ignore[arg-type]
    assert state.up and clock.now == 2.0
