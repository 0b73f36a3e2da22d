"""Which module speaks to a facility's monitoring system: one mapping from `monitoring.kind` to a module."""

from __future__ import annotations

import typing
from pathlib import Path

from provisioner.facility import Monitoring
from provisioner.monitoring import BACKENDS, open_backend
from provisioner.monitoring.prometheus import Prometheus


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
