"""Network tables: one configuration session per switch at a time, and pinned switch host keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.register.db import Base, UtcDateTime, utcnow


class SwitchLockRecord(Base):
    """A switch being configured: held by one run until released or until it expires."""

    __tablename__ = "switch_locks"

    switch: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    machine: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SwitchHostKeyRecord(Base):
    """The SSH host key a switch showed on first contact; every later connection must show the same."""

    __tablename__ = "switch_host_keys"

    switch: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    key_type: Mapped[str] = mapped_column(String(64))
    key_base64: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(128))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
