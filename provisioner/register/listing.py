"""Every request with the events its state is derived from, read in one query for `colo request list`.

A SQLite register already at the newest schema is read with the standard library's sqlite3, read-only:
SQLAlchemy, whose import alone takes longer than the whole listing should, is not loaded. Any other register
(PostgreSQL, a SQLite file not yet created or migrated, one sqlite3 cannot read) is opened as every command
opens it, through `open_register`, and read with the same query; its errors are the same as ever.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from provisioner.register.location import default_url, head_revision

QUERY = (
    "SELECT requests.id, requests.agency_code, requests.hostname, requests.letter_number,"
    " requests.submitted_at, events.step, events.stage, events.actor, events.at, events.outcome"
    " FROM requests LEFT JOIN events ON events.request_id = requests.id ORDER BY requests.id, events.id"
)
"""A request's columns, then one of its events' (NULLs for none); a test holds the names to the models."""
_REQUEST_WIDTH = 5
_VERSION = "SELECT version_num FROM alembic_version"
_BUSY_TIMEOUT_S = 1.0
"""A writer's commit blocks readers for milliseconds; a register locked longer is left to `open_register`,
which waits the register's whole busy timeout and then says that it is locked."""
_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")

Row = tuple[Any, ...]


@dataclass(frozen=True)
class ListedEvent:
    """One event of a listed request, as the SOP's rules read it."""

    step: int | None
    stage: str | None
    actor: str
    at: datetime
    outcome: str


@dataclass(frozen=True)
class ListedRequest:
    """One request of the register with its events, oldest first."""

    id: str
    agency_code: str
    hostname: str
    letter_number: str
    submitted_at: datetime
    events: tuple[ListedEvent, ...]


def read_requests(url: str | None = None) -> list[ListedRequest]:
    """Every request of the register at `url` (default: $COLO_DB, else ./.colo/register.db), by id."""
    url = url or default_url()
    path = _sqlite_file(url)
    rows = _read_sqlite(path) if path is not None else None
    return _requests(rows if rows is not None else _read_opened(url))


def _sqlite_file(url: str) -> Path | None:
    """The existing file of a plain SQLite URL (no query, not in memory), else None."""
    prefix = next((p for p in _SQLITE_PREFIXES if url.startswith(p)), None)
    if prefix is None:
        return None
    database = url.removeprefix(prefix)
    if not database or "?" in database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return path if path.is_file() else None


def _read_sqlite(path: Path) -> list[Row] | None:
    """The listing's rows, read-only in one transaction; None when the schema is not the newest or sqlite3
    cannot read the file (then `open_register` migrates it or says what is wrong)."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S,
                                     isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        connection.execute("BEGIN")
        version = connection.execute(_VERSION).fetchone()
        if version is None or version[0] != head_revision():
            return None
        return connection.execute(QUERY).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def _read_opened(url: str) -> list[Row]:
    """The listing's rows from the register opened (and migrated if need be) as every command opens it."""
    from sqlalchemy import text

    from provisioner.register.db import open_register

    register = open_register(url)
    try:
        with register.session() as session:
            return [tuple(row) for row in session.execute(text(QUERY))]
    finally:
        register.close()


def _utc(value: object) -> datetime:
    """A stored timestamp as the register's UtcDateTime reads it: SQLite's text is naive UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"not a timestamp: {type(value).__name__}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _requests(rows: list[Row]) -> list[ListedRequest]:
    """Rows of the join grouped into requests, each with its events."""
    listed = []
    for head, group in groupby(rows, key=lambda row: row[:_REQUEST_WIDTH]):
        request_id, agency, hostname, letter, submitted = head
        events = tuple(ListedEvent(step, stage, actor, _utc(at), outcome)
                       for step, stage, actor, at, outcome in (row[_REQUEST_WIDTH:] for row in group)
                       if at is not None)
        listed.append(ListedRequest(request_id, agency, hostname, letter, _utc(submitted), events))
    return listed
