"""Opening the register: the URL, the SQLAlchemy engine, migrations to head and transactional sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from provisioner.errors import BadInput, InfrastructureError

MIGRATIONS = Path(__file__).with_name("migrations")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps in the register must carry a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base every register table uses (one metadata, one Alembic history)."""


def utcnow() -> datetime:
    """The current time in UTC, as the register stores it."""
    return datetime.now(UTC)


def default_url() -> str:
    """``$COLO_DB`` if set, else a SQLite file under ./.colo/."""
    return os.environ.get("COLO_DB") or "sqlite:///.colo/register.db"


def head_revision() -> str:
    """The newest migration: revision ids equal their file names and sort in order (0001_..., 0002_...)."""
    return max(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


class Register:
    """An open register: an engine plus sessions that commit on success and roll back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 in a directory 0700 before SQLite creates it with the umask."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def migrate(engine: Engine) -> None:
    """Bring the register's schema to the newest revision (Alembic)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_register(url: str | None = None) -> Register:
    """Open (and create or migrate to head) the register at ``url`` (default: :func:`default_url`)."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise BadInput(f"register URL {url!r} is not an SQLAlchemy URL: {exc}") from None
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        _prepare_sqlite_file(url)
    try:
        engine = create_engine(url)
        if is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        if _current_revision(engine) != head_revision():
            migrate(engine)
    except SQLAlchemyError as exc:
        where = parsed.render_as_string()
        raise InfrastructureError(f"the register at {where} is not usable: {exc}") from None
    return Register(engine)
