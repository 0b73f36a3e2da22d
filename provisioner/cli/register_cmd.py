"""`colo register export --format csv|xlsx [--output FILE]`: the asset register.

`colo register rename-site OLD NEW`: the register's capacity moved to the site's new code.

`colo register verify`: the audit log's hash chain walked; exit 3 at the first event edited, inserted
or removed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli.common import Context, JsonFlag, obtain, print_json

register_app = typer.Typer(help="The asset register.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(register_app, name="register")


def _register_files(url: str) -> list[Path]:
    """The SQLite register's file and its journals (none for a server database or one in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    database = Path(str(parsed.database).removeprefix("file:"))
    return [database, *(database.with_name(database.name + end) for end in ("-journal", "-wal", "-shm"))]


def protected_paths(context: Context) -> dict[Path, str]:
    """What an export must never replace: the register's files, the site folder, the documents folder."""
    from provisioner.register.db import default_url

    files = _register_files(context.register_url or default_url())
    guarded = {path: "the register" if n == 0 else "a file of the register" for n, path in enumerate(files)}
    guarded[context.site_dir] = f"in the site folder {context.site_dir}"
    guarded[context.output_dir] = f"in the documents folder {context.output_dir}"
    return guarded


@register_app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", help="File to write (csv: stdout when omitted).")
    ] = None,
    active_only: Annotated[
        bool, typer.Option("--active-only", help="Leave out decommissioned servers.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the --output file if it exists.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Export the asset register: one row per server placed, with its rack, port, VLAN and handover.

    The file is written whole or not at all; the register, the site's files and the documents are refused.
    The audit log's chain head at the time of the export is printed beside it (stderr, or in --json).
    """
    from provisioner.errors import BadInput
    from provisioner.export import asset_rows, check_output, export_assets
    from provisioner.register.chain import chain_head

    if json_out and output is None:
        raise BadInput("--json: give --output, stdout carries the JSON document")
    context = obtain(ctx)
    if output is not None:
        check_output(output, force=force, protected=protected_paths(context))
    with context.register().session() as session:
        rows = asset_rows(session, include_decommissioned=not active_only)
        head = chain_head(session)
    count = export_assets(rows, fmt, output, sys.stdout, force=force)
    if json_out:
        print_json({"format": fmt, "output": str(output), "rows": count, "audit_head": head})
    else:
        written = f"{count} rows written to {output}; " if output is not None else ""
        typer.echo(f"{written}the audit log's chain head: {head}", err=True)


@register_app.command("rename-site")
def rename_site(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(metavar="OLD", help="The code the register holds capacity under.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The site's code in facility.yml now.")],
    json_out: JsonFlag = False,
) -> None:
    """Move the register's holds and allocations to the site's new code, after site.code changed in
    facility.yml (NEW must be the code it names now)."""
    from provisioner.allocate import rename_site as move
    from provisioner.errors import BadInput
    from provisioner.facility import load_facility

    context = obtain(ctx)
    code = load_facility(context.site_dir).site.code
    if new != code:
        raise BadInput(f"NEW: {context.site_dir}/facility.yml names site {code!r}, not {new!r}")
    moved = move(context.register(), old, code)
    if json_out:
        print_json({"from": old, "to": code, "claims": moved})
    else:
        typer.echo(f"the register now belongs to site {code}: {moved} holds and allocations moved from {old}")


@register_app.command("verify")
def verify(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Walk the audit log's hash chain: exit 0 if it is intact, else 3 naming the first event edited,
    inserted or removed."""
    from provisioner.errors import Refused
    from provisioner.register.chain import verify_chain

    with obtain(ctx).register().session() as session:
        state = verify_chain(session)
    if json_out:
        print_json({"intact": state.broken is None, "events": state.events, "head": state.head,
                    "broken": state.broken, "event_id": state.event_id, "reason": state.reason})
    if state.broken is not None:
        raise Refused(f"the audit log's chain is broken: {state.reason}")
    if not json_out:
        typer.echo(f"the audit log's chain is intact: {state.events} events, head {state.head}")
