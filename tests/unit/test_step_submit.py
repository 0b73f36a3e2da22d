"""Step 1: a validated request recorded under the next id of its year, by its contact and agency."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from step_support import EXAMPLE_REQUEST

from provisioner.register.db import open_register
from provisioner.request import load_request
from provisioner.steps import submit
from provisioner.workflow import Step, completions, get_request


def test_a_request_is_recorded_by_its_contact_under_the_next_id_of_its_year(tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    spec, text = load_request(EXAMPLE_REQUEST)
    when = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    first = submit.run(register, spec, text, now=when)
    second = submit.run(register, spec, text, now=when)
    next_year = submit.run(register, spec, text, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert [first.request_id, second.request_id, next_year.request_id] == [
        "REQ-2026-0001", "REQ-2026-0002", "REQ-2027-0001",
    ]
    assert first.actor == "Budi Santoso (disdik)" and first.at == when
    with register.session() as session:
        record = get_request(session, first.request_id)
        event = completions(record)[Step.SUBMIT]
        assert (event.actor, event.at) == (first.actor, when)
        assert event.details == {"letter_number": spec.letter.number}
        assert record.source_text == text and record.spec() == spec
