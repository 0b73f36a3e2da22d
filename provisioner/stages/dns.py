"""The DNS stage of step 6: an A record for each application subdomain pointing at the server's address (and
its PTR where a reverse zone holds it), by the site's `dns.update` backend; a name someone else holds is
refused. The crash point `dns:updated` lies between the update and the stage's result.

Before the update, the records it would add are stored as the stage's intent (an event of the stage), so a
run killed between the update and its result counts them as made by this request when it runs again.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from provisioner import testhooks
from provisioner.dns import DnsRecord, open_backend, server_records
from provisioner.register.db import Register
from provisioner.stages.base import StageContext, StagePreview, StageResult
from provisioner.stages.journal import finished_events, stage_events
from provisioner.stages.plan import Placement
from provisioner.workflow import Outcome, Step, get_request, record_event

NAME = "dns"


class DnsIntent(BaseModel):
    """The records an update of this request is about to add, stored before it is sent."""

    model_config = ConfigDict(frozen=True)

    intent: tuple[DnsRecord, ...]


class DnsRecorded(StageResult):
    """The records the request's applications need: those this request made, those already in place, how
    many updates this run sent; `skipped` says why nothing was asked of a DNS server."""

    made: tuple[DnsRecord, ...] = ()
    present: tuple[DnsRecord, ...] = ()
    updates: int = 0
    skipped: str | None = None


def wanted(ctx: StageContext) -> tuple[DnsRecord, ...]:
    """The records for the request's application subdomains at the server's address."""
    subdomains = [a.subdomain for a in ctx.request.applications if a.subdomain]
    return server_records(ctx.facility.dns, ctx.result(Placement).address, subdomains)


def stored_intent(register: Register, request_id: str) -> tuple[DnsRecord, ...]:
    """Every record an earlier run of the stage was about to add."""
    with register.session() as session:
        events = stage_events(session, request_id)
        intents = [DnsIntent.model_validate(e.details) for e in events
                   if e.stage == NAME and e.outcome == Outcome.STARTED and "intent" in e.details]
    return tuple(dict.fromkeys(r for i in intents for r in i.intent))


def made_by(register: Register, request_id: str) -> tuple[DnsRecord, ...]:
    """The records the request made: its finished stage's `made`, else (a run killed between the update and
    its result) every record it was about to add."""
    with register.session() as session:
        finished = finished_events(stage_events(session, request_id)).get(NAME)
        if finished is not None:
            return DnsRecorded.model_validate(finished.details).made
    return stored_intent(register, request_id)


def _store_intent(ctx: StageContext, records: Sequence[DnsRecord]) -> None:
    with ctx.register.session() as session:
        record_event(session, get_request(session, ctx.request_id), actor=ctx.actor, outcome=Outcome.STARTED,
                     step=Step.PROVISION, stage=NAME,
                     details=DnsIntent(intent=tuple(records)).model_dump(mode="json"))


def _skipped(ctx: StageContext) -> str | None:
    if ctx.facility.dns.update is None:
        return "the site has no dns.update: application names are not created"
    if not wanted(ctx):
        return "the request's applications have no subdomain"
    return None


class DnsStage:
    name = NAME
    title = "DNS: nama aplikasi (dns)"
    result_type = DnsRecorded

    def run(self, ctx: StageContext) -> DnsRecorded:
        if (reason := _skipped(ctx)) is not None:
            return DnsRecorded(skipped=reason)
        backend, records = open_backend(ctx.facility), wanted(ctx)
        plan = backend.plan(records)
        if plan.add:
            _store_intent(ctx, plan.add)
        done = backend.ensure(records, ours=stored_intent(ctx.register, ctx.request_id))
        testhooks.checkpoint("dns:updated")
        return DnsRecorded(made=done.made, present=done.present, updates=done.updates)

    def preview(self, ctx: StageContext) -> StagePreview:
        if (reason := _skipped(ctx)) is not None:
            return StagePreview(f"nothing: {reason}", changes=False)
        plan = open_backend(ctx.facility).plan(wanted(ctx))
        lines = [f"add {r}" for r in plan.add] + [f"already in place: {r}" for r in plan.present]
        return StagePreview("\n".join(lines), changes=bool(plan.add))
