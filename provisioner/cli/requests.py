"""`colo request submit|list|show|cancel`: step 1 and the state of every request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from provisioner.cli.common import JsonFlag, console, duration, obtain, person, print_json, when

if TYPE_CHECKING:
    from provisioner.register.listing import ListedRequest
    from provisioner.register.models import RequestRecord
    from provisioner.sop import StepStatus

request_app = typer.Typer(help="Requests (SOP step 1) and their state.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(request_app, name="request")


def _overdue_text(lines: list[StepStatus]) -> str:
    return ", ".join(
        f"step {int(s.step)} {duration(s.elapsed)} > {duration(s.step.standard_time)}" for s in lines
    )


def _summary(record: RequestRecord | ListedRequest) -> dict[str, Any]:
    from provisioner.sop import next_step, overdue_steps, state_of

    upcoming = next_step(record)
    return {
        "id": record.id,
        "agency": record.agency_code,
        "hostname": record.hostname,
        "letter_number": record.letter_number,
        "submitted_at": record.submitted_at,
        "state": str(state_of(record)),
        "next_step": int(upcoming) if upcoming else None,
        "overdue": [
            {"step": int(s.step), "elapsed_s": s.elapsed, "standard_s": s.step.standard_time}
            for s in overdue_steps(record)
        ],
    }


@request_app.command("submit")
def submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The request file (YAML, see examples/request-simpeg.yaml).")],
    json_out: JsonFlag = False,
) -> None:
    """Validate a request letter and record it (step 1); prints its id."""
    from provisioner.request import load_request
    from provisioner.steps import submit

    spec, text = load_request(file)
    submitted = submit.run(obtain(ctx).register(), spec, text)
    if json_out:
        print_json({"id": submitted.request_id})
    else:
        typer.echo(submitted.request_id)


@request_app.command("list")
def list_requests(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Every request with its state, next step and the steps past their standard time."""
    from provisioner.register.listing import read_requests

    rows = [_summary(r) for r in read_requests(obtain(ctx).register_url)]
    if json_out:
        print_json(rows)
        return
    from provisioner.cli.tables import Row, print_table

    lines = []
    for row in rows:
        overdue = ", ".join(f"step {o['step']}" for o in row["overdue"])
        cells = (row["id"], row["agency"], row["hostname"], row["state"], str(row["next_step"] or "-"),
                 overdue or "-")
        lines.append(Row(cells, style="red" if overdue else None))
    print_table("Permohonan co-location", ("ID", "OPD", "host", "state", "next", "overdue"), lines)


@request_app.command("show")
def show(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: JsonFlag = False,
) -> None:
    """One request: what was asked, and the timeline of its steps against the SOP's standard times."""
    from provisioner.workflow import get_request, timeline

    with obtain(ctx).register().session() as session:
        record = get_request(session, request_id)
        summary = _summary(record)
        lines = timeline(record)
        stages = [
            {"step": e.step, "stage": e.stage, "actor": e.actor, "at": e.at, "outcome": e.outcome,
             "details": e.details}
            for e in record.events if e.stage is not None or e.step is None
        ]
        documents = [{"kind": d.kind, "pdf": d.pdf_path, "html": d.html_path, "sha256": d.sha256}
                     for d in record.documents]
        document = record.document
    steps = [
        {"step": int(s.step), "title": s.step.title, "done_at": s.done_at, "actor": s.actor,
         "outcome": s.outcome, "elapsed_s": s.elapsed, "standard_s": s.step.standard_time,
         "overdue": s.overdue}
        for s in lines
    ]
    if json_out:
        print_json({**summary, "request": document, "steps": steps, "events": stages, "documents": documents})
        return
    _print_show(summary, document, lines, stages, documents)


def _print_show(
    summary: dict[str, Any],
    document: dict[str, Any],
    lines: list[StepStatus],
    events: list[dict[str, Any]],
    documents: list[dict[str, Any]],
) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    agency, host = document["agency"]["name"], summary["hostname"]
    state = (summary["state"], "bold")
    out.print(Text.assemble((summary["id"], "bold"), f"  {agency}  host {host}  state ", state))
    out.print(f"letter {document['letter']['number']} of {document['letter']['date']}: "
              f"{document['letter']['subject']}")
    table = Table(title="Timeline (elapsed = since the previous step)")
    for column in ("#", "step", "done", "by", "outcome", "elapsed", "standard", "status"):
        table.add_column(column)
    for s in lines:
        standard = s.step.standard_time
        if s.done_at is None and s.elapsed is None:
            status = ""
        elif s.done_at is None:
            status = "OVERDUE" if s.overdue else "in progress"
        elif standard is None:
            status = "done"
        else:
            status = "late" if s.overdue else "on time"
        table.add_row(str(int(s.step)), s.step.title, when(s.done_at), s.actor or "-", s.outcome or "-",
                      duration(s.elapsed), duration(standard), status,
                      style="red" if s.overdue else None)
    out.print(table)
    for e in events:
        step, stage = e["step"] or "-", e["stage"] or ""
        out.print(f"  {when(e['at'])} step {step} {stage} {e['outcome']} by {e['actor']}")
    for d in documents:
        out.print(f"  document {d['kind']}: {d['pdf']}")
    if summary["overdue"]:
        out.print(f"overdue: {_overdue_text([s for s in lines if s.overdue])}", style="red")


@request_app.command("cancel")
def cancel_request(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by", help="Who cancels.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record.")],
    json_out: JsonFlag = False,
) -> None:
    """Close an open request as cancelled."""
    from provisioner.workflow import cancel, get_request

    actor, why = person(by, "--by"), person(reason, "--reason")
    with obtain(ctx).register().session() as session:
        event = cancel(session, get_request(session, request_id), actor, why)
        result = {"id": event.request_id, "state": "cancelled", "actor": actor, "at": event.at}
    if json_out:
        print_json(result)
    else:
        typer.echo(f"{result['id']}: cancelled by {actor} at {when(event.at)}")
