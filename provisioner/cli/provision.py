"""`colo provision` (step 6), `colo decommission` and `colo demo`: parse, call, print."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from provisioner.cli.common import Context, JsonFlag, console, obtain, print_json, technician

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    from provisioner.stages.engine import Processor, StageRun

ByOption = Annotated[
    str | None, typer.Option("--by", help="The technician [$COLO_TECHNICIAN, else the login name].")
]

_STATUS_STYLE = {
    "pending": "dim",
    "running": "yellow",
    "done": "green",
    "already done": "green dim",
    "failed": "bold red",
    "interrupted": "bold red",
}


def stage_table(runs: dict[str, StageRun]) -> Table:
    """The live progress list: one row per stage with its status and time."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    for column in ("stage", "status", "time"):
        table.add_column(column)
    for run in runs.values():
        seconds = "" if run.seconds is None else f"{run.seconds:.1f} s"
        table.add_row(run.title, Text(run.status, style=_STATUS_STYLE.get(run.status, "")), seconds)
    return table


def stage_line(run: StageRun) -> str:
    """One stage's result as a line of its own: ``jaringan ... (network): done 3.2 s``."""
    seconds = "" if run.seconds is None else f" {run.seconds:.1f} s"
    return f"{run.title}: {run.status}{seconds}"


@contextmanager
def live_progress(out: Console, enabled: bool) -> Iterator[tuple[Processor, Live | None]]:
    """A progress display of step 6's stages: on a terminal it redraws the stage list (Rich Live); elsewhere
    (a pipe, a CI log) it prints each stage's line when the stage ends, in order; when disabled it shows
    nothing."""
    from rich.live import Live

    from provisioner.stages.engine import RUNNING, Display, pending
    from provisioner.steps.provision import all_stages

    if not enabled:
        yield Display(lambda _run: None), None
        return
    if not out.is_terminal:

        def print_ended(run: StageRun) -> None:
            if run.status != RUNNING:
                out.print(stage_line(run), markup=False, highlight=False)

        yield Display(print_ended), None
        return
    runs = {run.name: run for run in pending(all_stages())}
    with Live(stage_table(runs), console=out, refresh_per_second=8, transient=False) as live:

        def update(run: StageRun) -> None:
            runs[run.name] = run
            live.update(stage_table(runs))

        yield Display(update), live


@contextmanager
def step6_progress(out: Console, enabled: bool) -> Iterator[Processor]:
    """`live_progress` for a caller that shows step 6 among other steps (the demo)."""
    with live_progress(out, enabled) as (progress, _live):
        yield progress


def site_secrets(ctx: typer.Context) -> Context:
    """The command's context, with the site's credentials file (if its facility.yml names one) made the
    dotenv source of secrets when $COLO_CREDENTIALS_FILE is unset."""
    state = obtain(ctx)
    state.facility()
    return state


def ask(question: str) -> bool:
    """A yes/no question on stderr, the answer a line of stdin: `y` or `yes` confirms, anything else (or no
    input) declines. Nothing reaches stdout (click's prompt writes a space there, glued to the next line)."""
    typer.echo(f"{question} [y/N]: ", err=True, nl=False)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def confirmer(yes: bool, out: Console, live_holder: list[Live | None]) -> Callable[[str], bool]:
    """--yes confirms; otherwise show the placement sheet and ask the technician."""

    def confirm(sheet: str) -> bool:
        if yes:
            return True
        live = live_holder[0]
        if live is not None:
            live.stop()
        out.print(sheet)
        answer = ask("Server terpasang dan kabel tersambung (racked and cabled)?")
        if live is not None:
            live.start()
        return answer

    return confirm


def provision_command(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(help="The request id, REQ-YYYY-NNNN.")],
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing: print what each stage would do.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="The server is racked and cabled: do not ask.")] = False,
    by: ByOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Step 6: place, verify, configure switch, server and monitoring, check access, hand over, register."""
    from provisioner.steps import provision

    state = site_secrets(ctx)
    out = console()
    if check:
        planned = provision.preview(state.register(), request_id, state.site_dir, state.output_dir)
        if as_json:
            print_json(planned.as_dict())
            return
        for stage, previewed in planned.stages:
            out.print(f"{stage.title}:", markup=False, highlight=False)
            out.print(previewed.text.rstrip("\n"), markup=False, highlight=False)
        return
    holder: list[Live | None] = [None]
    with live_progress(out, enabled=not as_json) as (progress, live):
        holder[0] = live
        result = provision.run(
            state.register(), request_id, state.site_dir, state.output_dir, actor=technician(by),
            confirm=confirmer(yes, out, holder), processors=[progress],
        )
    if as_json:
        print_json(result.as_dict())
        return
    if result.already_complete:
        out.print(f"{result.request_id}: step 6 was already complete; nothing changed.")
    from provisioner.stages.record import Recorded

    recorded = next((r.result for r in result.stages if isinstance(r.result, Recorded)), None)
    if recorded is not None:
        for kind, path in recorded.documents.items():
            out.print(f"{kind}: {path}")


def decommission_command(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(help="The request id, REQ-YYYY-NNNN.")],
    by: ByOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Undo step 6: port back on staging, monitoring removed, capacity freed, asset decommissioned."""
    from provisioner.steps import decommission

    state = site_secrets(ctx)
    result = decommission.run(
        state.register(), request_id, state.site_dir, state.output_dir, actor=technician(by)
    )
    if as_json:
        print_json(result.as_dict())
        return
    out = console()
    for line in result.actions:
        out.print(f"- {line}")
    out.print(f"document: {result.document}")


def demo_command(
    ctx: typer.Context,
    by: ByOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The whole SOP on the lab for the example request: lab up, steps 1 to 7, where the documents are."""
    from provisioner.demo import run_demo

    state = site_secrets(ctx)
    out = console()
    result = run_demo(
        state.register(), state.site_dir, state.output_dir, actor=technician(by),
        step6_progress=lambda: step6_progress(out, enabled=not as_json),
        say=(lambda _m: None) if as_json else out.print,
    )
    if as_json:
        print_json(result)
        return
    out.print(f"{result['id']}: steps 1 to 7 done (register {result['register']}).")
    out.print(f"Documents in {result['documents_dir']}:")
    for path in result["documents"]:
        out.print(f"  {path}")


def register(app: typer.Typer) -> None:
    app.command("provision")(provision_command)
    app.command("decommission")(decommission_command)
    app.command("demo")(demo_command)
