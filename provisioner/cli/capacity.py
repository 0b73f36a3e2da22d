"""`colo capacity ID`: SOP step 3, the capacity check, its hold and its report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provisioner.cli.common import JsonFlag, console, obtain, print_json, technician
from provisioner.errors import NoCapacity

if TYPE_CHECKING:
    from provisioner.steps.capacity import CapacityChecked

RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request id, REQ-YYYY-NNNN.")]


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)


def capacity(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str | None, typer.Option("--by", help="Technician [$COLO_TECHNICIAN, login name].")] = None,
    rack: Annotated[str | None, typer.Option(
        "--rack", metavar="NAME", help="Hold space in this rack (default: the allocator chooses)."
    )] = None,
    json_out: JsonFlag = False,
) -> None:
    """Step 3: check space, power, UPS, genset, bandwidth, switch port, VLAN, subnet and address.

    Sufficient: what was found is held for step 6. Not sufficient: the request is closed as rejected
    (exit code 3) and the report says what was short.
    """
    from provisioner.steps import capacity

    context = obtain(ctx)
    facility = context.facility()
    result = capacity.run(context.register(), facility, request_id, by=technician(by),
                          output_dir=context.output_dir, rack=rack)
    if json_out:
        print_json({
            "id": result.request_id, "step": 3, "outcome": result.outcome, "repeated": result.repeated,
            "actor": result.actor, "at": result.at, "report": result.report.model_dump(mode="json"),
            "documents": [d.model_dump() for d in result.documents],
        })
    else:
        _print_report(result)
    if not result.report.sufficient:
        raise NoCapacity(
            f"{result.request_id}: not enough capacity; the request is closed as rejected (SOP step 3b)",
            list(result.report.shortages),
        )


def _print_report(result: CapacityChecked) -> None:
    """The report as a table, the held placement, the documents."""
    from rich.table import Table
    from rich.text import Text

    report = result.report
    title = f"{result.request_id}: capacity at {report.site}" + (" (checked before)" * result.repeated)
    table = Table(title=title)
    numbers = {"capacity", "used", "held", "this request", "headroom"}
    for column in ("resource", "subject", "capacity", "used", "held", "this request", "headroom", "verdict"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for line in report.resources:
        table.add_row(
            line.resource, line.subject, f"{line.capacity} {line.unit}", str(line.used), str(line.held),
            str(line.request), str(line.headroom),
            Text.assemble("ok" if line.ok else ("SHORT", "bold red"), f" ({line.note})" if line.note else ""),
        )
    out = console()
    out.print(table)
    placement = report.placement
    if placement:
        units = placement.units
        where = f"U{units[0]}" + (f"-U{units[-1]}" if len(units) > 1 else "")
        out.print(
            f"held for step 6: rack {placement.rack} {where}, {placement.switch} {placement.port}, "
            f"VLAN {placement.vlan}, {placement.subnet}, address {placement.address}"
        )
        if placement.path:
            out.print("path to layer 3: " + " → ".join(placement.path))
    for d in result.documents:
        out.print(f"  {d.kind}: {d.pdf}")
