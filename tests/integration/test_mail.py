"""The step 7 mail through a real SMTP server (aiosmtpd on 127.0.0.1): recipients, subject, attachments."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from provisioner.errors import BadInput, InfrastructureError
from provisioner.mail import (
    MailResult,
    Person,
    ReportMail,
    SmtpSettings,
    build_report_message,
    deliver_report,
)

PASSWORD = "s3cret-smtp-pass"


@dataclass
class _Inbox:
    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"noc"
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok)


@pytest.fixture()
def tls_smtp_server(tmp_path: Path) -> Iterator[tuple[_Inbox, int, Path]]:
    """An SMTP server that demands STARTTLS before AUTH, with an openssl-made certificate for 127.0.0.1."""
    cert, key = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=ctx,
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield inbox, controller.port, cert
    controller.stop()


def _mail() -> ReportMail:
    return ReportMail(
        request_id="REQ-2026-0001",
        letter_number="027/114/Disdik/2026",
        agency_name="Dinas Pendidikan Kabupaten Ciamis",
        recipient=Person("Budi Santoso", "budi@disdik.ciamiskab.go.id"),
        head_of_division=Person("Kepala Bidang Persandian", "kabid.sandi@ciamiskab.go.id"),
        sender=Person("Diskominfo Kabupaten Ciamis", "noc@ciamiskab.go.id"),
        hostname="simpeg",
        address="10.231.0.5",
        applications=("SIMPEG: https://simpeg.lab.ciamiskab.go.id/",),
    )


@pytest.fixture()
def attachments(tmp_path: Path) -> list[Path]:
    pdf, html = tmp_path / "laporan-akhir.pdf", tmp_path / "laporan-akhir.html"
    pdf.write_bytes(b"%PDF-1.7\n% final report\n%%EOF\n")
    html.write_text("<html><body><h1>Laporan Akhir</h1></body></html>\n")
    return [pdf, html]


def _check_received(raw: bytes, attachments: list[Path]) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == (
        "Laporan Penyelesaian Co-Location Server dan Hosting Aplikasi - Dinas Pendidikan Kabupaten Ciamis"
        " (REQ-2026-0001)"
    )
    assert msg["To"] == "Budi Santoso <budi@disdik.ciamiskab.go.id>"
    assert msg["Cc"] == "Kepala Bidang Persandian <kabid.sandi@ciamiskab.go.id>"
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "027/114/Disdik/2026" in text and "simpeg (10.231.0.5)" in text and "dapat diakses" in text
    parts = {str(part.get_filename()): part for part in msg.iter_attachments()}
    assert sorted(parts) == ["laporan-akhir.html", "laporan-akhir.pdf"]
    assert parts["laporan-akhir.pdf"].get_content_type() == "application/pdf"
    assert parts["laporan-akhir.pdf"].get_content() == attachments[0].read_bytes()
    assert parts["laporan-akhir.html"].get_content_type() == "text/html"
    assert parts["laporan-akhir.html"].get_content() == attachments[1].read_text()
    return msg


def test_report_arrives_with_attachments_and_recipients(
    smtp_server: tuple[_Inbox, int], attachments: list[Path], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    msg = build_report_message(_mail(), attachments, datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    result = deliver_report(msg, tmp_path / "out" / "laporan-akhir.eml", SmtpSettings("127.0.0.1", port))
    assert result == MailResult(
        tmp_path / "out" / "laporan-akhir.eml",
        True,
        ("budi@disdik.ciamiskab.go.id", "kabid.sandi@ciamiskab.go.id"),
        str(msg["Message-ID"]),
    )
    ((mail_from, rcpt_tos, raw),) = inbox.envelopes
    assert mail_from == "noc@ciamiskab.go.id"
    assert rcpt_tos == ["budi@disdik.ciamiskab.go.id", "kabid.sandi@ciamiskab.go.id"]
    received = _check_received(raw, attachments)
    assert received["Date"] == "Fri, 27 Nov 2026 10:00:00 +0000"
    _check_received(result.eml_path.read_bytes(), attachments)


def test_without_an_smtp_server_only_the_eml_is_written(attachments: list[Path], tmp_path: Path) -> None:
    result = deliver_report(build_report_message(_mail(), attachments), tmp_path / "r.eml")
    assert result.sent is False
    assert b"\r\n" in result.eml_path.read_bytes()
    _check_received(result.eml_path.read_bytes(), attachments)


def test_starttls_and_login_with_the_password_kept_out_of_the_mail(
    tls_smtp_server: tuple[_Inbox, int, Path], attachments: list[Path], tmp_path: Path
) -> None:
    inbox, port, cert = tls_smtp_server
    smtp = SmtpSettings(
        "127.0.0.1", port, starttls=True, username="noc", password=PASSWORD, ca_file=str(cert)
    )
    assert PASSWORD not in repr(smtp)
    result = deliver_report(build_report_message(_mail(), attachments), tmp_path / "r.eml", smtp)
    assert result.sent
    ((_, _, raw),) = inbox.envelopes
    _check_received(raw, attachments)
    assert PASSWORD.encode() not in raw and PASSWORD.encode() not in result.eml_path.read_bytes()


def test_wrong_password_is_an_infrastructure_error_and_the_eml_stays(
    tls_smtp_server: tuple[_Inbox, int, Path], attachments: list[Path], tmp_path: Path
) -> None:
    inbox, port, cert = tls_smtp_server
    smtp = SmtpSettings(
        "127.0.0.1", port, starttls=True, username="noc", password="wrong", ca_file=str(cert), timeout_s=2
    )
    with pytest.raises(InfrastructureError, match="did not take the mail") as info:
        deliver_report(build_report_message(_mail(), attachments), tmp_path / "r.eml", smtp)
    assert "wrong" not in info.value.message
    assert inbox.envelopes == [] and (tmp_path / "r.eml").is_file()


def test_header_injection_is_refused(attachments: list[Path]) -> None:
    bad = Person("Budi\r\nBcc: x@ciamiskab.go.id", "budi@disdik.ciamiskab.go.id")
    mail = _mail()
    with pytest.raises(BadInput):
        build_report_message(ReportMail(**{**mail.__dict__, "recipient": bad}), attachments)
    with pytest.raises(BadInput):
        build_report_message(ReportMail(**{**mail.__dict__, "request_id": "REQ-1\nBcc: x"}), attachments)


def test_step_7_mails_the_signed_pdfs_the_register_holds(
    smtp_server: tuple[_Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through step 7 on the lab site (its CA's keys): the final report and the handover minutes arrive
    byte for byte as the register recorded them, each signed by its step's person and chaining to the CA;
    step 6's placement sheet is signed by its technician too."""
    import hashlib

    from sqlalchemy.orm import Session

    from provisioner.allocate import allocate
    from provisioner.documents import stage_documents
    from provisioner.documents.signing import check_signature
    from provisioner.facility import load_facility
    from provisioner.register.db import open_register
    from provisioner.register.models import AssetRecord, DocumentRecord, EventRecord, RequestRecord
    from provisioner.request import load_request
    from provisioner.stages.base import Delivered, StageContext
    from provisioner.stages.plan import record_sheet_document
    from provisioner.steps import capacity, report
    from provisioner.steps.submit import submit_request
    from provisioner.workflow import Step, get_request, perform_step
    from tests.integration.lab_site_support import PASSWORD as KEYS_PASSWORD
    from tests.integration.lab_site_support import lab_site_with_keys
    from tests.integration.test_document_layout import HEAD, ROOT, TECHNICIAN, work_details

    inbox, port = smtp_server
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", KEYS_PASSWORD)
    monkeypatch.setenv("COLO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("COLO_SMTP_PORT", str(port))
    site = lab_site_with_keys(tmp_path)
    lab = load_facility(site)  # its zone not asked: no DNS server without the lab
    facility = lab.model_copy(update={"dns": lab.dns.model_copy(update={"update": None})})
    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    request_id = submit_request(register, spec.model_dump(mode="json"), source, actor="Budi Santoso")
    perform_step(register, request_id, Step.DISPOSE, HEAD, {"to": "Dede Kurniawan, S.Kom."})
    capacity.run(register, facility, request_id, by=TECHNICIAN, output_dir=None)
    perform_step(register, request_id, Step.APPLY, "Budi Santoso", {"serial": "7XK2Q93"})
    perform_step(register, request_id, Step.APPROVE, HEAD, {})
    extra = work_details(facility, register, request_id)
    asset = extra["asset"]
    ctx = StageContext(register=register, request_id=request_id, request=spec, facility=facility,
                       site_dir=site, output_dir=tmp_path / "out", actor=TECHNICIAN, confirm=lambda _p: True,
                       delivered=Delivered(serial="7XK2Q93", staging_address="10.231.255.10"))
    sheet = record_sheet_document(ctx, allocate(register, facility, request_id))  # step 6's plan stage

    def minutes(record: RequestRecord, event: EventRecord) -> object:
        return stage_documents(record, event, facility.letterhead(), tmp_path / "out",
                               [("handover_minutes", extra)], register=register)

    def installed(session: Session, record: RequestRecord, event: EventRecord) -> list[DocumentRecord]:
        session.add(AssetRecord(request_id=record.id, agency_code="disdik", hostname="simpeg",
                                serial="7XK2Q93", os="Debian 12", location=asset["location"],
                                address=asset["address"], installed_at=event.at, details=asset))
        return []

    perform_step(register, request_id, Step.PROVISION, TECHNICIAN, {}, prepare=minutes,  # type: ignore[arg-type]
                 after=installed)
    done = report.run(register, request_id, site, tmp_path / "out", by=TECHNICIAN)
    assert done.mail.sent is True and len(inbox.envelopes) == 1
    msg = email.message_from_bytes(inbox.envelopes[0][2], policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    parts = {str(part.get_filename()): part.get_content() for part in msg.iter_attachments()}
    assert sorted(parts) == ["final_report.pdf", "handover_minutes.pdf"]
    with register.session() as session:
        recorded = {d.kind: d.sha256 for d in get_request(session, request_id).documents}
    signing = facility.organisation.signing
    assert signing is not None
    signers = {}
    for name, data in parts.items():
        assert hashlib.sha256(data).hexdigest() == recorded[name.removesuffix(".pdf")], name
        check = check_signature(data, signing.ca.read_bytes())
        assert check.valid, (name, check.problems)
        signers[name] = check.signers
    technician = f"Common Name: {TECHNICIAN}; Serial Number: 199105222015032001; Organization: Colo Lab"
    assert signers == {name: (technician,) for name in parts}
    assert check_signature(sheet.read_bytes(), signing.ca.read_bytes()).signers == (technician,)
    register.close()
