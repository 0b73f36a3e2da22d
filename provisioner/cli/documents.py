"""`colo documents verify FILE`: 0 if the PDF's signature is valid and the register holds this very file;
3 (saying why) if not."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli.common import JsonFlag, obtain, print_json

documents_app = typer.Typer(help="The SOP's documents.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(documents_app, name="documents")


@documents_app.command("verify")
def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A document's PDF.")],
    json_out: JsonFlag = False,
) -> None:
    """Check a document: its signature chains to the site's CA and the register recorded this very file."""
    from provisioner.documents.verify import verify_document
    from provisioner.errors import Refused
    from provisioner.facility import load_facility

    context = obtain(ctx)
    organisation = load_facility(context.site_dir).organisation
    verdict = verify_document(context.register(), file, organisation)
    if verdict.problems:
        raise Refused(f"{file}: not a valid document of the register", list(verdict.problems))
    if json_out:
        print_json(asdict(verdict))
    else:
        typer.echo(f"{file}: valid, signed by {', '.join(verdict.signers)}; the register's {verdict.kind} "
                   f"of {verdict.request_id}")
