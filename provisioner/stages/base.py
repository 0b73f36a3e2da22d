"""What every stage of step 6 shares: the Stage shape, its typed result, the journal of stage events, the
context.

A stage's completion is an event (step 6, ``stage`` set, outcome ``ok``) in the register whose details are the
stage's result as JSON; the journal reads and appends those events, each in its own transaction, so an
interruption never leaves half a record. Read back, a result is validated by its model again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.errors import ColoError
from provisioner.register.db import Register
from provisioner.register.models import EventRecord
from provisioner.workflow import Outcome, Step, get_request, record_event

if TYPE_CHECKING:
    from provisioner.facility import Facility
    from provisioner.request import ColoRequest

INTERRUPTED = "interrupted"


class StageResult(BaseModel):
    """What the register keeps of a finished stage (no secrets). Keys a recorded event holds beside the
    result (its duration, an error) are ignored when it is read back."""

    model_config = ConfigDict(frozen=True, extra="ignore")


R = TypeVar("R", bound=StageResult)


class Stage(Protocol):
    """One stage of step 6. ``run`` is safe to repeat; ``converged`` (optional) re-checks a finished stage."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def result_type(self) -> type[StageResult]:
        """The model of what ``run`` returns, which validates it again when read back from the register."""
        ...

    def run(self, ctx: StageContext) -> StageResult:
        """Do the stage's work and return what the register keeps of it."""
        ...


class StageFailedError(Exception):
    """A stage failed with ``error`` (carrying the exit code); ``evidence`` goes to the register."""

    def __init__(self, error: ColoError, evidence: StageResult) -> None:
        super().__init__(error.message)
        self.error = error
        self.evidence = evidence


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


@dataclass(frozen=True)
class Delivered:
    """What step 4 recorded of the delivered server: its serial and where it answers on the staging VLAN."""

    serial: str
    staging_address: str


@dataclass
class StageContext:
    """Everything a stage needs; stages take what earlier stages produced (``result``)."""

    register: Register
    request_id: str
    request: ColoRequest
    facility: Facility
    site_dir: Path
    output_dir: Path
    actor: str
    delivered: Delivered
    confirm: Callable[[str], bool]
    """Asked with the placement sheet: is the server racked and cabled?"""
    results: dict[str, StageResult] = field(default_factory=dict)
    """Each finished stage's result, by stage name."""
    ran_now: set[str] = field(default_factory=set)
    """The stages that ran in this run (not read back from the register)."""

    def result(self, kind: type[R]) -> R:
        """The result of the earlier stage whose model is `kind`."""
        for value in self.results.values():
            if isinstance(value, kind):
                return value
        raise LookupError(f"{self.request_id}: no {kind.__name__} yet (its stage has not finished)")
