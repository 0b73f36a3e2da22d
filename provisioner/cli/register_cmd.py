"""`colo register export --format csv|xlsx [--output FILE]`: the asset register."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli.common import JsonFlag, obtain, print_json

register_app = typer.Typer(help="The asset register.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(register_app, name="register")


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
    json_out: JsonFlag = False,
) -> None:
    """Export the asset register: one row per server placed, with its rack, port, VLAN and handover."""
    from provisioner.errors import BadInput
    from provisioner.export import asset_rows, export_assets

    if json_out and output is None:
        raise BadInput("--json: give --output, stdout carries the JSON document")
    with obtain(ctx).register().session() as session:
        rows = asset_rows(session, include_decommissioned=not active_only)
    count = export_assets(rows, fmt, output, sys.stdout)
    if json_out:
        print_json({"format": fmt, "output": str(output), "rows": count})
    elif output is not None:
        typer.echo(f"{count} rows written to {output}", err=True)
