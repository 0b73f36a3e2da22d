"""The delivered server's facts (cores, memory, disks, OS), as the verify_spec playbook gathers them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from provisioner.errors import InfrastructureError
from provisioner.runner.config import FAST_FEW_TASKS, SpeedSettings
from provisioner.runner.events import ProgressLine
from provisioner.runner.inventory import HostTarget
from provisioner.runner.run import run_playbook
from provisioner.spec import ServerFacts


def gather_server_facts(
    target: HostTarget,
    run_dir: Path,
    on_event: Callable[[ProgressLine], None] | None = None,
    *,
    known_hosts: Path | None = None,
    speed: SpeedSettings = FAST_FEW_TASKS,
) -> ServerFacts:
    """Run verify_spec.yml on `target` and return what the server_facts role reported."""
    result = run_playbook("verify_spec.yml", [target], {}, run_dir, on_event,
                          known_hosts=known_hosts, speed=speed)
    result.raise_for_failure(f"gathering the facts of {target.name}")
    report = (result.artifact_data.get("server_facts") or {}).get(target.name)
    if report is None:
        raise InfrastructureError(f"verify_spec.yml reported no facts for {target.name}")
    return ServerFacts.model_validate(report)
