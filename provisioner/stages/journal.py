"""The journal: step 6's stage events in the register, a processor of the stage loop.

A stage's start, completion (its result as JSON), failure (evidence and error) or interruption is an event of
step 6 with ``stage`` set, each appended in its own transaction, so an interruption never leaves half a
record. Read back on a rerun, each finished stage's result is validated by its model again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.register.db import Register
from provisioner.register.models import EventRecord
from provisioner.stages.base import Stage, StageResult
from provisioner.stages.engine import DONE, INTERRUPTED, StageRun
from provisioner.workflow import Outcome, Step, get_request, record_event


def stage_events(session: Session, request_id: str) -> list[EventRecord]:
    """Step 6's stage events of the request, oldest first (the one query every reader of them uses)."""
    query = (
        select(EventRecord)
        .where(EventRecord.request_id == request_id, EventRecord.step == int(Step.PROVISION),
               EventRecord.stage.is_not(None))
        .order_by(EventRecord.id)
    )
    return list(session.scalars(query))


def finished_events(events: Sequence[EventRecord]) -> dict[str, EventRecord]:
    """Each stage that finished, with its latest ``ok`` event."""
    return {e.stage: e for e in events if e.stage is not None and e.outcome == Outcome.OK}


class Journal:
    """The stage events of one request in the register."""

    def __init__(self, register: Register, request_id: str, actor: str) -> None:
        self.register = register
        self.request_id = request_id
        self.actor = actor

    def record(self, stage: str, outcome: str, details: Mapping[str, Any] | None = None) -> None:
        """Append one stage event in its own transaction."""
        with self.register.session() as session:
            record = get_request(session, self.request_id)
            record_event(
                session, record, actor=self.actor, outcome=outcome, step=Step.PROVISION, stage=stage,
                details=details,
            )

    def events(self) -> list[EventRecord]:
        with self.register.session() as session:
            return stage_events(session, self.request_id)

    def finished(self, stages: Sequence[Stage]) -> dict[str, StageResult]:
        """Each of `stages` that finished, with the result of its latest ``ok`` event, validated."""
        done = finished_events(self.events())
        return {s.name: s.result_type.model_validate(done[s.name].details) for s in stages if s.name in done}

    def latest(self, stage: str) -> tuple[str, dict[str, Any]] | None:
        """The outcome and details of the stage's latest event, if any."""
        found = [e for e in self.events() if e.stage == stage]
        return (found[-1].outcome, dict(found[-1].details)) if found else None

    def stage_started(self, run: StageRun) -> None:
        self.record(run.name, Outcome.STARTED)

    def stage_completed(self, run: StageRun) -> None:
        if run.status == DONE:
            self.record(run.name, Outcome.OK, self._with_seconds(run))

    def stage_failed(self, run: StageRun) -> None:
        outcome = INTERRUPTED if run.status == INTERRUPTED else Outcome.FAILED
        self.record(run.name, outcome, self._with_seconds(run))

    @staticmethod
    def _with_seconds(run: StageRun) -> dict[str, Any]:
        return {**run.details(), "seconds": round(run.seconds or 0.0, 2)}
