"""Step 3 in a named rack: the rack's own switch ports, the path to layer 3, an unknown or full rack."""

from __future__ import annotations

from pathlib import Path

import pytest
from step_support import example_facility, request_through

from provisioner.allocate import find_allocation
from provisioner.capacity import Demand, Usage, check_capacity
from provisioner.errors import BadInput
from provisioner.steps import capacity
from provisioner.workflow import Step, get_request, step_result

DEMAND = Demand("REQ-X", "disdik", 2, 300, 10)


def test_without_a_rack_the_first_that_fits_is_chosen_on_the_layer3_switch() -> None:
    placement = check_capacity(example_facility(), DEMAND, Usage()).placement
    assert placement is not None
    assert (placement.rack, placement.switch, placement.path) == ("R01", "sw-access-01", ("sw-access-01",))


def test_a_named_rack_takes_a_port_of_its_switch_and_shows_the_trunk_to_the_core() -> None:
    report = check_capacity(example_facility(), DEMAND, Usage(), "R03")
    assert report.placement is not None
    assert (report.placement.rack, report.placement.switch, report.placement.port) == (
        "R03", "sw-access-02", "GigabitEthernet1/0/1")
    assert report.placement.path == (
        "sw-access-02", "trunk sw-access-02:GigabitEthernet1/0/48 - sw-access-01:GigabitEthernet1/0/48",
        "sw-access-01")
    assert {line.subject for line in report.resources if line.resource == "rack space"} == {"R03"}
    assert report.model_dump(mode="json")["placement"]["path"] == list(report.placement.path)  # type: ignore[index]


def test_a_named_rack_without_room_is_short_even_where_another_rack_has_room() -> None:
    over_budget = check_capacity(example_facility(), Demand("REQ-X", "disdik", 2, 4500, 10), Usage(), "R01")
    assert not over_budget.sufficient
    assert [(line.resource, line.subject) for line in over_budget.resources if not line.ok] == [
        ("rack power", "R01")]
    fits = check_capacity(example_facility(), Demand("REQ-X", "disdik", 2, 4500, 10), Usage(), "R03")
    assert fits.sufficient
    no_switch = check_capacity(example_facility(), DEMAND, Usage(), "R02")
    assert [(line.resource, line.note) for line in no_switch.resources if not line.ok] == [
        ("switch port", "no switch in this rack")]


def test_step_three_holds_in_the_rack_asked_for(tmp_path: Path) -> None:
    register, request_id = request_through(tmp_path, Step.DISPOSE)
    site = example_facility()
    checked = capacity.run(register, site, request_id, by="Rina", rack="R03")
    assert checked.report.placement is not None and checked.report.placement.rack == "R03"
    assert checked.report.placement.path[0] == "sw-access-02"
    with register.session() as session:
        held = find_allocation(session, site, request_id)
    assert held is not None and (held.rack, held.switch) == ("R03", "sw-access-02")


def test_an_unknown_rack_is_bad_input_and_changes_nothing(tmp_path: Path) -> None:
    register, request_id = request_through(tmp_path, Step.DISPOSE)
    site = example_facility()
    with pytest.raises(BadInput, match="'R09' is not a rack of site") as raised:
        capacity.run(register, site, request_id, by="Rina", rack="R09")
    assert "R01, R02, R03" in raised.value.problems[0]
    with register.session() as session:
        assert step_result(get_request(session, request_id), Step.CAPACITY) is None
        assert find_allocation(session, site, request_id) is None
