"""The `colo` application: global options, the area modules, and errors turned into exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
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
from provisioner.cli import capacity, documents, lab, provision, register_cmd, requests, steps  # noqa: E402

requests.register(app)
capacity.register(app)
steps.register(app)
lab.register(app)
register_cmd.register(app)
provision.register(app)
documents.register(app)
# ---- end of area modules ----


MAX_LINES = 60
MAX_LINE_CHARS = 2000
_NO_TEXT = "(the error's text cannot be shown)"


def _text(value: object) -> str:
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:  # an exception whose str() fails (SQLAlchemy's, with a parameter it cannot repr)
        return _NO_TEXT


def _shown(value: object) -> str:
    """One line for a terminal: control and format characters escaped as repr() writes them, so markup,
    escape sequences and line breaks print as text; at most MAX_LINE_CHARS characters."""
    text = _text(value)
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text[:MAX_LINE_CHARS])
    more = len(text) - MAX_LINE_CHARS
    return shown if more <= 0 else f"{shown}... ({more} more characters)"


def _error_lines(exc: ColoError) -> list[str]:
    """`colo: message`, then each problem indented: at most MAX_LINES lines."""
    problems = list(exc.problems)
    shown = problems if len(problems) < MAX_LINES else problems[: MAX_LINES - 2]
    lines = [f"colo: {_shown(exc.message)}", *(f"  {_shown(p)}" for p in shown)]
    if len(shown) < len(problems):
        lines.append(f"  ... and {len(problems) - len(shown)} more problems")
    return lines


def _unexpected_lines(exc: Exception) -> list[str]:
    """The exception's type and the first line of its text (what follows, such as SQL, stays out)."""
    first = next((line for line in _text(exc).splitlines() if line.strip()), "")
    return [f"colo: unexpected failure ({type(exc).__name__}): {_shown(first)}",
            "  set COLO_DEBUG=1 to see where it happened"]


def _report(exc: Exception) -> None:
    """Write what went wrong on stderr. Never raises: the exit code must follow."""
    try:
        lines = _error_lines(exc) if isinstance(exc, ColoError) else _unexpected_lines(exc)
    except Exception:
        lines = [f"colo: {type(exc).__name__}: {_NO_TEXT}"]
    with contextlib.suppress(Exception):  # a closed or broken stderr
        sys.stderr.write("".join(f"{line}\n" for line in lines))
        sys.stderr.flush()


def main(command: Callable[[], object] = app) -> None:
    """Run `colo` (`command` in tests): errors become a message on stderr (one line per problem) and the
    contract's exit code. Reporting never raises, whatever the exception's text holds."""
    try:
        command()  # usage errors: the parser's message and exit code 2
    except ColoError as exc:
        _report(exc)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("COLO_DEBUG"):
            raise
        _report(exc)
        sys.exit(1)


if __name__ == "__main__":
    main()
