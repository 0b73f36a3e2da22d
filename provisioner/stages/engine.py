"""The stage loop of step 6: run the stages in order from the first one not finished, and tell every
processor (the journal, the progress display, the crash points) when each starts, completes or fails.

Processors are observers, as Nornir's are: a stage never knows who listens, and the loop knows nothing of
what a processor does with an event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from provisioner.errors import ColoError
from provisioner.register.db import utcnow
from provisioner.stages.base import Stage, StageContext, StageFailedError, StagePreview, StageResult

PENDING = "pending"
RUNNING = "running"
DONE = "done"
ALREADY_DONE = "already done"
FAILED = "failed"
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class StageRun:
    """One stage event: a finished stage's result, or a failed one's evidence and error."""

    name: str
    title: str
    status: str
    started: datetime | None = None
    seconds: float | None = None
    result: StageResult | None = None
    error: tuple[str, ...] = ()

    def details(self) -> dict[str, Any]:
        """The result (or the evidence and the error) as JSON, as the register records it."""
        shown = self.result.model_dump(mode="json") if self.result is not None else {}
        return {**shown, "error": list(self.error)} if self.error else shown

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "title": self.title,
            "status": self.status,
            "started": self.started.isoformat() if self.started else None,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "details": self.details(),
        }


class Processor(Protocol):
    """An observer of the stage loop."""

    def stage_started(self, run: StageRun) -> None:
        """The stage is about to run (status ``running``)."""

    def stage_completed(self, run: StageRun) -> None:
        """The stage finished now (``done``) or in an earlier run (``already done``)."""

    def stage_failed(self, run: StageRun) -> None:
        """The stage failed (``failed``, with its error and evidence) or was interrupted (``interrupted``)."""


class Display:
    """A processor that hands every stage event to one callback (a progress display)."""

    def __init__(self, show: Callable[[StageRun], None]) -> None:
        self.show = show

    def stage_started(self, run: StageRun) -> None:
        self.show(run)

    def stage_completed(self, run: StageRun) -> None:
        self.show(run)

    def stage_failed(self, run: StageRun) -> None:
        self.show(run)


@runtime_checkable
class Probed(Protocol):
    """A stage that can tell, live, whether its finished result is still in place."""

    def converged(self, ctx: StageContext) -> bool: ...


def first_to_run(stages: Sequence[Stage], finished: dict[str, StageResult], ctx: StageContext) -> int:
    """Index of the first stage not finished, or of a finished one whose result is no longer in place."""
    for index, stage in enumerate(stages):
        if stage.name not in finished:
            return index
        ctx.results[stage.name] = finished[stage.name]
        if isinstance(stage, Probed) and not stage.converged(ctx):
            return index
    return len(stages)


def pending(stages: Sequence[Stage]) -> list[StageRun]:
    """The progress list before anything ran."""
    return [StageRun(stage.name, stage.title, PENDING) for stage in stages]


def _error_lines(error: BaseException) -> tuple[str, ...]:
    return tuple(error.lines()) if isinstance(error, ColoError) else (f"{type(error).__name__}: {error}",)


def _run_one(stage: Stage, ctx: StageContext, processors: Sequence[Processor]) -> StageRun:
    started, clock = utcnow(), time.monotonic()

    def ended(status: str, result: StageResult | None = None, error: BaseException | None = None) -> StageRun:
        errors = _error_lines(error) if error is not None else ()
        return StageRun(stage.name, stage.title, status, started, time.monotonic() - clock, result, errors)

    for processor in processors:
        processor.stage_started(StageRun(stage.name, stage.title, RUNNING, started))
    try:
        result = stage.run(ctx)
    except (KeyboardInterrupt, Exception) as exc:
        if isinstance(exc, KeyboardInterrupt):
            run = ended(INTERRUPTED)
        elif isinstance(exc, StageFailedError):
            run = ended(FAILED, exc.evidence, exc.error)
        else:
            run = ended(FAILED, error=exc)
        for processor in processors:
            processor.stage_failed(run)
        if isinstance(exc, StageFailedError):
            raise exc.error from None
        raise
    ctx.results[stage.name] = result
    ctx.ran_now.add(stage.name)
    run = ended(DONE, result)
    for processor in processors:
        processor.stage_completed(run)
    return run


def run_stages(
    stages: Sequence[Stage], ctx: StageContext, finished: dict[str, StageResult],
    processors: Sequence[Processor] = (),
) -> list[StageRun]:
    """Run the stages from the first one not `finished` (or no longer in place); raises the failing stage's
    error after every processor heard of it."""
    start = first_to_run(stages, finished, ctx)
    runs = []
    for stage in stages[:start]:
        run = StageRun(stage.name, stage.title, ALREADY_DONE, result=ctx.results[stage.name])
        for processor in processors:
            processor.stage_completed(run)
        runs.append(run)
    for stage in stages[start:]:
        runs.append(_run_one(stage, ctx, processors))
    return runs


def preview_stages(stages: Sequence[Stage], ctx: StageContext) -> list[StagePreview]:
    """Each stage's preview in order, the result a preview knows beforehand given to the stages after it;
    nothing is changed and no processor hears of it."""
    previews = []
    for stage in stages:
        previewed = stage.preview(ctx)
        if previewed.result is not None:
            ctx.results[stage.name] = previewed.result
        previews.append(previewed)
    return previews
