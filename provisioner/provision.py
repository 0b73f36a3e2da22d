"""Step 6 of the SOP: the ordered stages that place, verify, configure, monitor, check and record a server.

Each stage records its start and its result (or failure, or interruption) as an event of step 6 in the
register. A rerun starts at the first stage without a recorded result, or earlier at a finished stage whose
live check (``converged``) says its result is no longer in place; every stage is safe to run again. Once the
record stage has completed step 6, provisioning again reports that result and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from provisioner.allocate import Allocation
from provisioner.errors import ColoError, Refused
from provisioner.facility import load_facility
from provisioner.register.db import Register, utcnow
from provisioner.stages.access import AccessCheckStage
from provisioner.stages.base import (
    INTERRUPTED,
    Delivered,
    Journal,
    Stage,
    StageContext,
    StageFailedError,
    StageResult,
    finished_events,
    stage_events,
)
from provisioner.stages.monitoring import MonitoringStage
from provisioner.stages.network import NetworkStage
from provisioner.stages.plan import PlanStage, placement_sheet
from provisioner.stages.record import RecordStage
from provisioner.stages.server import ServerStage
from provisioner.stages.switch import port_description, provision_intents, switch_of, switch_plan
from provisioner.stages.verify import VerifyStage
from provisioner.workflow import Outcome, Step, completions, get_request, require_step, step_result

RUNNING = "running"
DONE = "done"
ALREADY_DONE = "already done"
FAILED = "failed"
PENDING = "pending"


def all_stages() -> list[Stage]:
    """plan, verify, network, server, monitoring, access_check, record."""
    return [
        PlanStage(), VerifyStage(), NetworkStage(), ServerStage(), MonitoringStage(), AccessCheckStage(),
        RecordStage(),
    ]


def build_context(
    register: Register,
    request_id: str,
    site_dir: Path,
    output_dir: Path,
    *,
    actor: str,
    confirm: Callable[[str], bool],
) -> StageContext:
    """The context of one provisioning run: the request, what step 4 recorded, the facility."""
    facility = load_facility(site_dir)
    with register.session() as session:
        record = get_request(session, request_id)
        applied = completions(record)[Step.APPLY].details
        staging = applied.get("staging_address")
        if not staging:
            raise Refused(
                f"{record.id}: step 4 recorded no staging address, so the server cannot be reached for "
                f"verification; record it with `colo apply {record.id} --serial S --staging-address IP`"
            )
        delivered = Delivered(serial=str(applied["serial"]), staging_address=str(staging))
        return StageContext(
            register=register, request_id=record.id, request=record.spec(), facility=facility,
            site_dir=site_dir, output_dir=output_dir, actor=actor, delivered=delivered, confirm=confirm,
        )


@runtime_checkable
class Probed(Protocol):
    """A stage that can tell, live, whether its finished result is still in place."""

    def converged(self, ctx: StageContext) -> bool: ...


@dataclass(frozen=True)
class StageRun:
    """One line of the progress list: a finished stage's result, or a failed one's evidence and error."""

    name: str
    title: str
    status: str
    started: datetime | None = None
    seconds: float | None = None
    result: StageResult | None = None
    error: tuple[str, ...] = ()

    def details(self) -> dict[str, Any]:
        """The result (or the evidence and the error) as the register records it."""
        shown = self.result.model_dump(mode="json") if self.result is not None else {}
        return {**shown, "error": list(self.error)} if self.error else shown

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "title": self.title,
            "status": self.status,
            "started": self.started.isoformat() if self.started else None,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "details": self.details(),
        }


Progress = Callable[[StageRun], None]


def first_to_run(stages: Sequence[Stage], finished: dict[str, StageResult], ctx: StageContext) -> int:
    """Index of the first stage not finished, or of a finished one whose result is no longer in place."""
    for index, stage in enumerate(stages):
        if stage.name not in finished:
            return index
        ctx.results[stage.name] = finished[stage.name]
        if isinstance(stage, Probed) and not stage.converged(ctx):
            return index
    return len(stages)


def _run_one(stage: Stage, ctx: StageContext, journal: Journal, progress: Progress) -> StageRun:
    started, clock = utcnow(), time.monotonic()
    journal.record(stage.name, Outcome.STARTED)
    progress(StageRun(stage.name, stage.title, RUNNING, started))
    try:
        result = stage.run(ctx)
    except KeyboardInterrupt:
        journal.record(stage.name, INTERRUPTED, {"seconds": round(time.monotonic() - clock, 2)})
        progress(StageRun(stage.name, stage.title, INTERRUPTED, started, time.monotonic() - clock))
        raise
    except StageFailedError as failure:
        _failed(stage, journal, progress, started, clock, failure.error, failure.evidence)
        raise failure.error from None
    except ColoError as exc:
        _failed(stage, journal, progress, started, clock, exc, None)
        raise
    except Exception as exc:
        _failed(stage, journal, progress, started, clock, exc, None)
        raise
    seconds = time.monotonic() - clock
    ctx.results[stage.name] = result
    ctx.ran_now.add(stage.name)
    run = StageRun(stage.name, stage.title, DONE, started, seconds, result)
    journal.record(stage.name, Outcome.OK, {**run.details(), "seconds": round(seconds, 2)})
    progress(run)
    return run


def _failed(
    stage: Stage,
    journal: Journal,
    progress: Progress,
    started: datetime,
    clock: float,
    error: BaseException,
    evidence: StageResult | None,
) -> None:
    message = error.lines() if isinstance(error, ColoError) else [f"{type(error).__name__}: {error}"]
    seconds = time.monotonic() - clock
    run = StageRun(stage.name, stage.title, FAILED, started, seconds, evidence, tuple(message))
    journal.record(stage.name, Outcome.FAILED, {**run.details(), "seconds": round(seconds, 2)})
    progress(run)


def run_stages(
    stages: Sequence[Stage], ctx: StageContext, journal: Journal, progress: Progress = lambda _r: None
) -> list[StageRun]:
    """Run the stages from the first unfinished one; raises the failing stage's error after recording it."""
    start = first_to_run(stages, journal.finished(stages), ctx)
    runs = []
    for stage in stages[:start]:
        run = StageRun(stage.name, stage.title, ALREADY_DONE, result=ctx.results[stage.name])
        progress(run)
        runs.append(run)
    for stage in stages[start:]:
        runs.append(_run_one(stage, ctx, journal, progress))
    return runs


@dataclass(frozen=True)
class ProvisionResult:
    """The outcome of ``colo provision``: every stage, and whether step 6 was already complete before."""

    request_id: str
    stages: list[StageRun]
    already_complete: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "already_complete": self.already_complete,
            "stages": [run.as_dict() for run in self.stages],
        }


def earlier_result(register: Register, request_id: str, stages: Sequence[Stage]) -> ProvisionResult | None:
    """The result of a step 6 that already completed, else None (after checking step 6 may run, and that
    no other request has this server first)."""
    from provisioner.allocate import refuse_duplicate

    with register.session() as session:
        record = get_request(session, request_id)
        if step_result(record, Step.PROVISION) is None:
            require_step(record, Step.PROVISION)
            refuse_duplicate(session, record)
            return None
        finished = finished_events(stage_events(session, record.id))
    runs = [
        StageRun(s.name, s.title, ALREADY_DONE, ev.at, ev.details.get("seconds"),
                 s.result_type.model_validate(ev.details))
        for s in stages if (ev := finished.get(s.name)) is not None
    ]
    return ProvisionResult(record.id, runs, already_complete=True)


def provision(
    register: Register,
    request_id: str,
    site_dir: Path,
    output_dir: Path,
    *,
    actor: str,
    confirm: Callable[[str], bool],
    progress: Progress = lambda _r: None,
) -> ProvisionResult:
    """Run step 6 for an approved request, resuming where an earlier run stopped."""
    stages = all_stages()
    earlier = earlier_result(register, request_id, stages)
    if earlier is not None:
        return earlier
    ctx = build_context(register, request_id, site_dir, output_dir, actor=actor, confirm=confirm)
    journal = Journal(register, ctx.request_id, actor)
    runs = run_stages(stages, ctx, journal, progress)
    return ProvisionResult(ctx.request_id, runs, already_complete=False)


def pending(stages: Sequence[Stage]) -> list[StageRun]:
    """The progress list before anything ran."""
    return [StageRun(stage.name, stage.title, PENDING) for stage in stages]


@dataclass(frozen=True)
class Preview:
    """What ``colo provision --check`` shows: the placement, the technician's sheet and the switch diff."""

    request_id: str
    placement: Allocation
    sheet: str
    switch_diff: str
    switch_changes: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "placement": self.placement.model_dump(mode="json"),
            "placement_sheet": self.sheet,
            "switch_diff": self.switch_diff,
            "switch_changes": self.switch_changes,
        }


def preview(register: Register, request_id: str, site_dir: Path) -> Preview:
    """The plan and the switch diff of step 6, from what the request holds; nothing is changed."""
    from provisioner.allocate import find_allocation

    with register.session() as session:
        require_step(get_request(session, request_id), Step.PROVISION)
    ctx = build_context(register, request_id, site_dir, Path("."), actor="check", confirm=lambda _p: False)
    with register.session() as session:
        held = find_allocation(session, ctx.facility, ctx.request_id)
    if held is None:
        raise Refused(f"{ctx.request_id} holds no capacity; run `colo capacity {ctx.request_id}` first")
    plan = held
    req = ctx.request
    description = port_description(req.agency.code, req.server.hostname, ctx.request_id)
    intents = provision_intents(ctx.facility, plan, description)
    change = switch_plan(register, switch_of(ctx.facility, plan), intents)
    return Preview(ctx.request_id, plan, placement_sheet(ctx, plan), change.diff(), not change.empty)
