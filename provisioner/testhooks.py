"""Crash points for the reliability tests: ``checkpoint(name)`` kills this process (SIGKILL, no clean-up) when
``$COLO_TEST_CRASH_AT`` names that point, and does nothing otherwise.

Only tests set the variable. Point names: ``<stage>:before`` (the stage's start is recorded, its work not
begun) and ``<stage>:after`` (its result is recorded, the next stage not begun), for the stages of step 6.
"""

from __future__ import annotations

import os
import signal
import sys

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


def stage_checkpoint(stage: str, status: str) -> None:
    """The crash point of a stage's progress: ``running`` is ``<stage>:before``, ``done`` is ``:after``."""
    moment = {"running": "before", "done": "after"}.get(status)
    if moment is not None:
        checkpoint(f"{stage}:{moment}")
