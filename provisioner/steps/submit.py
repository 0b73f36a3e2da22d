"""Step 1: a validated request letter recorded under the next id of its year, REQ-YYYY-NNNN."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from provisioner.errors import Refused
from provisioner.register.db import Register, utcnow
from provisioner.register.models import RequestRecord
from provisioner.request import ColoRequest
from provisioner.workflow import Outcome, Step, record_event


class Submitted(BaseModel):
    """A recorded request: its id, who submitted it and when (step 1 has no document)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    actor: str
    at: datetime


def submitter(contact_name: str, agency_code: str) -> str:
    """Who step 1 records as its actor: the agency's contact and the agency's code."""
    return f"{contact_name} ({agency_code})"


def run(
    register: Register, request: ColoRequest, source_text: str, *, now: datetime | None = None
) -> Submitted:
    """Step 1: record ``request`` (validated from ``source_text``, the file as submitted), by its contact."""
    now = now or utcnow()
    actor = submitter(request.agency.contact.name, request.agency.code)
    request_id = submit_request(register, request.model_dump(mode="json"), source_text, actor=actor, now=now)
    return Submitted(request_id=request_id, actor=actor, at=now)


def submit_request(
    register: Register,
    document: Mapping[str, Any],
    source_text: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> str:
    """Record a validated request's document under the next id of its year; returns the id.

    Submissions take the next number one at a time (an exclusive transaction, so a crowd of first submits
    never collides), with the register's unique key behind that.
    """
    now = now or utcnow()
    for _attempt in range(5):
        try:
            with register.session(exclusive="requests") as session:
                in_year = select(func.max(RequestRecord.seq)).where(RequestRecord.year == now.year)
                last = session.scalar(in_year)
                seq = (last or 0) + 1
                record = RequestRecord(
                    id=f"REQ-{now.year}-{seq:04d}",
                    year=now.year,
                    seq=seq,
                    agency_code=document["agency"]["code"],
                    hostname=document["server"]["hostname"],
                    letter_number=document["letter"]["number"],
                    submitted_at=now,
                    document=dict(document),
                    source_text=source_text,
                )
                session.add(record)
                session.flush()
                record_event(
                    session, record, actor=actor, outcome=Outcome.OK, step=Step.SUBMIT, at=now,
                    details={"letter_number": record.letter_number},
                )
                return record.id
        except IntegrityError:
            continue
    raise Refused("could not allocate a request id: too many concurrent submissions, try again")
