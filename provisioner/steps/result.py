"""What a recorded step reports: the same whether this run recorded it or an earlier one did."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from provisioner.workflow import Step, StepRun


class DocumentRef(BaseModel):
    """One document a step wrote, where its files are."""

    model_config = ConfigDict(frozen=True)

    kind: str
    pdf: str
    html: str


class StepResult(BaseModel):
    """A step's completion: who, when, with what outcome and details, and its documents.

    ``repeated``: the step was done before; this is that earlier result and nothing changed.
    ``details`` are the completion event's details as the register holds them.
    """

    model_config = ConfigDict(frozen=True)

    request_id: str
    step: Step
    outcome: str
    actor: str
    at: datetime
    details: dict[str, Any]
    repeated: bool
    documents: tuple[DocumentRef, ...]

    @classmethod
    def of(cls, run: StepRun, **fields: Any) -> Self:
        """The result of ``run`` (with a subclass's own ``fields``)."""
        event = run.event
        documents = tuple(DocumentRef(kind=d.kind, pdf=d.pdf_path, html=d.html_path) for d in run.documents)
        return cls(
            request_id=event.request_id, step=Step(event.step or 0), outcome=event.outcome, actor=event.actor,
            at=event.at, details=dict(event.details), repeated=run.repeated, documents=documents, **fields,
        )
