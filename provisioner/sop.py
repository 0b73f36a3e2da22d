"""The SOP's steps, their standard times, and where a request stands as its events tell: rules only.

Nothing here touches the database: the rules read any request that holds its events (an ORM record of the
register, or a row that `colo request list` reads without SQLAlchemy), so they are written once for both.
`provisioner.workflow` records the events and re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Protocol, TypeVar


class Step(IntEnum):
    """The SOP's seven activities."""

    SUBMIT = 1
    DISPOSE = 2
    CAPACITY = 3
    APPLY = 4
    APPROVE = 5
    PROVISION = 6
    REPORT = 7

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def command(self) -> str:
        return _COMMANDS[self]

    @property
    def standard_time(self) -> timedelta | None:
        """The SOP's standard time ("mutu baku"); step 1 has none."""
        return STANDARD_TIMES.get(self)


_TITLES = {
    Step.SUBMIT: "request letter",
    Step.DISPOSE: "disposition",
    Step.CAPACITY: "capacity check",
    Step.APPLY: "application form",
    Step.APPROVE: "approval form",
    Step.PROVISION: "installation",
    Step.REPORT: "final report",
}
_COMMANDS = {
    Step.SUBMIT: "colo request submit FILE",
    Step.DISPOSE: "colo dispose {id} --by NAME --to NAME",
    Step.CAPACITY: "colo capacity {id}",
    Step.APPLY: "colo apply {id} --serial SERIAL",
    Step.APPROVE: "colo approve {id} --by NAME",
    Step.PROVISION: "colo provision {id}",
    Step.REPORT: "colo report {id}",
}
STANDARD_TIMES: Mapping[Step, timedelta] = {
    Step.DISPOSE: timedelta(minutes=15),
    Step.CAPACITY: timedelta(hours=1),
    Step.APPLY: timedelta(days=1),
    Step.APPROVE: timedelta(minutes=15),
    Step.PROVISION: timedelta(hours=1),
    Step.REPORT: timedelta(minutes=15),
}


class Outcome(StrEnum):
    OK = "ok"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    STARTED = "started"
    FAILED = "failed"


class RequestState(StrEnum):
    """Where a request stands: the last step completed, or how it was closed."""

    SUBMITTED = "submitted"
    DISPOSED = "disposed"
    CAPACITY_CONFIRMED = "capacity_confirmed"
    APPLIED = "applied"
    APPROVED = "approved"
    PROVISIONED = "provisioned"
    COMPLETED = "completed"
    CLOSED_REJECTED = "closed_rejected"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (RequestState.COMPLETED, RequestState.CLOSED_REJECTED, RequestState.CANCELLED)


_STATE_AFTER = {
    Step.SUBMIT: RequestState.SUBMITTED,
    Step.DISPOSE: RequestState.DISPOSED,
    Step.CAPACITY: RequestState.CAPACITY_CONFIRMED,
    Step.APPLY: RequestState.APPLIED,
    Step.APPROVE: RequestState.APPROVED,
    Step.PROVISION: RequestState.PROVISIONED,
    Step.REPORT: RequestState.COMPLETED,
}


class LoggedEvent(Protocol):
    """What the rules read of an event of the audit log."""

    @property
    def step(self) -> int | None: ...
    @property
    def stage(self) -> str | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def at(self) -> datetime: ...


Event = TypeVar("Event", bound=LoggedEvent)
_Event_co = TypeVar("_Event_co", bound=LoggedEvent, covariant=True)


class WithEvents(Protocol[_Event_co]):
    """A request as the rules see it: its events, oldest first."""

    @property
    def events(self) -> Sequence[_Event_co]: ...


def completions(record: WithEvents[Event]) -> dict[Step, Event]:
    """Each completed step's event."""
    return {Step(e.step): e for e in record.events if e.step is not None and e.stage is None}


def state_of(record: WithEvents[LoggedEvent]) -> RequestState:
    """The request's state, derived from its events."""
    done = completions(record)
    if any(e.step is None and e.outcome == Outcome.CANCELLED for e in record.events):
        return RequestState.CANCELLED
    capacity = done.get(Step.CAPACITY)
    if capacity is not None and capacity.outcome == Outcome.REJECTED:
        return RequestState.CLOSED_REJECTED
    return _STATE_AFTER[max(done)] if done else RequestState.SUBMITTED


def next_step(record: WithEvents[LoggedEvent]) -> Step | None:
    """The step that comes next, or None when the request is closed."""
    if not state_of(record).is_open:
        return None
    done = completions(record)
    return next(step for step in Step if step not in done)


@dataclass(frozen=True)
class StepStatus:
    """One line of a request's timeline."""

    step: Step
    done_at: datetime | None
    actor: str | None
    outcome: str | None
    elapsed: timedelta | None
    """From the previous step's completion to this one's, or to now while this step is pending."""

    @property
    def overdue(self) -> bool:
        standard = self.step.standard_time
        return standard is not None and self.elapsed is not None and self.elapsed > standard


def timeline(record: WithEvents[LoggedEvent], now: datetime | None = None) -> list[StepStatus]:
    """Every step with its completion, actor and elapsed time; the pending step counts up to ``now``."""
    now = now or datetime.now(UTC)
    done = completions(record)
    pending = next_step(record)
    lines = []
    previous: datetime | None = None
    for step in Step:
        event = done.get(step)
        end = event.at if event else (now if step == pending else None)
        elapsed = end - previous if end is not None and previous is not None else None
        lines.append(
            StepStatus(step, event.at if event else None, event.actor if event else None,
                       event.outcome if event else None, elapsed)
        )
        previous = event.at if event else None
    return lines


def overdue_steps(record: WithEvents[LoggedEvent], now: datetime | None = None) -> list[StepStatus]:
    """The steps that took, or are taking, longer than their standard time."""
    return [line for line in timeline(record, now) if line.overdue]
