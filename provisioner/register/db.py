"""Opening the register: the URL, the SQLAlchemy engine, migrations to head and transactional sessions.

Many `colo` processes may open one register at once: the schema is created or migrated by one of them at a
time (SQLite's write lock, a PostgreSQL advisory lock), and a database error reaches the
user as one plain sentence (never SQL), exit code 1.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from provisioner.errors import BadInput, InfrastructureError
from provisioner.register.location import BUSY_TIMEOUT_S as BUSY_TIMEOUT_S
from provisioner.register.location import MIGRATIONS as MIGRATIONS
from provisioner.register.location import default_url as default_url
from provisioner.register.location import head_revision as head_revision


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


class RegisterUnavailable(InfrastructureError):
    """The database did not do what was asked (locked past the busy timeout, connection lost, disk full)."""


def utcnow() -> datetime:
    """The current time in UTC, as the register stores it."""
    return datetime.now(UTC)


def plain_reason(exc: SQLAlchemyError) -> str:
    """Why the database failed, in one line: its own reason, without the statement or its parameters."""
    reason = str(exc.orig) if isinstance(exc, DBAPIError) else ""
    reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    if "locked" in reason or "could not obtain lock" in reason:
        return f"it is locked by another process and did not answer within {BUSY_TIMEOUT_S} s"
    return reason


def lock_key(name: str) -> int:
    """A PostgreSQL advisory lock key for ``name`` (stable across processes)."""
    return zlib.crc32(f"colo:{name}".encode())


class Register:
    """An open register: an engine plus sessions that commit on success and roll back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, exclusive: str | None = None) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises.

        ``exclusive`` names a kind of change that runs one at a time, its reads included: on SQLite the
        transaction takes the database's write lock first (BEGIN IMMEDIATE), on PostgreSQL an advisory
        lock on the name. Keep such transactions short. A database failure other than a constraint (which
        callers may retry on) is a RegisterUnavailable with a plain message.
        """
        try:
            with self._sessions() as session, session.begin():
                if exclusive is not None:
                    self._serialise(session, exclusive)
                yield session
        except IntegrityError:
            raise
        except DBAPIError as exc:
            reason = plain_reason(exc)
            raise RegisterUnavailable(f"the register did not answer: {reason}; nothing was changed") from exc

    def _serialise(self, session: Session, name: str) -> None:
        if self.is_sqlite:
            session.execute(text("BEGIN IMMEDIATE"))
        elif self.engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 in a directory 0700 before SQLite creates it with the umask."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def migrate(engine: Engine) -> None:
    """Bring the register's schema to the newest revision (Alembic), one process at a time, atomically.

    SQLite: in one BEGIN IMMEDIATE transaction, with foreign keys off while tables are rebuilt (and checked
    before the change is kept). PostgreSQL: in one transaction under an advisory lock.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("migrate")})
        try:
            if _current_revision(conn) != head_revision():
                _upgrade(conn)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise InfrastructureError("migrating the register would break references; not kept")
            conn.commit()
        finally:
            conn.rollback()
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def open_register(url: str | None = None) -> Register:
    """Open (and create or migrate to head) the register at ``url`` (default: :func:`default_url`)."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise BadInput(f"register URL {url!r} is not an SQLAlchemy URL: {exc}") from None
    is_sqlite = parsed.get_backend_name() == "sqlite"
    path = _sqlite_path(url) if is_sqlite else None
    if path is not None:
        _prepare_sqlite_file(path)
    try:
        engine = create_engine(url)
        if is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        with engine.connect() as conn:
            current = _current_revision(conn)
        if current != head_revision():
            migrate(engine)
    except SQLAlchemyError as exc:
        where = parsed.render_as_string()
        raise RegisterUnavailable(f"the register at {where} is not usable: {plain_reason(exc)}") from None
    return Register(engine)
