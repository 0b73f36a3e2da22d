"""What every command shares: the global options, the register (opened lazily), output as JSON or Rich."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from provisioner.errors import BadInput

if TYPE_CHECKING:
    from rich.console import Console

    from provisioner.facility import Facility
    from provisioner.organisation import Letterhead
    from provisioner.register.db import Register

DEFAULT_SITE = Path("inventories/lab")
DEFAULT_OUTPUT = Path(".colo/documents")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@dataclass
class Context:
    """The global options of one `colo` run and the register it opened."""

    site_dir: Path
    output_dir: Path
    register_url: str | None = None
    _register: Register | None = field(default=None, repr=False)

    def register(self) -> Register:
        """The register, opened (and migrated) on first use."""
        if self._register is None:
            from provisioner.register.db import open_register

            self._register = open_register(self.register_url)
        return self._register

    def facility(self) -> Facility:
        """The site's facility file."""
        from provisioner.facility import load_facility

        return load_facility(self.site_dir)

    def site(self) -> Letterhead:
        """The facility's site and office for letterheads."""
        return self.facility().letterhead()

    def close(self) -> None:
        if self._register is not None:
            self._register.close()


def make_context(site: Path | None, output: Path | None) -> Context:
    """Resolve --site ($COLO_SITE, else inventories/lab) and --output ($COLO_OUTPUT, else .colo/documents)."""
    site_dir = site or Path(os.environ.get("COLO_SITE") or DEFAULT_SITE)
    output_dir = output or Path(os.environ.get("COLO_OUTPUT") or DEFAULT_OUTPUT)
    return Context(site_dir=site_dir, output_dir=output_dir)


def obtain(ctx: typer.Context) -> Context:
    """The Context the app's callback stored."""
    found = ctx.find_root().obj
    assert isinstance(found, Context)
    return found


def person(value: str, option: str) -> str:
    """A person's name given on the command line: 1 to 100 printable characters."""
    value = value.strip()
    if not value or len(value) > 100 or any(not ch.isprintable() for ch in value):
        raise BadInput(f"{option}: a name of 1 to 100 printable characters is required")
    return value


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: object) -> None:
    """One JSON document on stdout."""
    typer.echo(json.dumps(data, default=_default, ensure_ascii=False, indent=2))


def console() -> Console:
    """Rich output where every string is text: no markup, no emoji codes (a name ``Budi [/b]`` or
    ``:warning:`` prints as written). Styling goes in as styles, ``Text(..., style="bold")``."""
    from rich.console import Console

    return Console(markup=False, emoji=False)


def duration(value: timedelta | None) -> str:
    """``1 h 05 min``, ``12 min``, ``2 d 3 h``; '-' for none."""
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def when(value: datetime | None) -> str:
    """A timestamp in local time for tables."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def technician(by: str | None) -> str:
    """The technician doing a step: --by, else $COLO_TECHNICIAN, else the login name."""
    import getpass

    return person(by or os.environ.get("COLO_TECHNICIAN") or getpass.getuser(), "--by")
