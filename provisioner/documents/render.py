"""Rendering one document: a template under templates/ to an HTML file and a PDF beside it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
LOCAL_TIME = ZoneInfo("Asia/Jakarta")
_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


@dataclass(frozen=True)
class RenderedDocument:
    html: Path
    pdf: Path


def tanggal(value: date | str) -> str:
    """An Indonesian date, ``20 November 2026`` (a timestamp, also as ISO text, counts in local time, WIB)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TIME).date()
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def waktu(value: datetime) -> str:
    """An Indonesian date with the local time: ``20 November 2026 09.15 WIB``."""
    return f"{tanggal(value)} {value.astimezone(LOCAL_TIME):%H.%M} WIB"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tanggal"] = tanggal
    env.filters["waktu"] = waktu
    return env


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o640)


def render_document(kind: str, context: Mapping[str, object], out_dir: Path) -> RenderedDocument:
    """Render templates/<kind>.html.j2 with ``context`` to <out_dir>/<kind>.html and .pdf (files 0640)."""
    from weasyprint import HTML

    html = _environment().get_template(f"{kind}.html.j2").render(**context)
    out_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    rendered = RenderedDocument(out_dir / f"{kind}.html", out_dir / f"{kind}.pdf")
    _write(rendered.html, html.encode("utf-8"))
    _write(rendered.pdf, HTML(string=html, base_url=str(TEMPLATES)).write_pdf())
    return rendered
