"""The register on SQLite and on a real PostgreSQL server: schema, ids, audit log, step records."""

from __future__ import annotations

import itertools
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from provisioner.errors import OutOfOrder
from provisioner.register.db import head_revision, open_register
from provisioner.register.models import EventRecord, RequestRecord
from provisioner.steps.submit import submit_request
from provisioner.workflow import (
    RequestState,
    Step,
    cancel,
    complete_step,
    get_request,
    perform_step,
    record_event,
    state_of,
)

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "request-simpeg.yaml"


def submit(url: str, now: datetime | None = None) -> str:
    from provisioner.request import load_request

    spec, source = load_request(EXAMPLE)
    register = open_register(url)
    try:
        return submit_request(register, spec.model_dump(mode="json"), source, actor="Budi", now=now)
    finally:
        register.close()


def test_opening_creates_the_schema_at_head(register_url: str) -> None:
    register = open_register(register_url)
    tables = set(inspect(register.engine).get_table_names())
    assert {"requests", "events", "documents", "assets", "alembic_version"} <= tables
    with register.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    register.close()
    open_register(register_url).close()


def test_migration_files_are_named_after_their_revisions() -> None:
    versions = ROOT / "provisioner" / "register" / "migrations" / "versions"
    chain: dict[str, str | None] = {}
    for path in versions.glob("[0-9]*.py"):
        namespace: dict[str, object] = {}
        source = path.read_text()
        wanted = ("revision", "down_revision")
        header = "\n".join(line for line in source.splitlines() if line.startswith(wanted))
        exec(header, namespace)
        assert namespace["revision"] == path.stem
        chain[path.stem] = namespace["down_revision"]  # type: ignore[assignment]
    ordered = sorted(chain)
    assert chain[ordered[0]] is None
    assert all(chain[b] == a for a, b in itertools.pairwise(ordered))


def test_ids_run_per_year(register_url: str) -> None:
    assert submit(register_url, datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == "REQ-2026-0001"
    assert submit(register_url, datetime(2026, 12, 31, 23, 5, tzinfo=UTC)) == "REQ-2026-0002"
    assert submit(register_url, datetime(2027, 1, 1, 0, 1, tzinfo=UTC)) == "REQ-2027-0001"


def test_concurrent_submissions_get_distinct_ids(register_url: str) -> None:
    open_register(register_url).close()
    ids: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(3):
                ids.append(submit(register_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    year = datetime.now(UTC).year
    assert sorted(ids) == [f"REQ-{year}-{n:04d}" for n in range(1, 13)]


def test_submitted_document_is_kept(register_url: str) -> None:
    request_id = submit(register_url)
    register = open_register(register_url)
    with register.session() as session:
        record = get_request(session, request_id.lower())
        assert record.source_text == EXAMPLE.read_text()
        assert record.spec().server.serial == "7XK2Q93"
        assert record.submitted_at.tzinfo is not None
        assert [(e.step, e.actor, e.outcome) for e in record.events] == [(1, "Budi", "ok")]
    register.close()


def test_events_are_append_only(register_url: str) -> None:
    request_id = submit(register_url)
    register = open_register(register_url)
    with pytest.raises(RuntimeError, match="audit log"), register.session() as session:
        get_request(session, request_id).events[0].outcome = "rejected"
    with pytest.raises(RuntimeError, match="audit log"), register.session() as session:
        session.delete(get_request(session, request_id).events[0])
    with register.session() as session:
        assert get_request(session, request_id).events[0].outcome == "ok"
    register.close()


def test_a_step_completes_once_even_behind_the_code(register_url: str) -> None:
    request_id = submit(register_url)
    register = open_register(register_url)
    with register.session() as session:
        complete_step(session, get_request(session, request_id), Step.DISPOSE, "Asep", {"to": "Dedi"})
    with pytest.raises(IntegrityError), register.session() as session:
        session.add(EventRecord(request_id=request_id, step=2, stage=None, actor="other", outcome="ok",
                                details={}, at=datetime.now(UTC)))
    with register.session() as session:
        record = get_request(session, request_id)
        record_event(session, record, actor="t", outcome="started", step=Step.DISPOSE, stage="note")
        record_event(session, record, actor="t", outcome="ok", step=Step.DISPOSE, stage="note")
    register.close()


def test_perform_step_orders_repeats_and_rolls_back(register_url: str) -> None:
    request_id = submit(register_url)
    register = open_register(register_url)
    with pytest.raises(OutOfOrder):
        perform_step(register, request_id, Step.APPLY, "Budi", {"serial": "X"})
    first = perform_step(register, request_id, Step.DISPOSE, "Asep", {"to": "Dedi"})
    again = perform_step(register, request_id, Step.DISPOSE, "Someone else", {"to": "Other"})
    assert not first.repeated and again.repeated
    earlier = (again.event.id, again.event.actor, again.event.details)
    assert earlier == (first.event.id, "Asep", {"to": "Dedi"})

    def failing_document(*_args: object) -> list[object]:
        raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError, match="renderer broke"):
        perform_step(register, request_id, Step.CAPACITY, "Tech", {}, after=failing_document)  # type: ignore[arg-type]
    with register.session() as session:
        record = get_request(session, request_id)
        assert state_of(record) == RequestState.DISPOSED
        events = session.scalars(select(EventRecord).where(EventRecord.request_id == request_id)).all()
        assert len(events) == 2
    register.close()


def test_rejection_and_cancellation_close(register_url: str) -> None:
    rejected, cancelled = submit(register_url), submit(register_url)
    register = open_register(register_url)
    perform_step(register, rejected, Step.DISPOSE, "Asep", {"to": "Dedi"})
    perform_step(register, rejected, Step.CAPACITY, "Tech", {"short": ["power"]}, outcome="rejected")
    with register.session() as session:
        cancel(session, get_request(session, cancelled), "Asep", "withdrawn by the agency")
    with register.session() as session:
        assert state_of(get_request(session, rejected)) == RequestState.CLOSED_REJECTED
        assert state_of(get_request(session, cancelled)) == RequestState.CANCELLED
        assert session.scalar(select(RequestRecord.id).where(RequestRecord.id == cancelled)) == cancelled
    register.close()


def test_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "register.db"
    open_register(f"sqlite:///{path}").close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_default_url_honours_colo_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from provisioner.register.db import default_url

    monkeypatch.delenv("COLO_DB", raising=False)
    assert default_url() == "sqlite:///.colo/register.db"
    monkeypatch.setenv("COLO_DB", f"sqlite:///{tmp_path}/x.db")
    assert default_url() == f"sqlite:///{tmp_path}/x.db"



def test_migrations_match_the_models(register_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from provisioner.register import schema  # noqa: F401  (every area's tables)
    from provisioner.register.db import Base

    register = open_register(register_url)
    with register.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    register.close()
    assert differences == []


def test_upgrading_an_older_register_keeps_its_rows_and_rules(register_url: str) -> None:
    """A register at revision 0003 with a request, its events, a document and an asset, migrated to head."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from provisioner.register.db import MIGRATIONS

    if register_url.startswith("sqlite"):
        Path(register_url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700)
    old = create_engine(register_url)
    with old.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0003_network")
        at = datetime(2026, 11, 20, tzinfo=UTC)
        conn.execute(text(
            "INSERT INTO requests (id, year, seq, agency_code, hostname, letter_number, submitted_at,"
            " document, source_text)"
            " VALUES ('REQ-2026-0001', 2026, 1, 'disdik', 'simpeg', 'L/1', :at, '{}', 'x')"
        ), {"at": at})
        conn.execute(text(
            "INSERT INTO events (request_id, step, stage, actor, at, outcome, details) VALUES "
            "('REQ-2026-0001', 1, NULL, 'Budi (disdik)', :at, 'ok', '{}'), "
            "('REQ-2026-0001', 6, 'plan', 'Rina', :at, 'started', '{}')"
        ), {"at": at})
        conn.execute(text(
            "INSERT INTO documents (request_id, event_id, kind, html_path, pdf_path, sha256, created_at)"
            " VALUES ('REQ-2026-0001', (SELECT min(id) FROM events), 'disposition', 'a.html', 'a.pdf',"
            " :sha, :at)"
        ), {"at": at, "sha": "0" * 64})
        conn.execute(text(
            "INSERT INTO assets (request_id, agency_code, hostname, serial, os, location, installed_at,"
            " details) VALUES ('REQ-2026-0001', 'disdik', 'simpeg', 'S1', 'Debian 12', 'R01 U3', :at, '{}')"
        ), {"at": at})
    old.dispose()
    register = open_register(register_url)
    with register.session() as session:
        record = get_request(session, "REQ-2026-0001")
        assert [(e.step, e.stage, e.actor) for e in record.events] == [
            (1, None, "Budi (disdik)"), (6, "plan", "Rina")]
        assert [(d.event_id, d.kind) for d in record.documents] == [(record.events[0].id, "disposition")]
        record_event(session, record, actor="B" * 100 + " (" + "c" * 20 + ")", outcome="ok", step=Step.SUBMIT,
                     stage="note")
    with pytest.raises(IntegrityError), register.session() as session:
        session.add(EventRecord(request_id="REQ-2026-0001", step=1, stage=None, actor="again", outcome="ok",
                                details={}, at=datetime.now(UTC)))
    with register.engine.connect() as conn:
        assert conn.execute(text("SELECT os FROM assets")).scalar() == "Debian 12"
        if register.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    register.close()
