"""`colo request list`'s read of the register (provisioner.register.listing) against the ORM's, on SQLite
and PostgreSQL: the same requests, and the same states, next steps, timelines and overdue steps from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text

from provisioner.register.db import Register, head_revision, open_register
from provisioner.register.listing import ListedRequest, read_requests
from provisioner.register.models import RequestRecord
from provisioner.request import load_request
from provisioner.sop import StepStatus, next_step, state_of, timeline
from provisioner.steps.submit import submit_request
from provisioner.workflow import Outcome, Step, cancel, get_request, record_event

ROOT = Path(__file__).resolve().parent.parent.parent
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
View = tuple[str, str, str, str, datetime, str, Step | None, list[StepStatus]]


def _view(record: RequestRecord | ListedRequest) -> View:
    """Everything `colo request list` shows of a request, as of NOW."""
    return (record.id, record.agency_code, record.hostname, record.letter_number, record.submitted_at,
            str(state_of(record)), next_step(record), timeline(record, now=NOW))


def _register_of_every_kind(url: str) -> Register:
    """Requests pending, disposed, rejected, cancelled, overdue and in step 6 (with a stage event)."""
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    register = open_register(url)
    ids = [submit_request(register, spec.model_dump(mode="json"), source, actor="Budi (disdik)",
                          now=NOW - timedelta(days=days, microseconds=days * 1001))
           for days in (0, 1, 2, 3, 4)]
    with register.session() as session:
        _pending, disposed, rejected, cancelled, installing = (get_request(session, i) for i in ids)
        for record in (disposed, rejected, installing):
            record_event(session, record, actor="Asep", outcome=Outcome.OK, step=Step.DISPOSE,
                         at=record.submitted_at + timedelta(minutes=20))
        record_event(session, rejected, actor="Rina", outcome=Outcome.REJECTED, step=Step.CAPACITY,
                     at=rejected.submitted_at + timedelta(minutes=50), details={"why": "no power"})
        cancel(session, cancelled, "Asep", "the agency withdrew")
        for step in (Step.CAPACITY, Step.APPLY, Step.APPROVE):
            record_event(session, installing, actor="Rina", outcome=Outcome.OK, step=step,
                         at=installing.submitted_at + timedelta(hours=int(step)))
        record_event(session, installing, actor="Rina", outcome=Outcome.STARTED, step=Step.PROVISION,
                     stage="verify", at=installing.submitted_at + timedelta(hours=6))
    return register


def test_the_listing_reads_what_the_orm_reads(register_url: str) -> None:
    register = _register_of_every_kind(register_url)
    with register.session() as session:
        expected = [_view(r) for r in session.scalars(select(RequestRecord).order_by(RequestRecord.id))]
    register.close()
    listed = read_requests(register_url)
    assert [_view(r) for r in listed] == expected
    states = {view[5] for view in expected}
    assert states == {"submitted", "disposed", "closed_rejected", "cancelled", "approved"}, states
    assert any(line.overdue for view in expected for line in view[7]), "some step is overdue as of NOW"
    assert all(r.submitted_at.tzinfo is UTC for r in listed)


def test_a_register_not_yet_created_is_created_and_lists_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'register.db'}"
    assert read_requests(url) == []
    register = open_register(url)
    with register.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    register.close()


def test_listing_a_sqlite_register_at_head_loads_no_sqlalchemy(tmp_path: Path) -> None:
    """The listing's speed (bench/cli_startup.py) comes from this: neither the ORM nor Core is imported."""
    url = f"sqlite:///{tmp_path / 'register.db'}"
    _register_of_every_kind(url).close()
    site = ROOT / "inventories" / "example"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLO_DB": url, "COLO_SITE": str(site)}
    program = textwrap.dedent("""\
        import sys
        from provisioner.cli.main import main
        sys.argv = ["colo", "request", "list", "--json"]
        try:
            main()
        finally:
            print(sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy"), file=sys.stderr)
        """)
    done = subprocess.run([sys.executable, "-c", program], env=env, cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert done.stderr.strip() == "[]", done.stderr
    assert [row["id"] for row in json.loads(done.stdout)] == [f"REQ-2026-{n:04d}" for n in range(1, 6)]
