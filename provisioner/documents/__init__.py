"""The SOP's documents: Jinja2 templates in Indonesian, rendered to HTML and PDF.

WeasyPrint is imported only when a PDF is written, so commands that print nothing on paper start fast.
"""

from provisioner.documents.records import (
    StagedDocuments,
    request_context,
    stage_documents,
    step_documents,
    write_step_document,
)
from provisioner.documents.render import RenderedDocument, render_document

__all__ = [
    "RenderedDocument",
    "StagedDocuments",
    "render_document",
    "request_context",
    "stage_documents",
    "step_documents",
    "write_step_document",
]
