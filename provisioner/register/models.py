"""The register's core tables: requests, their events (the audit log), documents and assets.

Events are append-only: the mapper refuses to update or delete one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioner.register.db import Base, UtcDateTime, utcnow

if TYPE_CHECKING:
    from provisioner.request import ColoRequest

ACTOR_LENGTH = 200
"""Who did a step: a name of up to 100 characters, or step 1's "contact name (agency code)"."""
OS_LENGTH = 80
"""An asset's operating system: "family version" (40 + 1 + 20 characters at most)."""


class RequestRecord(Base):
    """One request letter (step 1) with the submitted document, as received and as validated."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_requests_year_seq"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    agency_code: Mapped[str] = mapped_column(String(20), index=True)
    hostname: Mapped[str] = mapped_column(String(63))
    letter_number: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_text: Mapped[str] = mapped_column(Text)

    events: Mapped[list[EventRecord]] = relationship(
        back_populates="request", order_by="EventRecord.id", lazy="selectin"
    )
    documents: Mapped[list[DocumentRecord]] = relationship(
        back_populates="request", order_by="DocumentRecord.id"
    )

    def spec(self) -> ColoRequest:
        """The validated request as a model."""
        from provisioner.request import ColoRequest

        return ColoRequest.model_validate(self.document)


class EventRecord(Base):
    """One entry of the audit log: a step (or a stage of step 6) done by someone, with its outcome.

    A row with ``stage`` NULL and a step is that step's completion; there is at most one per step.
    ``step`` NULL marks an event outside the steps (cancellation).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "uq_events_step_done",
            "request_id",
            "step",
            unique=True,
            sqlite_where=text("stage IS NULL AND step IS NOT NULL"),
            postgresql_where=text("stage IS NULL AND step IS NOT NULL"),
        ),
        UniqueConstraint("position", name="uq_events_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    step: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int | None] = mapped_column(Integer)
    """The event's place in the audit log's hash chain (see provisioner.register.chain); set at commit."""
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    request: Mapped[RequestRecord] = relationship(back_populates="events")


@event.listens_for(EventRecord, "before_update")
def _no_update(_mapper: object, _connection: object, target: EventRecord) -> None:
    state = inspect(target)
    if any(state.attrs[column.key].history.has_changes() for column in state.mapper.column_attrs):
        raise RuntimeError(f"event {target.id} of {target.request_id} is in the audit log and cannot change")


@event.listens_for(EventRecord, "before_delete")
def _no_delete(_mapper: object, _connection: object, target: EventRecord) -> None:
    raise RuntimeError(f"event {target.id} of {target.request_id} is in the audit log and cannot be deleted")


class DocumentRecord(Base):
    """A document produced for a step (HTML and PDF), with the PDF's SHA-256 and the step's event."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(40))
    html_path: Mapped[str] = mapped_column(Text)
    pdf_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    request: Mapped[RequestRecord] = relationship(back_populates="documents")


class AssetRecord(Base):
    """A row of the asset register: a server placed in the facility for an agency."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), unique=True)
    agency_code: Mapped[str] = mapped_column(String(20), index=True)
    hostname: Mapped[str] = mapped_column(String(63))
    serial: Mapped[str] = mapped_column(String(50), index=True)
    vendor: Mapped[str | None] = mapped_column(String(60))
    model: Mapped[str | None] = mapped_column(String(60))
    os: Mapped[str] = mapped_column(String(OS_LENGTH))
    location: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(45))
    installed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decommissioned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
