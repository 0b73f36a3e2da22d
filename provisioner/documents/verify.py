"""Is this PDF a document of the register, signed as the site signs? Its signature (intact, covering the whole
file, chaining to the site's CA), its SHA-256 against the documents the register recorded, and its pages' QR
code (the PDF's subject: provisioner.documents.qr) against that record and the HTML recorded with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from sqlalchemy import select

from provisioner.documents.qr import PageCode, content_sha256
from provisioner.documents.signing import check_signature
from provisioner.errors import BadInput
from provisioner.organisation import Organisation
from provisioner.register.db import Register
from provisioner.register.models import DocumentRecord


@dataclass(frozen=True)
class Verdict:
    """What the check found: the register's record of the file (if any), its signers, what is wrong."""

    sha256: str
    request_id: str | None
    kind: str | None
    signers: tuple[str, ...]
    problems: tuple[str, ...]


def verify_document(register: Register, path: Path, organisation: Organisation) -> Verdict:
    """Check ``path``; BadInput when it cannot be read or the site signs no documents."""
    if organisation.signing is None:
        raise BadInput("the site signs no documents: its facility file names no organisation.signing")
    try:
        data, ca = path.read_bytes(), organisation.signing.ca.read_bytes()
    except OSError as exc:
        raise BadInput(f"{exc.filename}: cannot be read: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    signature = check_signature(data, ca, timestamped=organisation.signing.tsa is not None)
    with register.session() as session:
        record = session.scalars(select(DocumentRecord).where(DocumentRecord.sha256 == digest)).first()
    problems = list(signature.problems)
    if record is None:
        problems.append(f"the register holds no document with this SHA-256 ({digest})")
    else:
        problems += code_problems(data, record)
    return Verdict(
        digest,
        record.request_id if record else None,
        record.kind if record else None,
        signature.signers,
        tuple(problems),
    )


def pdf_subject(pdf: bytes) -> str | None:
    """The PDF's subject (its Info dictionary's), if it has one."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        subject = PdfFileReader(BytesIO(pdf)).trailer["/Info"]["/Subject"]
    except (PdfReadError, ValueError, KeyError, TypeError):
        return None
    return str(subject) if subject is not None else None


def code_problems(pdf: bytes, record: DocumentRecord) -> list[str]:
    """What the QR code of the register's file says that the register does not."""
    subject = pdf_subject(pdf)
    code = PageCode.parse(subject) if subject is not None else None
    if code is None:
        return ["the PDF carries no page QR code of the register (its subject)"]
    if (code.request_id, code.kind) != (record.request_id, record.kind):
        return [
            f"the QR code names {code.kind} of {code.request_id}; the register holds this file as "
            f"{record.kind} of {record.request_id}"
        ]
    try:
        html = Path(record.html_path).read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{record.html_path}: the HTML the register recorded cannot be read: {exc.strerror}"]
    if content_sha256(html, code) != code.sha256:
        return [
            f"the QR code's SHA-256 ({code.sha256}) is not that of the HTML the register recorded "
            f"({record.html_path})"
        ]
    return []
