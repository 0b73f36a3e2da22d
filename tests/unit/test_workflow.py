"""The SOP's order rules, states and standard times, on records held in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provisioner.errors import OutOfOrder, Refused
from provisioner.register.models import EventRecord, RequestRecord
from provisioner.workflow import (
    RequestState,
    Step,
    next_step,
    overdue_steps,
    require_step,
    state_of,
    step_result,
    timeline,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def record_with(*done: tuple[Step, timedelta, str]) -> RequestRecord:
    """A request whose steps completed at T0 + offset with the given outcome."""
    record = RequestRecord(id="REQ-2026-0001", events=[])
    for step, offset, outcome in done:
        EventRecord(request=record, step=int(step), stage=None, actor="x", at=T0 + offset, outcome=outcome,
                    details={})
    return record


def through(last: Step) -> RequestRecord:
    return record_with(*[(s, timedelta(minutes=10 * int(s)), "ok") for s in Step if s <= last])


@pytest.mark.parametrize("step", list(Step)[1:])
def test_each_step_needs_the_one_before(step: Step) -> None:
    before = Step(step - 1)
    record = through(Step(before - 1)) if before > Step.SUBMIT else record_with()
    with pytest.raises(OutOfOrder) as caught:
        require_step(record, step)
    assert f"needs step {int(before)}" in caught.value.message
    require_step(through(before), step)


def test_out_of_order_names_the_first_missing_step_and_its_command() -> None:
    with pytest.raises(OutOfOrder) as caught:
        require_step(through(Step.DISPOSE), Step.APPROVE)
    assert "needs step 3 (capacity check) first: colo capacity REQ-2026-0001" in caught.value.message
    assert caught.value.exit_code == 3


def test_states_follow_the_last_completed_step() -> None:
    expected = [
        "submitted", "disposed", "capacity_confirmed", "applied", "approved", "provisioned", "completed",
    ]
    assert [str(state_of(through(s))) for s in Step] == expected
    assert next_step(through(Step.APPLY)) == Step.APPROVE
    assert next_step(through(Step.REPORT)) is None


def test_no_capacity_closes_the_request() -> None:
    record = record_with((Step.SUBMIT, timedelta(0), "ok"), (Step.DISPOSE, timedelta(minutes=5), "ok"),
                         (Step.CAPACITY, timedelta(minutes=30), "rejected"))
    assert state_of(record) == RequestState.CLOSED_REJECTED
    assert next_step(record) is None
    with pytest.raises(Refused, match="closed"):
        require_step(record, Step.APPLY)


def test_cancelled_request_refuses_further_steps() -> None:
    record = through(Step.DISPOSE)
    EventRecord(request=record, step=None, stage=None, actor="x", at=T0, outcome="cancelled", details={})
    assert state_of(record) == RequestState.CANCELLED
    with pytest.raises(Refused, match="closed"):
        require_step(record, Step.CAPACITY)


def test_stage_events_do_not_complete_a_step() -> None:
    record = through(Step.APPROVE)
    EventRecord(request=record, step=6, stage="switch", actor="x", at=T0, outcome="ok", details={})
    assert step_result(record, Step.PROVISION) is None
    assert state_of(record) == RequestState.APPROVED


def test_standard_times_are_the_sops() -> None:
    assert {s: s.standard_time for s in Step} == {
        Step.SUBMIT: None, Step.DISPOSE: timedelta(minutes=15), Step.CAPACITY: timedelta(hours=1),
        Step.APPLY: timedelta(days=1), Step.APPROVE: timedelta(minutes=15),
        Step.PROVISION: timedelta(hours=1), Step.REPORT: timedelta(minutes=15),
    }


def test_elapsed_runs_from_the_previous_completion() -> None:
    record = record_with((Step.SUBMIT, timedelta(0), "ok"), (Step.DISPOSE, timedelta(minutes=20), "ok"),
                         (Step.CAPACITY, timedelta(minutes=50), "ok"))
    lines = timeline(record, now=T0 + timedelta(days=2))
    assert [line.elapsed for line in lines[:4]] == [
        None, timedelta(minutes=20), timedelta(minutes=30), timedelta(days=2, minutes=-50),
    ]
    assert [int(line.step) for line in overdue_steps(record, now=T0 + timedelta(days=2))] == [2, 4]
    assert overdue_steps(record, now=T0 + timedelta(hours=2)) == [lines[1]]


def test_pending_step_within_its_standard_is_not_overdue() -> None:
    record = through(Step.SUBMIT)
    assert overdue_steps(record, now=T0 + timedelta(minutes=10 + 15)) == []
    assert [int(s.step) for s in overdue_steps(record, now=T0 + timedelta(minutes=10 + 16))] == [2]
