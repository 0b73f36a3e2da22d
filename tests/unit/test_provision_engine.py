"""The step 6 stage engine on a real SQLite register, with small stand-in stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from provisioner.errors import Refused
from provisioner.register.db import Register, open_register
from provisioner.request import load_request
from provisioner.stages.base import Delivered, StageContext, StageFailedError, StagePreview, StageResult
from provisioner.stages.engine import (
    ALREADY_DONE,
    DONE,
    FAILED,
    INTERRUPTED,
    Display,
    Processor,
    StageRun,
    preview_stages,
    run_stages,
)
from provisioner.stages.journal import Journal
from provisioner.steps.submit import submit_request
from provisioner.workflow import Step, get_request


class Counted(StageResult):
    """What a scripted stage returns: its run count and the stages it found finished before it."""

    n: int
    seen: list[str]


class Evidence(StageResult):
    evidence: int


@dataclass
class Scripted:
    """A stage that raises the queued errors first, then succeeds; counts its runs."""

    name: str
    errors: list[BaseException] = field(default_factory=list)
    in_place: bool = True
    runs: int = 0
    title: str = "scripted"
    result_type: type[StageResult] = Counted

    def run(self, ctx: StageContext) -> Counted:
        self.runs += 1
        if self.errors:
            raise self.errors.pop(0)
        return Counted(n=self.runs, seen=sorted(ctx.results))

    def preview(self, ctx: StageContext) -> StagePreview:
        """Would run; knows its result beforehand (as the plan stage knows the held placement)."""
        return StagePreview(f"{self.name} after {sorted(ctx.results)}", True, Counted(n=0, seen=[]))


@dataclass
class Probed(Scripted):
    def converged(self, ctx: StageContext) -> bool:
        return self.in_place


@pytest.fixture
def setup(tmp_path: Path, example_request_path: Path) -> tuple[Register, StageContext]:
    register = open_register(f"sqlite:///{tmp_path / 'r.db'}")
    spec, text = load_request(example_request_path)
    request_id = submit_request(register, spec.model_dump(mode="json"), text, actor="test")
    from provisioner.facility import parse_facility
    from provisioner.safe_yaml import load_yaml_file

    facility = parse_facility(load_yaml_file(Path(__file__).parents[1] / "data/facilities/example.yml"))
    ctx = StageContext(
        register=register, request_id=request_id, request=spec, facility=facility, site_dir=tmp_path,
        output_dir=tmp_path, actor="tech", confirm=lambda _plan: True,
        delivered=Delivered(serial="7XK2Q93", staging_address="10.231.250.11"),
    )
    return register, ctx


def _run(stages: list[Scripted], ctx: StageContext, journal: Journal, *more: Processor) -> list[StageRun]:
    """Step 6's loop as `provision` runs it: the journal's finished results, the journal heard first."""
    return run_stages(stages, ctx, journal.finished(stages), [journal, *more])


def _events(register: Register, request_id: str) -> list[tuple[str | None, str]]:
    with register.session() as session:
        record = get_request(session, request_id)
        return [(e.stage, e.outcome) for e in record.events if e.step == Step.PROVISION]


def test_failure_is_recorded_with_evidence_and_rerun_resumes_there(
    setup: tuple[Register, StageContext],
) -> None:
    register, ctx = setup
    refused = StageFailedError(Refused("no"), Evidence(evidence=1))
    a, b, c = Scripted("a"), Scripted("b", [refused]), Scripted("c")
    journal = Journal(register, ctx.request_id, "tech")
    with pytest.raises(Refused):
        _run([a, b, c], ctx, journal)
    assert _events(register, ctx.request_id) == [
        ("a", "started"), ("a", "ok"), ("b", "started"), ("b", "failed"),
    ]
    latest = journal.latest("b")
    assert latest is not None and latest[0] == FAILED
    assert latest[1]["evidence"] == 1 and latest[1]["error"] == ["no"]
    seen: list[StageRun] = []
    runs = _run([a, b, c], ctx, journal, Display(seen.append))
    assert [r.status for r in runs] == [ALREADY_DONE, DONE, DONE]
    assert (a.runs, b.runs, c.runs) == (1, 2, 1)
    assert runs[2].result == Counted(n=1, seen=["a", "b"])
    assert journal.finished([a, b, c]) == {"a": Counted(n=1, seen=[]), "b": Counted(n=2, seen=["a"]),
                                           "c": Counted(n=1, seen=["a", "b"])}
    assert [r.status for r in seen] == [ALREADY_DONE, "running", DONE, "running", DONE]


def test_finished_stage_whose_result_is_gone_runs_again_with_all_after_it(
    setup: tuple[Register, StageContext],
) -> None:
    register, ctx = setup
    failed = StageFailedError(Refused("check failed"), Evidence(evidence=0))
    a, b, c = Scripted("a"), Probed("b"), Scripted("c", [failed])
    journal = Journal(register, ctx.request_id, "tech")
    with pytest.raises(Refused):
        _run([a, b, c], ctx, journal)
    b.in_place = False
    runs = _run([a, b, c], ctx, journal)
    assert [r.status for r in runs] == [ALREADY_DONE, DONE, DONE]
    assert (a.runs, b.runs, c.runs) == (1, 2, 2)


def test_interrupt_is_recorded_and_propagates(setup: tuple[Register, StageContext]) -> None:
    register, ctx = setup
    a = Scripted("a", [KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        _run([a], ctx, Journal(register, ctx.request_id, "tech"))
    assert _events(register, ctx.request_id) == [("a", "started"), ("a", INTERRUPTED)]


def test_unexpected_error_is_recorded_as_failed(setup: tuple[Register, StageContext]) -> None:
    register, ctx = setup
    a = Scripted("a", [RuntimeError("boom")])
    with pytest.raises(RuntimeError):
        _run([a], ctx, Journal(register, ctx.request_id, "tech"))
    journal = Journal(register, ctx.request_id, "tech")
    latest = journal.latest("a")
    assert latest is not None and latest[0] == FAILED and latest[1]["error"] == ["RuntimeError: boom"]


def test_a_processor_after_the_journal_hears_of_each_event_once_it_is_recorded(
    setup: tuple[Register, StageContext],
) -> None:
    """What the crash points rely on: ``:before`` after the start is recorded, ``:after`` after the result."""
    register, ctx = setup
    journal = Journal(register, ctx.request_id, "tech")
    heard: list[tuple[str, str, tuple[str, str] | None]] = []

    def look(run: StageRun) -> None:
        latest = journal.latest(run.name)
        heard.append((run.name, run.status, None if latest is None else (latest[0], str(latest[1].get("n")))))

    with pytest.raises(RuntimeError):
        _run([Scripted("a"), Scripted("b", [RuntimeError("boom")])], ctx, journal, Display(look))
    assert heard == [
        ("a", "running", ("started", "None")), ("a", DONE, ("ok", "1")),
        ("b", "running", ("started", "None")), ("b", FAILED, ("failed", "None")),
    ]


def test_previews_change_nothing_and_hand_on_what_they_know(setup: tuple[Register, StageContext]) -> None:
    register, ctx = setup
    a, b = Scripted("a"), Scripted("b")
    previews = preview_stages([a, b], ctx)
    assert [p.text for p in previews] == ["a after []", "b after ['a']"]
    assert (a.runs, b.runs) == (0, 0) and _events(register, ctx.request_id) == []
