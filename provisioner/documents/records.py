"""Documents of a request's steps: the context from the register and the record of what was written."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from provisioner.documents.render import render_document
from provisioner.register.db import utcnow
from provisioner.register.models import DocumentRecord, EventRecord, RequestRecord
from provisioner.workflow import completions


def request_context(record: RequestRecord, site: Mapping[str, str]) -> dict[str, Any]:
    """What every template sees: the site, the request as submitted, and each completed step's record."""
    steps = {
        step.name.lower(): {"actor": ev.actor, "at": ev.at, "outcome": ev.outcome, **ev.details}
        for step, ev in completions(record).items()
    }
    return {
        "site": dict(site),
        "request_id": record.id,
        "request": record.document,
        "steps": steps,
        "issued_at": utcnow(),
    }


def write_step_document(
    session: Session,
    record: RequestRecord,
    kind: str,
    site: Mapping[str, str],
    output_root: Path,
    extra: Mapping[str, object] | None = None,
    *,
    event: EventRecord | None = None,
) -> DocumentRecord:
    """Render ``kind`` under <output_root>/<REQ-ID>/ and record it (by absolute paths), tied to the step's
    event."""
    context = {**request_context(record, site), **(extra or {})}
    rendered = render_document(kind, context, output_root / record.id)
    document = DocumentRecord(
        request_id=record.id,
        event_id=event.id if event is not None else None,
        kind=kind,
        html_path=str(rendered.html),
        pdf_path=str(rendered.pdf),
        sha256=rendered.sha256,
    )
    session.add(document)
    session.flush()
    return document


