"""What opening a register needs before SQLAlchemy is loaded: its URL, the busy timeout, the newest schema."""

from __future__ import annotations

import os
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_S = 30


def default_url() -> str:
    """``$COLO_DB`` if set, else a SQLite file under ./.colo/."""
    return os.environ.get("COLO_DB") or "sqlite:///.colo/register.db"


def head_revision() -> str:
    """The newest migration: revision ids equal their file names and sort in order (0001_..., 0002_...)."""
    return max(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
