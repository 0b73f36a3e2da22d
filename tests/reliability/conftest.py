"""Fixtures of the reliability suite, the lab fixture re-exported, and the summary line with the figures.

Every test adds what it tried (`figures.case()`), each fault the system came through (`figures.fault()`)
and every leak it found (`figures.leak(what)`, counted before the test asserts there is none); the end of
the run prints them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_support import SITE, Figures

from tests.integration.conftest import LabHandle, lab

__all__ = ["LabHandle", "figures", "lab", "register_env"]

_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES.cases or _FIGURES.faults or _FIGURES.leaks:
        terminalreporter.write_sep("=", _FIGURES.line())
        for leak in _FIGURES.leaks:
            terminalreporter.write_line(f"  leak: {leak}")


@pytest.fixture
def register_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `colo` run with its own SQLite register and document folder under tmp_path."""
    return {"COLO_DB": f"sqlite:///{tmp_path / 'reg' / 'register.db'}",
            "COLO_OUTPUT": str(tmp_path / "documents"), "COLO_SITE": str(SITE)}
