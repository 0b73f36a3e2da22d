"""Rendering one document: a template under templates/ to an HTML file and a PDF beside it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from provisioner.files import write_documents

TEMPLATES = Path(__file__).with_name("templates")
LOCAL_TIME = ZoneInfo("Asia/Jakarta")
_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


@dataclass(frozen=True)
class RenderedDocument:
    """The two files written (absolute paths) and the SHA-256 of the PDF's bytes."""

    html: Path
    pdf: Path
    sha256: str


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


def render_document(kind: str, context: Mapping[str, object], out_dir: Path) -> RenderedDocument:
    """Render templates/<kind>.html.j2 with ``context`` to <out_dir>/<kind>.html and .pdf (files 0640,
    written as provisioner.files writes: never through a link)."""
    from weasyprint import HTML

    html = _environment().get_template(f"{kind}.html.j2").render(**context)
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    folder = write_documents(out_dir, {f"{kind}.html": html.encode("utf-8"), f"{kind}.pdf": pdf})
    return RenderedDocument(folder / f"{kind}.html", folder / f"{kind}.pdf", hashlib.sha256(pdf).hexdigest())
