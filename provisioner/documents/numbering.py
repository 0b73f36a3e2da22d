"""Official document numbers, ``001/BAST-COLO/dc-lab/2026``: the next of the kind's counter in the year.

Numbers are given one at a time per kind and year (the register's exclusive transaction: SQLite's write
lock, a PostgreSQL advisory lock), and a request's document of a kind keeps its number: asking again (the
step rendered again, or run again after a failure) returns the same one. The format is the site's
``organisation.number_format``; the year and month are those of the day in Jakarta.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from provisioner.documents.indonesian import LOCAL_TIME, roman
from provisioner.organisation import Letterhead
from provisioner.register.db import Register, utcnow
from provisioner.register.numbering_models import DocumentCounter, DocumentNumberRecord

DOCUMENT_CODES: Mapping[str, str] = {
    "disposition": "DISP-COLO",
    "capacity_report": "LAP-KAP-COLO",
    "application_form": "FP-COLO",
    "approval_form": "PST-COLO",
    "work_report": "LHK-COLO",
    "handover_minutes": "BAST-COLO",
    "final_report": "BA-COLO",
    "decommission_report": "BAP-COLO",
    "placement_sheet": "LPS-COLO",
}
"""The code of each kind of document in its number (BAST: berita acara serah terima)."""


def issue_number(
    register: Register, request_id: str, kind: str, letterhead: Letterhead, at: datetime | None = None
) -> str:
    """The number of ``request_id``'s document of ``kind``: the one it has, else the next of the year."""
    local = (at or utcnow()).astimezone(LOCAL_TIME)
    with register.session(exclusive=f"document-number:{kind}:{local.year}") as session:
        given = session.scalar(select(DocumentNumberRecord.number).where(
            DocumentNumberRecord.request_id == request_id, DocumentNumberRecord.kind == kind))
        if given is not None:
            return given
        counter = session.get(DocumentCounter, (kind, local.year))
        if counter is None:
            counter = DocumentCounter(kind=kind, year=local.year, last=0)
            session.add(counter)
        counter.last += 1
        number = letterhead.organisation.number_format.format(
            seq=counter.last, code=DOCUMENT_CODES[kind], site=letterhead.code, month=roman(local.month),
            year=local.year,
        )
        session.add(DocumentNumberRecord(request_id=request_id, kind=kind, year=local.year, seq=counter.last,
                                         number=number))
    return number
