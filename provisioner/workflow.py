"""The SOP as a state machine: steps 1 to 7, their order, standard times and the audit log.

A step's completion is one event (``stage`` NULL); a step cannot complete twice (a unique index says so), so
a repeated step reports the earlier result. Step 3 may close the request as rejected; any open request may be
cancelled. The state of a request is derived from its events, never stored beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from provisioner.errors import NotFound, OutOfOrder, Refused
from provisioner.register.chain import expect_seal
from provisioner.register.db import Register, utcnow
from provisioner.register.models import DocumentRecord, EventRecord, RequestRecord

# The SOP's rules live in provisioner.sop (no database); re-exported where callers have always found them.
from provisioner.sop import STANDARD_TIMES as STANDARD_TIMES
from provisioner.sop import Outcome as Outcome
from provisioner.sop import RequestState as RequestState
from provisioner.sop import Step as Step
from provisioner.sop import StepStatus as StepStatus
from provisioner.sop import completions as completions
from provisioner.sop import next_step as next_step
from provisioner.sop import overdue_steps as overdue_steps
from provisioner.sop import state_of as state_of
from provisioner.sop import timeline as timeline


def require_step(record: RequestRecord, step: Step) -> None:
    """Refuse ``step`` unless the request is open and every step before it is complete.

    OutOfOrder names the step that comes first and the command that does it.
    """
    state = state_of(record)
    if not state.is_open:
        raise Refused(f"{record.id} is closed ({state}); step {int(step)} cannot run")
    missing = [s for s in Step if s < step and s not in completions(record)]
    if missing:
        first = missing[0]
        raise OutOfOrder(
            f"{record.id}: step {int(step)} ({step.title}) needs step {int(first)} ({first.title}) first: "
            + first.command.format(id=record.id)
        )


def step_result(record: RequestRecord, step: Step) -> EventRecord | None:
    """The completion event of ``step`` if it already completed (a repeat reports it and changes nothing)."""
    return completions(record).get(step)


def record_event(
    session: Session,
    record: RequestRecord,
    *,
    actor: str,
    outcome: str,
    step: Step | None,
    stage: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> EventRecord:
    """Append one event to the audit log (flushed, so a second completion of a step fails here); it is
    sealed into the log's hash chain, with the documents recorded for it, when the transaction commits."""
    ev = EventRecord(
        request=record,
        step=int(step) if step is not None else None,
        stage=stage,
        actor=actor,
        outcome=str(outcome),
        details=dict(details or {}),
        at=at or utcnow(),
    )
    session.add(ev)
    session.flush()
    expect_seal(session, ev)
    return ev


def complete_step(
    session: Session,
    record: RequestRecord,
    step: Step,
    actor: str,
    details: Mapping[str, Any] | None = None,
    outcome: str = Outcome.OK,
) -> EventRecord:
    """Record ``step`` as done (after :func:`require_step`); returns its event."""
    require_step(record, step)
    if step_result(record, step) is not None:
        raise Refused(f"{record.id}: step {int(step)} is already complete")
    return record_event(session, record, actor=actor, outcome=outcome, step=step, details=details)


def close_rejected(
    session: Session, record: RequestRecord, actor: str, details: Mapping[str, Any] | None = None
) -> EventRecord:
    """Complete step 3 with outcome ``rejected``: no capacity, the process ends (SOP step 3b)."""
    return complete_step(session, record, Step.CAPACITY, actor, details, outcome=Outcome.REJECTED)


def cancel(session: Session, record: RequestRecord, actor: str, reason: str) -> EventRecord:
    """Close an open request as cancelled."""
    state = state_of(record)
    if not state.is_open:
        raise Refused(f"{record.id} is already closed ({state})")
    return record_event(
        session, record, actor=actor, outcome=Outcome.CANCELLED, step=None, details={"reason": reason}
    )


@dataclass(frozen=True)
class StepRun:
    """The result of running a step: its completion event, whether it was done before, its documents."""

    event: EventRecord
    repeated: bool
    documents: tuple[DocumentRecord, ...]


AfterStep = Callable[[Session, RequestRecord, EventRecord], Sequence[DocumentRecord]]


class Prepared(Protocol):
    """A step's documents, rendered before the step is recorded and not yet in their place."""

    def record(self, session: Session, record: RequestRecord, event: EventRecord) -> Sequence[DocumentRecord]:
        """Record them with the step (their SHA-256 included) and put them in place; the last thing before
        the step's transaction commits."""
        ...

    def discard(self) -> None:
        """Remove whatever was not put in place (a run that lost, failed or was repeated)."""
        ...


Prepare = Callable[[RequestRecord, EventRecord], Prepared]
"""Renders a step's documents from the request and the step's event to be; runs outside any transaction."""


def pending_event(
    record: RequestRecord, step: Step, actor: str, details: Mapping[str, Any] | None, outcome: str
) -> EventRecord:
    """The completion event a step is about to record (not in any session): what its documents show."""
    return EventRecord(
        request_id=record.id, step=int(step), stage=None, actor=actor, outcome=str(outcome),
        details=dict(details or {}), at=utcnow(),
    )


def earlier_or_due(session: Session, request_id: str, step: Step) -> StepRun | RequestRecord:
    """The run that completed ``step`` before, with its documents (a repeated step reports it and changes
    nothing); else the request, once ``step`` may run (refused when out of order or closed)."""
    record = get_request(session, request_id)
    earlier = step_result(record, step)
    if earlier is not None:
        return StepRun(earlier, True, tuple(d for d in record.documents if d.event_id == earlier.id))
    require_step(record, step)
    return record


def record_step(
    register: Register,
    request_id: str,
    pending: EventRecord,
    prepared: Prepared | None = None,
    after: AfterStep | None = None,
) -> StepRun:
    """Record a step decided and rendered beforehand, in one short transaction that runs alone for its
    request: refuse it if the request moved on meanwhile (closed, or the step done by another run: then that
    result is reported), else record the event, ``after``'s rows and the prepared documents, which are put in
    place just before the commit. Whatever was not put in place is discarded."""
    step = Step(pending.step or 0)
    try:
        for _attempt in range(2):
            try:
                with register.session(exclusive=f"request:{request_id}") as session:
                    found = earlier_or_due(session, request_id, step)
                    if isinstance(found, StepRun):
                        return found
                    event = record_event(
                        session, found, actor=pending.actor, outcome=pending.outcome, step=step,
                        details=pending.details, at=pending.at,
                    )
                    written = tuple(after(session, found, event)) if after else ()
                    if prepared is not None:
                        written += tuple(prepared.record(session, found, event))
                    return StepRun(event, False, written)
            except IntegrityError:
                continue
        raise Refused(f"{request_id}: step {int(step)} is being recorded by another run; try again")
    finally:
        if prepared is not None:
            prepared.discard()


@dataclass(frozen=True)
class Decision:
    """What a step records: its outcome and details."""

    details: Mapping[str, Any]
    outcome: str = Outcome.OK


Decide = Callable[[Session, RequestRecord], Decision]
"""A step's own rules, run in the transaction that found the step due (in order and not done before)."""

Due = StepRun | tuple[RequestRecord, EventRecord]
"""The earlier run of a step, or the request and the completion event the step is about to record."""

Within = Callable[[Callable[[Session], Due]], Due]
"""Runs the work that finds a step due (and decides it) in a transaction of the step's choosing."""


def perform_step(
    register: Register,
    request_id: str,
    step: Step,
    actor: str,
    details: Mapping[str, Any] | None = None,
    *,
    outcome: str = Outcome.OK,
    prepare: Prepare | None = None,
    after: AfterStep | None = None,
    decide: Decide | None = None,
    within: Within | None = None,
    undo: Callable[[RequestRecord], None] | None = None,
) -> StepRun:
    """Run ``step``: refuse it out of order, report it if already done, else decide it (``decide``, or
    ``details`` and ``outcome`` as given), render its documents (``prepare``, outside any transaction) and
    record it with them (:func:`record_step`).

    ``within`` is the transaction that finds the step due and decides it (default: a plain session);
    ``undo`` takes back what ``decide`` changed for the request when its documents fail to render. ``after``
    adds rows in the recording transaction (keep it quick: the register waits for it).
    """

    def find_due(session: Session) -> Due:
        found = earlier_or_due(session, request_id, step)
        if isinstance(found, StepRun):
            return found
        decision = decide(session, found) if decide else Decision(details or {}, outcome)
        return found, pending_event(found, step, actor, decision.details, decision.outcome)

    due = within(find_due) if within else _in_session(register, find_due)
    if isinstance(due, StepRun):
        return due
    record, event = due
    try:
        prepared = prepare(record, event) if prepare else None
    except BaseException:
        if undo is not None:
            undo(record)
        raise
    return record_step(register, request_id, event, prepared, after)


def _in_session(register: Register, work: Callable[[Session], Due]) -> Due:
    with register.session() as session:
        return work(session)


def get_request(session: Session, request_id: str) -> RequestRecord:
    """The request with this id, or NotFound."""
    record = session.get(RequestRecord, request_id.strip().upper())
    if record is None:
        raise NotFound(f"no request {request_id!r} in the register")
    return record


