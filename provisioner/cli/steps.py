"""`colo dispose|apply|approve|report`: SOP steps 2, 4, 5 and 7, each recorded with its document."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from provisioner.cli.common import Context, JsonFlag, obtain, person, print_json, technician, when
from provisioner.errors import BadInput, SpecMismatch

if TYPE_CHECKING:
    from provisioner.workflow import StepRun

RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request id, REQ-YYYY-NNNN.")]
_SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,49}$")


def register(app: typer.Typer) -> None:
    app.command("dispose")(dispose)
    app.command("apply")(apply)
    app.command("approve")(approve)
    app.command("report")(report)


def run_step(
    context: Context,
    request_id: str,
    step: int,
    actor: str,
    details: Mapping[str, Any],
    document_kind: str,
    json_out: bool,
) -> StepRun:
    """Record a step with its document, then print the result (or the earlier one when it was done before)."""
    from provisioner.documents import step_documents
    from provisioner.workflow import Step, perform_step

    documents = step_documents(context.site(), context.output_dir, document_kind)
    run = perform_step(context.register(), request_id, Step(step), actor, details, prepare=documents)
    print_step(run, json_out)
    return run


def print_step(run: StepRun, json_out: bool) -> None:
    """Report a step's result: as JSON, or one line for people."""
    from provisioner.workflow import Step

    event = run.event
    step = Step(event.step or 0)
    if json_out:
        print_json({
            "id": event.request_id, "step": int(step), "outcome": event.outcome, "actor": event.actor,
            "at": event.at, "details": event.details, "repeated": run.repeated,
            "documents": [{"kind": d.kind, "pdf": d.pdf_path, "html": d.html_path} for d in run.documents],
        })
        return
    done = "was already done" if run.repeated else "done"
    tail = "; nothing changed" if run.repeated else ""
    typer.echo(f"{event.request_id}: step {int(step)} ({step.title}) {done}: {event.outcome} "
               f"by {event.actor} at {when(event.at)}{tail}")
    for d in run.documents:
        typer.echo(f"  {d.kind}: {d.pdf_path}")


def dispose(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str, typer.Option("--by", help="Head of division who verifies and dispositions.")],
    to: Annotated[str, typer.Option("--to", help="Section head who receives the disposition.")],
    json_out: JsonFlag = False,
) -> None:
    """Step 2: verify the letter and disposition it to the telematics section; writes the disposition."""
    run_step(obtain(ctx), request_id, 2, person(by, "--by"), {"to": person(to, "--to")},
             "disposition", json_out)


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
    if not _SERIAL.fullmatch(serial):
        raise BadInput("--serial: letters, digits and . _ / - (up to 50)")
    details: dict[str, Any] = {"serial": serial, "staging_address": None}
    if staging_address is not None:
        try:
            details["staging_address"] = str(ipaddress.IPv4Address(staging_address))
        except ValueError:
            raise BadInput(f"--staging-address: {staging_address!r} is not an IPv4 address") from None
    context = obtain(ctx)
    spec = _ready_for_apply(context, request_id)
    expected = spec["server"].get("serial")
    if expected and expected != serial:
        raise SpecMismatch(f"{request_id}: the request names serial {expected}, the server is {serial}")
    actor = person(by, "--by") if by else spec["agency"]["contact"]["name"]
    run_step(context, request_id, 4, actor, details, "application_form", json_out)


def _ready_for_apply(context: Context, request_id: str) -> dict[str, Any]:
    """The request's document, once step 4 may run: a closed request, or one whose earlier steps are not
    done, is refused as such before the delivered server is compared with it (the comparison means
    nothing until then). A step 4 done before still compares, so a wrong serial is never reported done."""
    from provisioner.workflow import Step, get_request, require_step, step_result

    with context.register().session() as session:
        record = get_request(session, request_id)
        if step_result(record, Step.APPLY) is None:
            require_step(record, Step.APPLY)
        return dict(record.document)


def approve(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str, typer.Option("--by", help="Head of division who approves.")],
    json_out: JsonFlag = False,
) -> None:
    """Step 5: the head of division approves; writes the approval form."""
    run_step(obtain(ctx), request_id, 5, person(by, "--by"), {}, "approval_form", json_out)


def report(
    ctx: typer.Context,
    request_id: RequestId,
    by: Annotated[str | None, typer.Option("--by", help="Technician [$COLO_TECHNICIAN, login name].")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Step 7: report to the agency (copy to the head of division) that the server and its applications are
    in place and reachable; writes the final report with the access check's evidence, and its mail."""
    from provisioner.stages.report import run_report

    context = obtain(ctx)
    result = run_report(context.register(), request_id, context.site_dir, context.output_dir,
                        actor=technician(by))
    if json_out:
        print_json(result)
        return
    done = "was already done; nothing changed" if result["repeated"] else "done"
    typer.echo(f"{result['id']}: step 7 (report) {done}")
    for path in result["documents"]:
        typer.echo(f"  final_report: {path}")
    typer.echo(f"  mail: {result['mail']['eml']}")
