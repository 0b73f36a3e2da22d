"""`colo demo` on the lab, twice in a row, with its own defaults (./.colo for the register and documents)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from provisioner.lab.api import Lab
from provisioner.register.db import open_register
from provisioner.register.models import AssetRecord
from tests.e2e.conftest import ROOT, addresses_of, colo, colo_json

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_demo_runs_again_after_an_earlier_demo_and_a_lab_rebuild(lab: Lab, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLO_DB", "COLO_OUTPUT")}
    env["PYTHONPATH"] = str(ROOT)
    lab.reset_host("lab-srv1")

    first = colo_json(env, "demo", cwd=tmp_path)
    documents = tmp_path / ".colo" / "documents" / first["id"]
    assert first["documents_dir"] == str(documents)
    assert {"final_report.pdf", "handover_minutes.pdf"} <= {p.name for p in documents.iterdir()}
    assert (tmp_path / ".colo" / "register.db").is_file()
    assert all(a.startswith("10.231.0.") for a in addresses_of(lab, "lab-srv1"))  # provisioned, staging gone

    hosts = lab.host_count()
    lab.down()  # the lab is built again by the demo: the same switch and servers, the same host keys
    again = colo(env, "demo", cwd=tmp_path).stdout
    lab.up(hosts)
    assert re.search(rf"{first['id']},\s+is\s+still\s+active:\s+decommissioning", again), again
    second = re.search(r"(REQ-\d{4}-\d{4}): steps 1 to 7 done", again)
    assert second is not None and second.group(1) != first["id"], again
    assert (tmp_path / ".colo" / "documents" / second.group(1) / "final_report.pdf").is_file()
    colo(env, "decommission", second.group(1), cwd=tmp_path)
    register = open_register(f"sqlite:///{tmp_path / '.colo' / 'register.db'}")
    with register.session() as session:
        assets = session.scalars(select(AssetRecord).order_by(AssetRecord.request_id)).all()
        assert [a.request_id for a in assets] == [first["id"], second.group(1)]
        assert all(a.decommissioned_at is not None for a in assets)
