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
