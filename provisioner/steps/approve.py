"""Step 5: the head of division approves the placement."""

from __future__ import annotations

from pathlib import Path

from provisioner.documents import step_documents
from provisioner.organisation import Letterhead
from provisioner.register.db import Register
from provisioner.steps.result import StepResult
from provisioner.workflow import Step, perform_step


def run(
    register: Register, request_id: str, *, by: str, site: Letterhead, output_dir: Path
) -> StepResult:
    """Record the approval by ``by`` (a head of division) with its form (``site``'s letterhead, under
    ``output_dir``); a repeat reports the earlier one."""
    actor = site.organisation.actor(Step.APPROVE, by)
    documents = step_documents(site, output_dir, "approval_form", register=register)
    return StepResult.of(perform_step(register, request_id, Step.APPROVE, actor, {}, prepare=documents))
