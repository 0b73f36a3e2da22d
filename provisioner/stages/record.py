"""Stage 7, record: the work report and the handover minutes, the asset register row, step 6 complete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.documents import StagedDocuments, stage_documents
from provisioner.documents.numbering import issue_number
from provisioner.register.db import utcnow
from provisioner.register.models import AssetRecord, DocumentRecord, EventRecord, RequestRecord
from provisioner.stages.base import StageContext, StagePreview, StageResult
from provisioner.stages.plan import Placement, units_text
from provisioner.workflow import Step, get_request, perform_step

DOCUMENTS = ("work_report", "handover_minutes")


def asset_tag(record: RequestRecord, site_code: str) -> str:
    return f"{site_code.upper()}-{record.year}-{record.seq:04d}"


def asset_details(ctx: StageContext, record: RequestRecord, handover_number: str) -> dict[str, Any]:
    """The register row's columns beyond the fixed ones (export reads these keys)."""
    plan, site = ctx.result(Placement), ctx.facility.site.code
    return {
        "asset_tag": asset_tag(record, site),
        "site": site,
        "rack": plan.rack,
        "units": list(plan.units),
        "power_feed": plan.ups,
        "switch": plan.switch,
        "switch_port": plan.switch_port,
        "vlan": plan.vlan_id,
        "subnet": str(plan.subnet),
        "applications": [
            {"name": a.name, "port": a.port, "scheme": a.scheme, "subdomain": a.subdomain}
            for a in ctx.request.applications
        ],
        "handover_number": handover_number,
        "handover_date": utcnow().date().isoformat(),
    }


def asset_values(ctx: StageContext, record: RequestRecord, handover_number: str) -> dict[str, Any]:
    """The request's asset row, column by column."""
    req, plan = ctx.request, ctx.result(Placement)
    return {
        "agency_code": req.agency.code,
        "hostname": req.server.hostname,
        "serial": ctx.delivered.serial,
        "vendor": req.server.vendor,
        "model": req.server.model,
        "os": f"{req.server.os.family} {req.server.os.version}",
        "location": f"{plan.rack} {units_text(plan.units)}",
        "address": str(plan.address),
        "details": asset_details(ctx, record, handover_number),
    }


def upsert_asset(session: Session, request_id: str, values: dict[str, Any]) -> AssetRecord:
    """The request's asset row, written once (a rerun of this stage rewrites the same row)."""
    asset = session.scalar(select(AssetRecord).where(AssetRecord.request_id == request_id))
    if asset is None:
        asset = AssetRecord(request_id=request_id)
        session.add(asset)
    for column, value in values.items():
        setattr(asset, column, value)
    asset.installed_at = utcnow()
    asset.decommissioned_at = None
    session.flush()
    return asset


def work_context(ctx: StageContext, asset: dict[str, Any]) -> dict[str, Any]:
    """What the work report and the handover minutes show beyond the request and its steps."""
    shown = {**asset["details"], **{column: asset[column] for column in ("location", "address", "os")}}
    return {
        "work": {
            **ctx.results,
            "actor": ctx.actor,
            "serial": ctx.delivered.serial,
            "asset": shown,
            "finished_at": utcnow(),
        }
    }


class Recorded(StageResult):
    """Step 6 complete: the asset tag, the handover minutes' number, the server's address, the documents."""

    asset_tag: str
    handover_number: str
    address: str
    documents: dict[str, str]


class RecordStage:
    name = "record"
    title = "berita acara dan register aset (record)"
    result_type = Recorded

    def run(self, ctx: StageContext) -> Recorded:
        site = ctx.facility.letterhead()
        handover_number = issue_number(ctx.register, ctx.request_id, "handover_minutes", site)
        with ctx.register.session() as session:
            record = get_request(session, ctx.request_id)
            numbers = {
                "asset_tag": asset_tag(record, site["code"]),
                "handover_number": handover_number,
                "address": str(ctx.result(Placement).address),
            }
            asset = asset_values(ctx, record, handover_number)

        def prepare(record: RequestRecord, event: EventRecord) -> StagedDocuments:
            extra = work_context(ctx, asset)
            return stage_documents(record, event, site, ctx.output_dir, [(kind, extra) for kind in DOCUMENTS],
                                   register=ctx.register)

        def write(session: Session, record: RequestRecord, _event: EventRecord) -> list[DocumentRecord]:
            upsert_asset(session, record.id, asset)
            return []

        run = perform_step(ctx.register, ctx.request_id, Step.PROVISION, ctx.actor, numbers,
                           prepare=prepare, after=write)
        documents = {d.kind: d.pdf_path for d in run.documents}
        return Recorded.model_validate({**run.event.details, "documents": documents})

    def preview(self, ctx: StageContext) -> StagePreview:
        site = ctx.facility.site.code
        with ctx.register.session() as session:
            record = get_request(session, ctx.request_id)
            tag = asset_tag(record, site)
        return StagePreview(
            f"the {' and the '.join(k.replace('_', ' ') for k in DOCUMENTS)} (numbered from the register's "
            f"counters), the asset register row {tag}, step 6 recorded complete",
            changes=True,
        )
