"""The `colo` application: global options, the area modules, and errors turned into exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli.common import make_context
from provisioner.errors import ColoError

app = typer.Typer(
    name="colo",
    help="Co-location and application hosting, step by step as the SOP says: records, capacity, "
    "allocation, switch, server, monitoring and documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    site: Annotated[
        Path | None, typer.Option("--site", help="Directory with facility.yml [$COLO_SITE, inventories/lab]")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Where documents go [$COLO_OUTPUT, .colo/documents]")
    ] = None,
) -> None:
    context = make_context(site, output)
    ctx.obj = context
    ctx.call_on_close(context.close)


# ---- Area modules: each adds its commands here, one import and one register() line. ----
from provisioner.cli import capacity, lab, provision, register_cmd, requests, steps  # noqa: E402

requests.register(app)
capacity.register(app)
steps.register(app)
lab.register(app)
register_cmd.register(app)
provision.register(app)
# ---- end of area modules ----


def main() -> None:
    """Run `colo`: errors become a message on stderr (one line per problem) and the contract's exit code."""
    try:
        app()  # usage errors: the parser's message and exit code 2
    except ColoError as exc:
        for line in exc.lines():
            typer.echo(f"colo: {line}" if line == exc.message else f"  {line}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("COLO_DEBUG"):
            raise
        typer.echo(f"colo: unexpected failure ({type(exc).__name__}): {exc}", err=True)
        typer.echo("  set COLO_DEBUG=1 to see where it happened", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
