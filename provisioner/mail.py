"""Step 7 as an email: the final report to the agency contact, cc the head of division.

The message is always written as an `.eml` file; it is sent over SMTP only when an SMTP server is named.
The SMTP password comes from the caller (provisioner.secrets) and is never written or logged.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from provisioner.errors import BadInput, InfrastructureError
from provisioner.files import read_document, write_documents
from provisioner.plaintext import check_plain_text, mail_address


@dataclass(frozen=True)
class Person:
    """A named recipient or sender."""

    name: str
    email: str

    def address(self) -> Address:
        """The header address; the same rules as step 1 (provisioner.plaintext), else BadInput."""
        try:
            parsed = mail_address(self.email)
            return Address(check_plain_text(self.name), parsed.local_part, parsed.domain)
        except ValueError:
            raise BadInput(f"not a usable mail address: {self.name!r} <{self.email!r}>") from None


@dataclass(frozen=True)
class ReportMail:
    """What the step 7 mail says."""

    request_id: str
    letter_number: str
    agency_name: str
    recipient: Person
    head_of_division: Person
    sender: Person
    hostname: str
    address: str
    applications: tuple[str, ...] = ()

    def subject(self) -> str:
        title = "Laporan Penyelesaian Co-Location Server dan Hosting Aplikasi"
        return f"{title} - {self.agency_name} ({self.request_id})"

    def body(self) -> str:
        apps = "\n".join(f"    - {app}" for app in self.applications) or "    -"
        return (
            f"Yth. {self.recipient.name}\n{self.agency_name}\n\n"
            f"Menindaklanjuti surat permohonan nomor {self.letter_number} (permohonan {self.request_id}), "
            "dengan ini kami laporkan bahwa penempatan server (co-location) dan hosting aplikasi telah "
            "selesai dilaksanakan dan dapat diakses.\n\n"
            f"  Server   : {self.hostname} ({self.address})\n"
            f"  Aplikasi :\n{apps}\n\n"
            "Laporan akhir dan berita acara terlampir.\n\n"
            "Demikian laporan ini kami sampaikan. "
            "Atas perhatian dan kerja samanya kami ucapkan terima kasih.\n\n"
            f"Hormat kami,\n{self.sender.name}\n\n"
            f"Tembusan: {self.head_of_division.name}, Kepala Bidang Persandian dan Telematika\n"
        )


@dataclass(frozen=True)
class SmtpSettings:
    """An SMTP server; username/password (from provisioner.secrets) only when it wants a login."""

    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout_s: float = 15.0


@dataclass(frozen=True)
class MailResult:
    eml_path: Path
    sent: bool
    recipients: tuple[str, ...]
    message_id: str


def build_report_message(
    mail: ReportMail, attachments: Sequence[Path], date: datetime | None = None
) -> EmailMessage:
    """An RFC 5322 message: To the agency contact, Cc the head of division, text body, files attached."""
    for text in (mail.subject(), mail.request_id):
        try:
            check_plain_text(text)
        except ValueError:
            raise BadInput(f"control or invisible character in mail header text: {text!r}") from None
    msg = EmailMessage()
    sender = mail.sender.address()
    msg["Subject"] = mail.subject()
    msg["From"] = sender
    msg["To"] = mail.recipient.address()
    msg["Cc"] = mail.head_of_division.address()
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=mail.request_id, domain=sender.domain)
    msg.set_content(mail.body())
    for path in attachments:
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(read_document(path), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def recipients(msg: EmailMessage) -> tuple[str, ...]:
    """Every To and Cc address of a message."""
    found: list[str] = []
    for header in ("To", "Cc"):
        for value in msg.get_all(header, []):
            found.extend(addr.addr_spec for addr in getattr(value, "addresses", ()))
    return tuple(found)


def write_eml(msg: EmailMessage, path: Path) -> Path:
    """Write the message as an .eml file (CRLF line ends, as on the wire); returns its absolute path."""
    data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    return write_documents(path.parent, {path.name: data}) / path.name


def send(msg: EmailMessage, smtp: SmtpSettings) -> None:
    """Send over SMTP (STARTTLS and login when configured); InfrastructureError when the server fails."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
            client.ehlo()
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            refused = client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise InfrastructureError(
            f"SMTP server {smtp.host}:{smtp.port} did not take the mail: {exc}"
        ) from exc
    if refused:
        raise InfrastructureError(
            f"SMTP server {smtp.host}:{smtp.port} refused recipients: {sorted(refused)}"
        )


def deliver_report(msg: EmailMessage, eml_path: Path, smtp: SmtpSettings | None = None) -> MailResult:
    """Always write the .eml; send it too when an SMTP server is given."""
    written = write_eml(msg, eml_path)
    if smtp is not None:
        send(msg, smtp)
    return MailResult(written, smtp is not None, recipients(msg), str(msg["Message-ID"]))
