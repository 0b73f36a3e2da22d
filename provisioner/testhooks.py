"""Crash points for the reliability tests: ``checkpoint(name)`` kills this process (SIGKILL, no clean-up) when
``$COLO_TEST_CRASH_AT`` names that point, and does nothing otherwise.

Only tests set the variable. Point names: ``<stage>:before`` (the stage's start is recorded, its work not
begun) and ``<stage>:after`` (its result is recorded, the next stage not begun), for the stages of step 6,
reached through the processor ``CrashPoints`` placed after the journal.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provisioner.stages.engine import StageRun

CRASH_ENV = "COLO_TEST_CRASH_AT"


def armed(name: str) -> bool:
    """Whether the crash point `name` is the one the environment asks for."""
    return os.environ.get(CRASH_ENV) == name


def checkpoint(name: str) -> None:
    """Die here, as `kill -9` would, when the environment names this point."""
    if armed(name):
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


class CrashPoints:
    """A processor of step 6's stage loop: ``<stage>:before`` when a stage starts, ``<stage>:after`` when it
    completes in this run."""

    def stage_started(self, run: StageRun) -> None:
        checkpoint(f"{run.name}:before")

    def stage_completed(self, run: StageRun) -> None:
        from provisioner.stages.engine import DONE

        if run.status == DONE:
            checkpoint(f"{run.name}:after")

    def stage_failed(self, run: StageRun) -> None:
        """A failure is no crash point."""
