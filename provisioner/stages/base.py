"""What every stage of step 6 shares: the Stage shape, the journal of stage events, the context.

A stage's completion is an event (step 6, ``stage`` set, outcome ``ok``) in the register; the journal reads
and appends those events, each in its own transaction, so an interruption never leaves half a record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from provisioner.errors import ColoError
from provisioner.register.db import Register
from provisioner.workflow import Outcome, Step, get_request, record_event

if TYPE_CHECKING:
    from provisioner.facility import Facility
    from provisioner.request import ColoRequest

Details = dict[str, Any]

INTERRUPTED = "interrupted"


class Stage(Protocol):
    """One stage of step 6. ``run`` is safe to repeat; ``converged`` (optional) re-checks a finished stage."""

    name: str
    title: str

    def run(self, ctx: StageContext) -> Details:
        """Do the stage's work and return what the register keeps of it (no secrets)."""
        ...


class StageFailedError(Exception):
    """A stage failed with ``error`` (carrying the exit code); ``details`` (evidence) go to the register."""

    def __init__(self, error: ColoError, details: Details) -> None:
        super().__init__(error.message)
        self.error = error
        self.details = details


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

    def finished(self) -> dict[str, Details]:
        """Each stage that finished, with the details of its latest ``ok`` event."""
        with self.register.session() as session:
            record = get_request(session, self.request_id)
            return {
                e.stage: dict(e.details)
                for e in record.events
                if e.step == Step.PROVISION and e.stage is not None and e.outcome == Outcome.OK
            }

    def latest(self, stage: str) -> tuple[str, Details] | None:
        """The outcome and details of the stage's latest event, if any."""
        with self.register.session() as session:
            record = get_request(session, self.request_id)
            found = [e for e in record.events if e.step == Step.PROVISION and e.stage == stage]
            return (found[-1].outcome, dict(found[-1].details)) if found else None


@dataclass(frozen=True)
class Delivered:
    """What step 4 recorded of the delivered server: its serial and where it answers on the staging VLAN."""

    serial: str
    staging_address: str


@dataclass
class StageContext:
    """Everything a stage needs; stages take what earlier stages produced from the register (``results``)."""

    register: Register
    request_id: str
    request: ColoRequest
    facility: Facility
    site_dir: Path
    output_dir: Path
    actor: str
    delivered: Delivered
    confirm: Callable[[Details], bool]
    results: dict[str, Details] = field(default_factory=dict)
    ran_now: set[str] = field(default_factory=set)
    """The stages that ran in this run (not read back from the register)."""
