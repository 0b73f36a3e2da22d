"""Rendering one document: a template under templates/ to an HTML file and a PDF beside it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from provisioner.documents.indonesian import angka, keterangan, tanggal, uraian_uji, waktu
from provisioner.documents.pictures import bars, rack_drawing
from provisioner.documents.qr import IMAGE_PLACEHOLDER, TEXT_PLACEHOLDER, PageCode, fill, sha256_of
from provisioner.documents.signing import Signer
from provisioner.files import write_documents
from provisioner.organisation import Role, signatory

TEMPLATES = Path(__file__).with_name("templates")
__all__ = ["RenderedDocument", "render_document", "tanggal", "waktu"]


@dataclass(frozen=True)
class RenderedDocument:
    """The two files written (absolute paths) and the SHA-256 of the PDF's bytes."""

    html: Path
    pdf: Path
    sha256: str


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        tanggal=tanggal, waktu=waktu, angka=angka, keterangan=keterangan, uraian_uji=uraian_uji
    )
    env.globals.update(Role=Role, signatory=signatory, rack_drawing=rack_drawing, bars=bars,
                       qr_image=IMAGE_PLACEHOLDER, qr_text=TEXT_PLACEHOLDER)
    return env


def render_document(
    kind: str, context: Mapping[str, object], out_dir: Path, signer: Signer | None = None
) -> RenderedDocument:
    """Render templates/<kind>.html.j2 with ``context`` to <out_dir>/<kind>.html and .pdf (files 0640,
    written as provisioner.files writes: never through a link), each page with its QR code
    (provisioner.documents.qr); the PDF signed by ``signer``, if given."""
    from weasyprint import HTML

    template = _environment().get_template(f"{kind}.html.j2")
    unfilled = template.render(**context)
    number = context.get("document_number")
    code = PageCode(str(context["request_id"]), kind, str(number) if number else None, sha256_of(unfilled))
    html = fill(unfilled, code)
    pdf = bytes(HTML(string=html, base_url=str(TEMPLATES)).write_pdf())
    if signer is not None:
        title = "".join(template.blocks["title"](template.new_context(dict(context))))
        pdf = signer.sign(pdf, f"{title} {context['request_id']}")
    folder = write_documents(out_dir, {f"{kind}.html": html.encode("utf-8"), f"{kind}.pdf": pdf})
    return RenderedDocument(folder / f"{kind}.html", folder / f"{kind}.pdf", hashlib.sha256(pdf).hexdigest())
