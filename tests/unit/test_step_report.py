"""Step 7: the final report with the latest passing access check, its mail, a repeat that sends nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from step_support import ROOT, request_through

from provisioner.register.models import AssetRecord, DocumentRecord, EventRecord, RequestRecord
from provisioner.steps import report
from provisioner.workflow import Step, perform_step


def test_the_evidence_is_the_latest_passing_access_check() -> None:
    record = RequestRecord(id="REQ-2026-0001", events=[])
    for outcome, checked in (("ok", "first"), ("failed", "failing"), ("ok", "latest"), ("failed", "after")):
        EventRecord(request=record, step=int(Step.PROVISION), stage="access_check", actor="t",
                    outcome=outcome, details={"access_check": {"run": checked}})
    EventRecord(request=record, step=int(Step.PROVISION), stage="monitoring", actor="t", outcome="ok",
                details={"access_check": {"run": "not a check"}})
    assert report.evidence_of(record) == {"run": "latest"}
    assert report.evidence_of(RequestRecord(id="REQ-2026-0002", events=[])) == {}


INSTALLED = {
    "agency_code": "disdik", "hostname": "simpeg", "serial": "7XK2Q93", "os": "Debian 12",
    "location": "R01 U3", "address": "10.20.0.5",
    "details": {"asset_tag": "DC-CIAMIS-2026-0001", "site": "dc-ciamis", "rack": "R01", "units": [3],
                "switch": "sw-access-01", "switch_port": "GigabitEthernet1/0/1", "vlan": 100,
                "subnet": "10.20.0.0/27", "handover_number": "001/BAST-COLO/dc-ciamis/2026",
                "handover_date": "2026-11-25"},
}
"""The asset row step 6 leaves, column by column."""


def _installed(session: Session, record: RequestRecord, event: EventRecord) -> list[DocumentRecord]:
    session.add(AssetRecord(request_id=record.id, installed_at=event.at, **INSTALLED))
    return []


def test_the_report_and_its_mail_then_a_repeat_that_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLO_SMTP_HOST", raising=False)
    monkeypatch.setenv("COLO_HEAD_OF_DIVISION_EMAIL", "kabid@ciamiskab.go.id")
    register, request_id = request_through(tmp_path, Step.APPROVE)
    perform_step(register, request_id, Step.PROVISION, "Rina", {}, after=_installed)
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "facilities" / "example.yml", site / "facility.yml")
    done = report.run(register, request_id, site, tmp_path / "out", by="Rina")
    eml = tmp_path / "out" / request_id / "final_report.eml"
    assert (done.step, done.actor, done.repeated) == (Step.REPORT, "Rina", False)
    assert [d.kind for d in done.documents] == ["final_report"] and Path(done.documents[0].pdf).is_file()
    assert done.mail.eml == str(eml) and eml.is_file() and done.mail.sent is False
    assert set(done.mail.recipients or ()) == {"budi@disdik.ciamiskab.go.id", "kabid@ciamiskab.go.id"}
    again = report.run(register, request_id, site, tmp_path / "out", by="Someone Else")
    assert again.repeated and again.mail.sent is None and again.mail.recipients is None
    assert again.model_copy(update={"mail": done.mail, "repeated": False}) == done
