"""Step 2: the head of division verifies the letter and dispositions it to the telematics section."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from provisioner.documents import step_documents
from provisioner.register.db import Register
from provisioner.steps.result import StepResult
from provisioner.workflow import Step, perform_step


def run(
    register: Register, request_id: str, *, by: str, to: str, site: Mapping[str, str], output_dir: Path
) -> StepResult:
    """Record the disposition from ``by`` to ``to`` with its sheet (``site``'s letterhead, under
    ``output_dir``); a repeat reports the earlier one."""
    documents = step_documents(site, output_dir, "disposition")
    return StepResult.of(perform_step(register, request_id, Step.DISPOSE, by, {"to": to}, prepare=documents))
