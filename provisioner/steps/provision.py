"""Step 6 of the SOP: the ordered stages that place, verify, configure, monitor, check and record a server.

The journal records each stage's start and its typed result (or failure, or interruption) as an event of
step 6 in the register. A rerun starts at the first stage without a recorded result, or earlier at a finished
stage whose live check (``converged``) says its result is no longer in place; every stage is safe to run
again. Once the record stage has completed step 6, provisioning again reports that result and changes
nothing. ``preview`` is each stage's own dry run (``colo provision --check``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provisioner.errors import Refused
from provisioner.facility import load_facility
from provisioner.register.db import Register
from provisioner.stages.access import AccessCheckStage
from provisioner.stages.base import Delivered, Stage, StageContext, StagePreview
from provisioner.stages.dns import DnsStage
from provisioner.stages.engine import ALREADY_DONE, Processor, StageRun, preview_stages, run_stages
from provisioner.stages.journal import Journal, finished_events, stage_events
from provisioner.stages.monitoring import MonitoringStage
from provisioner.stages.network import NetworkStage
from provisioner.stages.plan import Placement, PlanStage
from provisioner.stages.record import RecordStage
from provisioner.stages.server import ServerStage
from provisioner.stages.verify import VerifyStage
from provisioner.workflow import Step, completions, get_request, require_step, step_result


def all_stages() -> list[Stage]:
    """plan, verify, server, network, dns, monitoring, access_check, record."""
    return [
        PlanStage(), VerifyStage(), ServerStage(), NetworkStage(), DnsStage(), MonitoringStage(),
        AccessCheckStage(), RecordStage(),
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
        try:
            delivered = Delivered.model_validate(completions(record)[Step.APPLY].details)
        except ValidationError:
            raise Refused(
                f"{record.id}: step 4 recorded no staging address, so the server cannot be reached for "
                f"verification; record it with `colo apply {record.id} --serial S --staging-address IP`"
            ) from None
        return StageContext(
            register=register, request_id=record.id, request=record.spec(), facility=facility,
            site_dir=site_dir, output_dir=output_dir, actor=actor, delivered=delivered, confirm=confirm,
        )


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


def run(
    register: Register,
    request_id: str,
    site_dir: Path,
    output_dir: Path,
    *,
    actor: str,
    confirm: Callable[[str], bool],
    processors: Sequence[Processor] = (),
) -> ProvisionResult:
    """Run step 6 for an approved request by ``actor`` (a technician, not the one who approved it), resuming
    where an earlier run stopped. The journal hears of each stage first, then `processors` (a progress
    display, crash points) in their order."""
    organisation = load_facility(site_dir).organisation
    actor = organisation.actor(Step.PROVISION, actor)
    stages = all_stages()
    earlier = earlier_result(register, request_id, stages)
    if earlier is not None:
        return earlier
    with register.session() as session:
        organisation.refuse_self_approval(completions(get_request(session, request_id))[Step.APPROVE].actor,
                                          actor)
    ctx = build_context(register, request_id, site_dir, output_dir, actor=actor, confirm=confirm)
    journal = Journal(register, ctx.request_id, actor)
    runs = run_stages(stages, ctx, journal.finished(stages), [journal, *processors])
    return ProvisionResult(ctx.request_id, runs, already_complete=False)


@dataclass(frozen=True)
class StepPreview:
    """What ``colo provision --check`` shows: every stage's preview, the placement, the switch diff."""

    request_id: str
    stages: list[tuple[Stage, StagePreview]]
    placement: Placement

    def of(self, stage: type[Stage]) -> StagePreview:
        return next(previewed for s, previewed in self.stages if isinstance(s, stage))

    def as_dict(self) -> dict[str, Any]:
        switch = self.of(NetworkStage)
        return {
            "id": self.request_id,
            "placement": self.placement.model_dump(mode="json", exclude={"placement_sheet"}),
            "placement_sheet": self.of(PlanStage).text,
            "switch_diff": switch.text,
            "switch_changes": switch.changes,
            "stages": [
                {"stage": s.name, "title": s.title, "preview": p.text, "changes": p.changes}
                for s, p in self.stages
            ],
        }


def preview(register: Register, request_id: str, site_dir: Path, output_dir: Path) -> StepPreview:
    """Each stage's preview of step 6, from what the request holds; nothing is changed."""
    with register.session() as session:
        require_step(get_request(session, request_id), Step.PROVISION)
    ctx = build_context(register, request_id, site_dir, output_dir, actor="check", confirm=lambda _s: False)
    stages = all_stages()
    previews = preview_stages(stages, ctx)
    return StepPreview(ctx.request_id, list(zip(stages, previews, strict=True)), ctx.result(Placement))
