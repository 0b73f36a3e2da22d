"""Documents of a request's steps: the context from the register and the record of what was written.

A step's documents are rendered before the step is recorded, into a staging folder of their own beside
<output>/<REQ-ID>/, so the register is never held while a PDF is made. The step's transaction records them
(paths where they will be, and the PDF's SHA-256) and, just before it commits, renames them into
<output>/<REQ-ID>/ (a real folder, never a link); a run that fails or loses to another run leaves nothing
behind and changes no document in place. A staging folder's name carries its machine and process, so the
next run of that request removes the folder of one that was killed on this machine.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from provisioner.documents.numbering import issue_number
from provisioner.documents.render import render_document
from provisioner.documents.signing import signer_for
from provisioner.errors import BadInput
from provisioner.organisation import Letterhead
from provisioner.register.db import Register, utcnow
from provisioner.register.models import DocumentRecord, EventRecord, RequestRecord
from provisioner.workflow import Prepare, Step, completions


def request_context(
    record: RequestRecord, site: Letterhead, pending: EventRecord | None = None
) -> dict[str, Any]:
    """What every template sees: the site and its office, the request as submitted, and each completed
    step's record (``pending``: the step about to be recorded, as if it were). No document number."""
    done = completions(record)
    if pending is not None and pending.step is not None and pending.stage is None:
        done[Step(pending.step)] = pending
    steps = {
        step.name.lower(): {"actor": ev.actor, "at": ev.at, "outcome": ev.outcome, **ev.details}
        for step, ev in done.items()
    }
    return {
        "site": site,
        "request_id": record.id,
        "request": record.document,
        "steps": steps,
        "issued_at": utcnow(),
        "document_number": None,
    }


DocumentSpec = tuple[str, Mapping[str, object]]
"""A document to render: its kind (templates/<kind>.html.j2) and what its template sees beyond the request."""


@dataclass(frozen=True)
class StagedDocuments:
    """Documents rendered into ``staging`` (beside ``folder``), waiting for their step to be recorded."""

    folder: Path
    staging: Path
    digests: Mapping[str, str]

    def path(self, kind: str, suffix: str) -> Path:
        """Where the document will be once in place."""
        return self.folder / f"{kind}.{suffix}"

    def staged(self, kind: str, suffix: str) -> Path:
        """Where the document is until then."""
        return self.staging / f"{kind}.{suffix}"

    def record(
        self, session: Session, record: RequestRecord, event: EventRecord | None
    ) -> list[DocumentRecord]:
        """Record the documents (tied to ``event``, if given), then rename them into place."""
        rows = [
            DocumentRecord(
                request_id=record.id, event_id=event.id if event is not None else None, kind=kind,
                html_path=str(self.path(kind, "html")), pdf_path=str(self.path(kind, "pdf")), sha256=digest,
            )
            for kind, digest in self.digests.items()
        ]
        session.add_all(rows)
        session.flush()
        self._publish()
        return rows

    def _publish(self) -> None:
        """Rename every staged file over its place (a link planted at a file's name is replaced, never
        followed; the request's folder itself must not be a link)."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            self.folder.mkdir(mode=0o750, exist_ok=True)
            target = os.open(self.folder, flags)
        except OSError as exc:
            raise not_own_folder(self.folder, exc.strerror or str(exc)) from None
        source = os.open(self.staging, flags)
        try:
            for kind in self.digests:
                for suffix in ("html", "pdf"):
                    name = f"{kind}.{suffix}"
                    os.replace(name, name, src_dir_fd=source, dst_dir_fd=target)
        finally:
            os.close(source)
            os.close(target)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def not_own_folder(folder: Path, why: str) -> BadInput:
    """The refusal of a request's document folder that is not a folder of its own."""
    return BadInput(f"--output: {folder} is not a folder of its own (a link?): {why}; nothing was recorded")


def _staging_prefix(request_id: str) -> str:
    return f".staging-{request_id}-{socket.gethostname()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_abandoned(output_root: Path, request_id: str) -> list[Path]:
    """Remove (and return) the staging folders of ``request_id`` in ``output_root`` whose run, on this
    machine, no longer runs; another machine's (a shared folder) and a running one's are left alone."""
    prefix = _staging_prefix(request_id)
    removed = []
    for path in output_root.glob(glob.escape(prefix) + "*"):
        pid = path.name[len(prefix):].split("-")[0]
        if pid.isdigit() and not _running(int(pid)) and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def stage_documents(
    record: RequestRecord,
    event: EventRecord | None,
    site: Letterhead,
    output_root: Path,
    documents: Sequence[DocumentSpec],
    *,
    register: Register | None = None,
    signed_by: str | None = None,
) -> StagedDocuments:
    """Render ``documents`` for the step of ``event`` into a new staging folder in <output_root>; each
    gets its official number from ``register`` (kept if it has one already; without a register, none) and is
    signed by ``signed_by`` (default: the event's actor), where the site signs and lists that person."""
    folder = (output_root / record.id).absolute()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):  # before any number is issued
        raise not_own_folder(folder, "a link or a file")
    sweep_abandoned(folder.parent, record.id)
    staging = folder.with_name(f"{_staging_prefix(record.id)}{os.getpid()}-{secrets.token_hex(4)}")
    digests: dict[str, str] = {}
    actor = signed_by if signed_by is not None else event.actor if event is not None else None
    signer = signer_for(site.organisation, actor, site.secrets) if actor is not None else None
    try:
        for kind, extra in documents:
            context = request_context(record, site, event)
            if register is not None:
                context["document_number"] = issue_number(register, record.id, kind, site)
            context.update(extra)
            rendered = render_document(kind, context, staging, signer)
            digests[kind] = rendered.sha256
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedDocuments(folder, staging, digests)


def step_documents(
    site: Letterhead,
    output_root: Path,
    kind: str,
    extra: Mapping[str, object] | None = None,
    *,
    register: Register | None = None,
) -> Prepare:
    """The ``prepare`` of a step that writes one document of ``kind`` (numbered from ``register``)."""

    def prepare(record: RequestRecord, event: EventRecord) -> StagedDocuments:
        return stage_documents(record, event, site, output_root, [(kind, extra or {})], register=register)

    return prepare


def write_step_document(
    session: Session,
    record: RequestRecord,
    kind: str,
    site: Letterhead,
    output_root: Path,
    extra: Mapping[str, object] | None = None,
    *,
    event: EventRecord | None = None,
) -> DocumentRecord:
    """Render ``kind`` under <output_root>/<REQ-ID>/ and record it at once, in the caller's transaction
    (tied to the step's event, if given). Steps render before their transaction: :func:`step_documents`.
    """
    staged = stage_documents(record, event, site, output_root, [(kind, extra or {})])
    try:
        rows = staged.record(session, record, event)
    finally:
        staged.discard()
    return rows[0]
