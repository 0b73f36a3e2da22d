"""`colo capacity ID`: SOP step 3, the capacity check, its hold and its report."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from provisioner.cli.common import JsonFlag, console, obtain, print_json, technician
from provisioner.errors import NoCapacity

RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request id, REQ-YYYY-NNNN.")]


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)


def capacity(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str | None, typer.Option("--by", help="Technician [$COLO_TECHNICIAN, login name].")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Step 3: check space, power, UPS, genset, bandwidth, switch port, VLAN, subnet and address.

    Sufficient: what was found is held for step 6. Not sufficient: the request is closed as rejected
    (exit code 3) and the report says what was short.
    """
    from provisioner.allocate import run_capacity_step
    from provisioner.documents import step_documents
    from provisioner.facility import load_facility

    context = obtain(ctx)
    facility = load_facility(context.site_dir)
    register = context.register()
    report_document = step_documents(facility.site.letterhead(), context.output_dir, "capacity_report",
                                     register=register)
    run = run_capacity_step(register, facility, request_id, technician(by), report_document)
    report: dict[str, Any] = run.event.details["report"]
    documents = [{"kind": d.kind, "pdf": d.pdf_path, "html": d.html_path} for d in run.documents]
    if json_out:
        event = run.event
        print_json({"id": event.request_id, "step": 3, "outcome": event.outcome, "repeated": run.repeated,
                    "actor": event.actor, "at": event.at, "report": report, "documents": documents})
    else:
        _print_report(run.event.request_id, report, run.repeated, documents)
    if not report["sufficient"]:
        raise NoCapacity(
            f"{run.event.request_id}: not enough capacity; the request is closed as rejected (SOP step 3b)",
            report["shortages"],
        )


def _print_report(
    request_id: str, report: dict[str, Any], repeated: bool, documents: list[dict[str, str]]
) -> None:
    """The report as a table, the held placement, the documents."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{request_id}: capacity at {report['site']}" + (" (checked before)" * repeated))
    numbers = {"capacity", "used", "held", "this request", "headroom"}
    for column in ("resource", "subject", "capacity", "used", "held", "this request", "headroom", "verdict"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for line in report["resources"]:
        unit = f" {line['unit']}"
        table.add_row(
            line["resource"], line["subject"], f"{line['capacity']}{unit}", str(line["used"]),
            str(line["held"]), str(line["request"]), str(line["headroom"]),
            Text.assemble("ok" if line["ok"] else ("SHORT", "bold red"),
                          f" ({line['note']})" if line["note"] else ""),
        )
    out = console()
    out.print(table)
    placement = report["placement"]
    if placement:
        units = placement["units"]
        where = f"U{units[0]}" + (f"-U{units[-1]}" if len(units) > 1 else "")
        out.print(
            f"held for step 6: rack {placement['rack']} {where}, {placement['switch']} {placement['port']}, "
            f"VLAN {placement['vlan']}, {placement['subnet']}, address {placement['address']}"
        )
    for d in documents:
        out.print(f"  {d['kind']}: {d['pdf']}")
