"""`colo dispose|apply|approve|report`: SOP steps 2, 4, 5 and 7, each recorded with its document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provisioner.cli.common import JsonFlag, obtain, person, print_json, technician, when

if TYPE_CHECKING:
    from provisioner.steps.result import StepResult

RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request id, REQ-YYYY-NNNN.")]


def register(app: typer.Typer) -> None:
    app.command("dispose")(dispose)
    app.command("apply")(apply)
    app.command("approve")(approve)
    app.command("report")(report)


def print_step(result: StepResult, json_out: bool) -> None:
    """Report a step's result: as JSON, or one line for people."""
    if json_out:
        print_json({
            "id": result.request_id, "step": int(result.step), "outcome": result.outcome,
            "actor": result.actor, "at": result.at, "details": result.details, "repeated": result.repeated,
            "documents": [d.model_dump() for d in result.documents],
        })
        return
    done = "was already done" if result.repeated else "done"
    tail = "; nothing changed" if result.repeated else ""
    typer.echo(f"{result.request_id}: step {int(result.step)} ({result.step.title}) {done}: {result.outcome} "
               f"by {result.actor} at {when(result.at)}{tail}")
    for d in result.documents:
        typer.echo(f"  {d.kind}: {d.pdf}")


def dispose(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str, typer.Option("--by", help="Head of division who verifies and dispositions.")],
    to: Annotated[str, typer.Option("--to", help="Section head who receives the disposition.")],
    json_out: JsonFlag = False,
) -> None:
    """Step 2: verify the letter and disposition it to the telematics section; writes the disposition."""
    from provisioner.steps import dispose

    by, to = person(by, "--by"), person(to, "--to")
    context = obtain(ctx)
    site = context.site()
    result = dispose.run(context.register(), request_id, by=by, to=to, site=site,
                         output_dir=context.output_dir)
    print_step(result, json_out)


def apply(
    ctx: typer.Context,
    request_id: RequestId,
    serial: Annotated[str, typer.Option("--serial", help="Serial number of the delivered server.")],
    staging_address: Annotated[
        str | None, typer.Option("--staging-address", help="Its address on the staging VLAN (answers SSH).")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who fills in the form [agency contact].")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Step 4: the agency's application form and the delivered server; writes the application form."""
    from provisioner.steps import apply

    delivered = apply.Delivery.of(serial, staging_address)
    filled_by = person(by, "--by") if by else None
    context = obtain(ctx)
    site = context.site()
    result = apply.run(context.register(), request_id, delivered, by=filled_by, site=site,
                       output_dir=context.output_dir)
    print_step(result, json_out)


def approve(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str, typer.Option("--by", help="Head of division who approves.")],
    json_out: JsonFlag = False,
) -> None:
    """Step 5: the head of division approves; writes the approval form."""
    from provisioner.steps import approve

    by = person(by, "--by")
    context = obtain(ctx)
    site = context.site()
    result = approve.run(context.register(), request_id, by=by, site=site, output_dir=context.output_dir)
    print_step(result, json_out)


def report(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str | None, typer.Option("--by", help="Technician [$COLO_TECHNICIAN, login name].")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Step 7: report to the agency (copy to the head of division) that the server and its applications are
    in place and reachable; writes the final report with the access check's evidence, and its mail."""
    from provisioner.steps import report

    context = obtain(ctx)
    context.facility()  # its credentials file: the signing password
    result = report.run(context.register(), request_id, context.site_dir, context.output_dir,
                        by=technician(by))
    if json_out:
        print_json({"id": result.request_id, "repeated": result.repeated,
                    "documents": [d.pdf for d in result.documents],
                    "mail": result.mail.model_dump(mode="json", exclude_defaults=True)})
        return
    done = "was already done; nothing changed" if result.repeated else "done"
    typer.echo(f"{result.request_id}: step 7 (report) {done}")
    for d in result.documents:
        typer.echo(f"  final_report: {d.pdf}")
    typer.echo(f"  mail: {result.mail.eml}")
