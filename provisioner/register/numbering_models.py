"""Official document numbers: one counter per kind of document and year, and the number each request got.

A request's document of a kind keeps the number it was given (a step rendered again, or run again after a
failure, prints the same number), so numbers of a kind and year run 1, 2, 3... without gaps or repeats; the
database refuses a number given twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.register.db import Base, UtcDateTime, utcnow


class DocumentCounter(Base):
    """The last number given to a kind of document in a year."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class DocumentNumberRecord(Base):
    """The number of one request's document of one kind."""

    __tablename__ = "document_numbers"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", name="uq_document_numbers_request_kind"),
        UniqueConstraint("kind", "year", "seq", name="uq_document_numbers_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    kind: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
