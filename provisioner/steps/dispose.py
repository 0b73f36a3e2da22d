"""Step 2: the head of division verifies the letter and dispositions it to the telematics section."""

from __future__ import annotations

from pathlib import Path

from provisioner.documents import step_documents
from provisioner.organisation import Letterhead, Role
from provisioner.register.db import Register
from provisioner.steps.result import StepResult
from provisioner.workflow import Step, perform_step


def run(
    register: Register, request_id: str, *, by: str, to: str, site: Letterhead, output_dir: Path
) -> StepResult:
    """Record the disposition from ``by`` (a head of division) to ``to`` (a section head) with its sheet
    (``site``'s letterhead, under ``output_dir``); a repeat reports the earlier one."""
    organisation = site.organisation
    actor = organisation.actor(Step.DISPOSE, by)
    section_head = organisation.require(Role.SECTION_HEAD, to, "--to", "receive the disposition (step 2)")
    details = {"to": section_head.name if section_head else to}
    documents = step_documents(site, output_dir, "disposition", register=register)
    return StepResult.of(perform_step(register, request_id, Step.DISPOSE, actor, details, prepare=documents))
