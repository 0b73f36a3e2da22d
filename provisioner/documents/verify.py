"""Is this PDF a document of the register, signed as the site signs? Its signature (intact, covering the whole
file, chaining to the site's CA) and its SHA-256 against the documents the register recorded."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

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
    signature = check_signature(data, ca)
    with register.session() as session:
        record = session.scalars(select(DocumentRecord).where(DocumentRecord.sha256 == digest)).first()
    problems = list(signature.problems)
    if record is None:
        problems.append(f"the register holds no document with this SHA-256 ({digest})")
    return Verdict(digest, record.request_id if record else None, record.kind if record else None,
                   signature.signers, tuple(problems))
