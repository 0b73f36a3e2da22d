"""A request on a fresh SQLite register, through the steps a step's test needs, and the fixture facility."""

from __future__ import annotations

from pathlib import Path

from provisioner.facility import Facility, parse_facility
from provisioner.organisation import Letterhead, Organisation
from provisioner.register.db import Register, open_register
from provisioner.request import load_request
from provisioner.safe_yaml import load_yaml_file
from provisioner.steps import submit
from provisioner.workflow import Step, perform_step

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REQUEST = ROOT / "examples" / "request-simpeg.yaml"
SITE = Letterhead("dc-ciamis", "Data Center Diskominfo Kabupaten Ciamis", "ciamiskab.go.id", Organisation())


def example_facility() -> Facility:
    return parse_facility(load_yaml_file(ROOT / "tests" / "data" / "facilities" / "example.yml"))


def request_through(folder: Path, last: Step) -> tuple[Register, str]:
    """A register in ``folder`` holding the example request with steps 2 to ``last`` recorded (no documents;
    step 3 without a hold)."""
    register = open_register(f"sqlite:///{folder / 'register.db'}")
    spec, text = load_request(EXAMPLE_REQUEST)
    request_id = submit.run(register, spec, text).request_id
    recorded = {
        Step.DISPOSE: {"to": "Dedi"}, Step.CAPACITY: {}, Step.APPLY: {"serial": "7XK2Q93"}, Step.APPROVE: {},
    }
    for step, details in recorded.items():
        if step <= last:
            perform_step(register, request_id, step, "someone", details)
    return register, request_id
