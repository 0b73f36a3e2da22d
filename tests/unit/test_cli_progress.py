"""Step 6's progress as `colo provision` and `colo demo` print it where stdout is not a terminal (a pipe, a CI
log): each stage on a line of its own when it ends, before anything printed after step 6."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

from provisioner.cli.provision import confirmer, live_progress, stage_line, step6_progress
from provisioner.stages.engine import DONE, FAILED, RUNNING, Processor, StageRun, pending
from provisioner.steps.provision import all_stages


def _piped() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100), buffer


def _run_all(progress: Processor) -> list[StageRun]:
    ended = []
    for run in pending(all_stages()):
        progress.stage_started(StageRun(run.name, run.title, RUNNING))
        ended.append(StageRun(run.name, run.title, DONE, seconds=1.25))
        progress.stage_completed(ended[-1])
    return ended


def test_in_a_pipe_each_stage_prints_its_own_line_as_it_ends() -> None:
    out, buffer = _piped()
    assert not out.is_terminal
    out.print("step 5: approved")
    with live_progress(out, enabled=True) as (progress, live):
        assert live is None
        ended = _run_all(progress)
        assert buffer.getvalue().splitlines()[-1] == stage_line(ended[-1])  # printed as it ended, not later
    out.print("step 7: final report")
    assert buffer.getvalue().splitlines() == [
        "step 5: approved", *(stage_line(run) for run in ended), "step 7: final report",
    ]
    assert stage_line(ended[0]) == "rencana penempatan (plan): done 1.2 s"


def test_the_demo_display_closes_with_step_6() -> None:
    out, buffer = _piped()
    with step6_progress(out, enabled=True) as progress:
        progress.stage_failed(StageRun("plan", "rencana penempatan (plan)", FAILED, seconds=0.5))
    out.print("after step 6")
    assert buffer.getvalue() == "rencana penempatan (plan): failed 0.5 s\nafter step 6\n"


def test_json_output_prints_no_progress() -> None:
    out, buffer = _piped()
    with live_progress(out, enabled=False) as (progress, _live):
        _run_all(progress)
    assert buffer.getvalue() == ""


ANSWERS = [("y\n", True), ("YES\n", True), ("n\n", False), ("", False)]


@pytest.mark.parametrize(("answer", "confirmed"), ANSWERS)
def test_the_question_before_step_6_leaves_stdout_to_the_sheet(
        answer: str, confirmed: bool, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    out = Console(file=sys.stdout, width=100)
    assert confirmer(False, out, [None])("LEMBAR PENEMPATAN") is confirmed
    out.print("rencana penempatan (plan): done 0.1 s")
    printed = capsys.readouterr()
    assert printed.out == "LEMBAR PENEMPATAN\nrencana penempatan (plan): done 0.1 s\n"
    assert printed.err == "Server terpasang dan kabel tersambung (racked and cabled)? [y/N]: "
