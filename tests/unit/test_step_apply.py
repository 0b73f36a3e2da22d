"""Step 4: the delivered server as given, compared with the letter before anything is recorded (the order
and the CLI's exit codes: tests/integration/test_cli_steps.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from step_support import SITE, request_through

from provisioner.errors import BadInput, SpecMismatch
from provisioner.steps import apply
from provisioner.workflow import Step, get_request, step_result


@pytest.mark.parametrize(
    ("serial", "staging", "option"),
    [("", None, "--serial"), ("-7XK", None, "--serial"), ("7XK 2Q93", None, "--serial"),
     ("S" * 51, None, "--serial"), ("7XK2Q93", "10.0.0.256", "--staging-address"),
     ("7XK2Q93", "010.1.1.1", "--staging-address"), ("7XK2Q93", "::1", "--staging-address")],
)
def test_a_delivery_that_is_not_one_names_its_option(serial: str, staging: str | None, option: str) -> None:
    with pytest.raises(BadInput) as caught:
        apply.Delivery.of(serial, staging)
    assert caught.value.message.startswith(f"{option}:")


def test_a_delivery_as_given() -> None:
    assert apply.Delivery.of("SN/2026_a.1", "10.231.250.11").model_dump() == {
        "serial": "SN/2026_a.1", "staging_address": "10.231.250.11",
    }
    assert apply.Delivery.of("7XK2Q93", None).staging_address is None


def test_the_contact_fills_in_the_form_and_a_wrong_serial_is_never_reported_done(tmp_path: Path) -> None:
    register, request_id = request_through(tmp_path, Step.CAPACITY)
    wrong = apply.Delivery.of("WRONG", None)
    with pytest.raises(SpecMismatch, match="names serial 7XK2Q93, the server is WRONG"):
        apply.run(register, request_id, wrong, by=None, site=SITE, output_dir=tmp_path)
    with register.session() as session:
        assert step_result(get_request(session, request_id), Step.APPLY) is None
    delivered = apply.Delivery.of("7XK2Q93", "10.231.250.11")
    done = apply.run(register, request_id, delivered, by=None, site=SITE, output_dir=tmp_path)
    assert (done.step, done.actor, done.repeated) == (Step.APPLY, "Budi Santoso", False)
    assert done.details == {"serial": "7XK2Q93", "staging_address": "10.231.250.11"}
    assert [d.kind for d in done.documents] == ["application_form"] and Path(done.documents[0].pdf).is_file()
    again = apply.run(register, request_id, delivered, by="Someone Else", site=SITE, output_dir=tmp_path)
    assert again == done.model_copy(update={"repeated": True})
