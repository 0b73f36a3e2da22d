"""Step 3: the check and its hold, the report read back as recorded, a repeat, and what a failure leaves."""

from __future__ import annotations

from pathlib import Path

import pytest
from step_support import example_facility, request_through

from provisioner.allocate import find_allocation
from provisioner.errors import BadInput, Refused
from provisioner.register.models import EventRecord
from provisioner.steps import capacity
from provisioner.workflow import Step, completions, get_request, step_result


def test_the_report_reads_back_as_recorded_and_a_repeat_reports_it(tmp_path: Path) -> None:
    register, request_id = request_through(tmp_path, Step.DISPOSE)
    site = example_facility()
    checked = capacity.run(register, site, request_id.lower(), by="Rina", output_dir=tmp_path)
    assert (checked.request_id, checked.outcome, checked.repeated) == (request_id, "ok", False)
    assert [d.kind for d in checked.documents] == ["capacity_report"]
    with register.session() as session:
        event = completions(get_request(session, request_id))[Step.CAPACITY]
        assert checked.report.model_dump(mode="json") == event.details["report"]
        held = find_allocation(session, site, request_id)
    placement = checked.report.placement
    assert placement is not None and held is not None
    assert (placement.rack, placement.units, placement.port) == (held.rack, held.units, held.switch_port)
    again = capacity.run(register, site, request_id, by="someone else", output_dir=tmp_path)
    assert again == checked.model_copy(update={"repeated": True})


def test_a_report_that_fails_to_render_records_nothing_and_frees_its_hold(tmp_path: Path) -> None:
    register, request_id = request_through(tmp_path, Step.DISPOSE)
    site = example_facility()
    not_a_folder = tmp_path / "documents"
    not_a_folder.write_text("a file where the documents would go\n")
    with pytest.raises(BadInput, match="is not a folder"):
        capacity.run(register, site, request_id, by="Rina", output_dir=not_a_folder)
    with register.session() as session:
        assert step_result(get_request(session, request_id), Step.CAPACITY) is None
        assert find_allocation(session, site, request_id) is None
    assert capacity.run(register, site, request_id, by="Rina").outcome == "ok"


def test_step_three_is_recorded_only_with_the_hold_its_report_names(tmp_path: Path) -> None:
    register, request_id = request_through(tmp_path, Step.DISPOSE)
    checked = capacity.run(register, example_facility(), request_id, by="Rina")
    report = checked.report.model_dump(mode="json")
    moved = {**report, "placement": {**report["placement"], "port": "GigabitEthernet1/0/40"}}
    with register.session() as session:
        record = get_request(session, request_id)
        assert capacity.still_held(session, record, EventRecord(details={"report": report})) == []
        with pytest.raises(Refused, match="another check of this request changed its hold"):
            capacity.still_held(session, record, EventRecord(details={"report": moved}))
        rejected = {**report, "sufficient": False, "placement": None}
        assert capacity.still_held(session, record, EventRecord(details={"report": rejected})) == []
