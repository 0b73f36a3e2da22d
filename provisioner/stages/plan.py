"""Stage 1, plan: allocate what step 3 held, write the technician's placement sheet (as text for the terminal
and as a numbered document), wait for the cabling."""

from __future__ import annotations

from pathlib import Path

from provisioner.allocate import Allocation
from provisioner.capacity import HOLD
from provisioner.documents import stage_documents
from provisioner.errors import Refused
from provisioner.files import write_documents
from provisioner.stages.base import StageContext, StagePreview, StageResult
from provisioner.workflow import get_request

SHEET_NAME = "placement_sheet.txt"
SHEET_KIND = "placement_sheet"


class Placement(Allocation, StageResult):
    """The allocation step 6 made, and where its placement sheet was written."""

    placement_sheet: str


def check_switch_answers(ctx: StageContext) -> None:
    """Reach every switch on the held port's path to layer 3 before anything is allocated: if one does not
    answer, only step 3's hold stays."""
    from provisioner.allocate import find_allocation
    from provisioner.network.session import probe_switch

    with ctx.register.session() as session:
        held = find_allocation(session, ctx.facility, ctx.request_id)
    if held is not None and held.kind == HOLD:
        for name in ctx.facility.uplink_path(held.switch).switches:
            probe_switch(ctx.register, ctx.facility.switch(name))


def units_text(units: tuple[int, ...]) -> str:
    """Rack units as the sheet and the register write them: U7 or U7-U8."""
    return f"U{units[0]}" if len(units) == 1 else f"U{units[0]}-U{units[-1]}"


def placement_sheet(ctx: StageContext, plan: Allocation) -> str:
    """The sheet the technician takes to the rack (Indonesian labels, English in brackets)."""
    req = ctx.request
    server = " ".join(p for p in (req.server.vendor, req.server.model) if p) or "-"
    rows = [
        ("Permohonan (request)", f"{ctx.request_id}  surat {req.letter.number}"),
        ("Instansi (agency)", f"{req.agency.name} ({req.agency.code})"),
        ("Server", f"{req.server.hostname}  {server}  S/N {ctx.delivered.serial}"),
        ("Rak (rack)", f"{plan.rack}  {units_text(plan.units)}  ({req.server.rack_units}U)"),
        ("Catu daya (power feed)", f"{plan.ups}  {req.server.power_watts} W"),
        ("Switch / port", f"{plan.switch} {plan.switch_port}"),
        ("VLAN", f"{plan.vlan_id} ({plan.vlan_name}); awal: staging {ctx.facility.vlans.staging}"),
        ("Alamat IP (address)", f"{plan.address}/{plan.prefix_len}  gateway {plan.gateway}"),
        ("Alamat staging", ctx.delivered.staging_address),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"LEMBAR PENEMPATAN SERVER (placement sheet) - {ctx.facility.site.name}", ""]
    lines += [f"{label.ljust(width)} : {value}" for label, value in rows]
    lines += ["", "Pasang server di unit tersebut, sambungkan catu daya dan kabel jaringan ke port di atas."]
    return "\n".join(lines) + "\n"


def write_sheet(output_dir: Path, text: str) -> Path:
    """The placement sheet in the request's documents folder (absolute path)."""
    return write_documents(output_dir, {SHEET_NAME: text.encode("utf-8")}) / SHEET_NAME


def record_sheet_document(ctx: StageContext, plan: Allocation) -> Path:
    """The placement sheet as a document of the request (numbered, with the rack drawing, signed by the
    technician of step 6), recorded in the register: its PDF."""
    extra = {"plan": plan.model_dump(mode="json"), "serial": ctx.delivered.serial, "actor": ctx.actor,
             "staging_address": ctx.delivered.staging_address, "staging_vlan": ctx.facility.vlans.staging}
    with ctx.register.session() as session:
        record = get_request(session, ctx.request_id)
    site = ctx.facility.letterhead()
    staged = stage_documents(record, None, site, ctx.output_dir, [(SHEET_KIND, extra)], register=ctx.register,
                             signed_by=ctx.actor)
    try:
        with ctx.register.session() as session:
            [document] = staged.record(session, get_request(session, ctx.request_id), None)
    finally:
        staged.discard()
    return Path(document.pdf_path)


def held_allocation(ctx: StageContext) -> Allocation:
    """What step 3 held for the request (or step 6 already allocated); Refused when it holds nothing."""
    from provisioner.allocate import find_allocation

    with ctx.register.session() as session:
        held = find_allocation(session, ctx.facility, ctx.request_id)
    if held is None:
        raise Refused(f"{ctx.request_id} holds no capacity; run `colo capacity {ctx.request_id}` first")
    return held


class PlanStage:
    name = "plan"
    title = "rencana penempatan (plan)"
    result_type = Placement

    def run(self, ctx: StageContext) -> Placement:
        from provisioner.allocate import allocate

        check_switch_answers(ctx)
        allocation = allocate(ctx.register, ctx.facility, ctx.request_id)
        sheet = placement_sheet(ctx, allocation)
        path = write_sheet(ctx.output_dir / ctx.request_id, sheet)
        record_sheet_document(ctx, allocation)
        if not ctx.confirm(sheet):
            raise Refused(
                f"{ctx.request_id}: the server is not confirmed racked and cabled at {allocation.rack} "
                f"{allocation.switch} {allocation.switch_port}; run `colo provision {ctx.request_id}` again "
                "once it is (the allocation is kept)"
            )
        return Placement(**dict(allocation), placement_sheet=str(path))

    def preview(self, ctx: StageContext) -> StagePreview:
        held = held_allocation(ctx)
        path = (ctx.output_dir / ctx.request_id / SHEET_NAME).resolve()
        placement = Placement(**dict(held), placement_sheet=str(path))
        return StagePreview(placement_sheet(ctx, held), changes=held.kind == HOLD, result=placement)
