"""The disposition, application form and approval form as PDFs: names, numbers and dates read back."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from provisioner.documents import render_document, request_context, write_step_document
from provisioner.documents.render import tanggal, waktu
from provisioner.organisation import Letterhead, Organisation
from provisioner.register.db import open_register
from provisioner.register.models import AssetRecord, DocumentRecord, EventRecord, RequestRecord
from provisioner.steps.submit import submit_request
from provisioner.workflow import Step, get_request, perform_step

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = Letterhead("dc-ciamis", "Data Center Diskominfo Kabupaten Ciamis", "ciamiskab.go.id", Organisation(
    division="Bidang Persandian dan Telematika", section="Seksi Telematika"))
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout


def pages(path: Path) -> list[str]:
    return pdf_text(path).split("\f")[:-1]


@pytest.fixture
def approved(tmp_path: Path) -> tuple[str, str]:
    """A request recorded through step 5 with named people (step 3 recorded as the technician's)."""
    from provisioner.request import load_request

    url = f"sqlite:///{tmp_path / 'register.db'}"
    register = open_register(url)
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    when = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    document = spec.model_dump(mode="json")
    request_id = submit_request(register, document, source, actor="Budi Santoso", now=when)
    perform_step(register, request_id, Step.DISPOSE, "Drs. Asep Saepudin", {"to": "Dedi Kurniawan, S.Kom."})
    perform_step(register, request_id, Step.CAPACITY, "Rina Teknisi", {})
    delivered = {"serial": "7XK2Q93", "staging_address": None}
    perform_step(register, request_id, Step.APPLY, "Budi Santoso", delivered)
    perform_step(register, request_id, Step.APPROVE, "Drs. Asep Saepudin", {})
    register.close()
    return url, request_id


@pytest.mark.parametrize(
    ("kind", "step", "must_have"),
    [
        ("disposition", Step.DISPOSE, ["LEMBAR DISPOSISI", "Drs. Asep Saepudin", "Dedi Kurniawan, S.Kom.",
                                       "Kepala Bidang Persandian dan Telematika", "Kepala Seksi Telematika"]),
        ("application_form", Step.APPLY, ["FORMULIR PENGAJUAN", "Budi Santoso", "budi@disdik.ciamiskab.go.id",
                                          "7XK2Q93", "PowerEdge R650", "Dedi Kurniawan, S.Kom."]),
        ("approval_form", Step.APPROVE, ["FORMULIR PERSETUJUAN", "DISETUJUI", "Drs. Asep Saepudin",
                                         "Rina Teknisi", "Budi Santoso"]),
    ],
)
def test_documents_carry_names_numbers_and_dates(
    approved: tuple[str, str], tmp_path: Path, kind: str, step: Step, must_have: list[str]
) -> None:
    url, request_id = approved
    register = open_register(url)
    with register.session() as session:
        record = get_request(session, request_id)
        event = next(e for e in record.events if e.step == step)
        document = write_step_document(session, record, kind, SITE, tmp_path / "out", event=event)
        step_date = tanggal(event.at)
    register.close()
    pdf = Path(document.pdf_path)
    assert pdf.parent == tmp_path / "out" / request_id
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o640
    body = " ".join(pdf_text(pdf).split())
    for expected in [*must_have, request_id, "027/114/Disdik/2026", "20 November 2026",
                     "Dinas Pendidikan Kabupaten Ciamis", SITE.name, "ciamiskab.go.id", step_date,
                     "Peran para pihak tidak diperiksa"]:
        assert expected in body, f"{expected!r} missing from {kind}.pdf"
    for page in pages(pdf):
        flat = " ".join(page.split())
        assert request_id in flat and "Surat No. 027/114/Disdik/2026" in flat
    assert document.event_id == event.id and len(document.sha256) == 64


def test_text_from_the_request_is_escaped(tmp_path: Path, approved: tuple[str, str]) -> None:
    url, request_id = approved
    register = open_register(url)
    with register.session() as session:
        context = request_context(get_request(session, request_id), replace(SITE, name="<b>DC</b> & Co"))
    register.close()
    rendered = render_document("disposition", context, tmp_path)
    html = rendered.html.read_text()
    assert "&lt;b&gt;DC&lt;/b&gt; &amp; Co" in html and "<b>DC</b>" not in html


def test_dates_are_indonesian() -> None:
    assert tanggal("2026-08-17") == "17 Agustus 2026"
    assert waktu(datetime(2026, 11, 23, 17, 30, tzinfo=UTC)) == "24 November 2026 00.30 WIB"


def test_final_report_skeleton_renders(tmp_path: Path, approved: tuple[str, str]) -> None:
    url, request_id = approved
    register = open_register(url)
    perform_step(register, request_id, Step.PROVISION, "Rina Teknisi", {})
    run = perform_step(
        register, request_id, Step.REPORT, "Rina Teknisi", {},
        after=lambda s, r, e: [write_step_document(s, r, "final_report", SITE, tmp_path, event=e)],
    )
    with register.session() as session:
        stored = session.get(DocumentRecord, run.documents[0].id)
        assert stored is not None and stored.kind == "final_report"
    register.close()
    body = " ".join(pdf_text(Path(run.documents[0].pdf_path)).split())
    assert "https://simpeg.ciamiskab.go.id:443/" in body and "Rina Teknisi" in body


def _colo(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    command = [sys.executable, "-m", "provisioner.cli.main", *args]
    return subprocess.run(command, env=full, cwd=cwd, capture_output=True, text=True, timeout=99, check=False)


def test_step7_from_another_folder_attaches_the_handover_and_replaces_a_planted_link(
    tmp_path: Path, approved: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 6's documents written under a relative output folder are still found by `colo report` run from
    another folder; a link planted at final_report.eml is replaced, the file it points to untouched."""
    url, request_id = approved
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)

    def step6(session: Session, record: RequestRecord, event: EventRecord) -> list[DocumentRecord]:
        session.add(AssetRecord(
            request_id=record.id, agency_code="disdik", hostname="simpeg", serial="7XK2Q93", os="Debian 12",
            location="R01 U10", address="10.231.0.5", installed_at=event.at,
            details={"asset_tag": "DKF-2026-0007", "rack": "R01", "units": [10], "site": "dc-lab",
                     "switch": "sw-lab-01", "switch_port": "GigabitEthernet1/0/1", "vlan": 100,
                     "subnet": "10.231.0.0/27", "handover_number": "BAST/001/2026",
                     "handover_date": "2026-11-25"},
        ))
        # the handover minutes as step 6 records them: a document written under a relative output folder
        document = write_step_document(session, record, "disposition", SITE, Path("documents"), event=event)
        document.kind = "handover_minutes"
        return [document]

    register = open_register(url)
    perform_step(register, request_id, Step.PROVISION, "Rina Teknisi", {}, after=step6)
    register.close()
    victim = tmp_path / "victim.txt"
    victim.write_text("not a mail\n")
    victim.chmod(0o600)
    (first / "documents" / request_id / "final_report.eml").symlink_to(victim)
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "facilities" / "example.yml", site / "facility.yml")
    env = {"COLO_DB": url, "COLO_SITE": str(site), "COLO_OUTPUT": str(first / "documents")}
    done = _colo(["report", request_id, "--by", "Rina Teknisi", "--json"], env, second)
    assert done.returncode == 0, done.stderr
    eml = first / "documents" / request_id / "final_report.eml"
    assert not eml.is_symlink() and stat.S_IMODE(eml.stat().st_mode) == 0o640
    assert victim.read_text() == "not a mail\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["final_report.pdf", "disposition.pdf"]


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(
    tmp_path: Path, approved: tuple[str, str]
) -> None:
    """A run killed while rendering leaves its staging folder; the request's next document run on this
    machine removes it, and leaves a running one's and another machine's alone."""
    url, request_id = approved
    out = tmp_path / "out"
    ended = subprocess.Popen(["true"])
    ended.wait()
    here = socket.gethostname()
    killed = out / f".staging-{request_id}-{here}-{ended.pid}-0a1b2c3d"
    running = out / f".staging-{request_id}-{here}-{os.getpid()}-0a1b2c3d"
    elsewhere = out / f".staging-{request_id}-noc-teknisi-2-{ended.pid}-0a1b2c3d"
    other_request = out / f".staging-{request_id}9-{here}-{ended.pid}-0a1b2c3d"
    for folder in (killed, running, elsewhere, other_request):
        folder.mkdir(parents=True)
        (folder / "disposition.pdf").write_bytes(b"%PDF-1.7 half")
    register = open_register(url)
    with register.session() as session:
        record = get_request(session, request_id)
        event = next(e for e in record.events if e.step == Step.DISPOSE)
        write_step_document(session, record, "disposition", SITE, out, event=event)
    register.close()
    left = {p.name for p in out.iterdir()}
    assert left == {request_id, running.name, elsewhere.name, other_request.name}
