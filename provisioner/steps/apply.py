"""Step 4: the agency's application form and the server it delivered, compared with its letter."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from provisioner.documents import step_documents
from provisioner.errors import BadInput, SpecMismatch
from provisioner.organisation import Letterhead
from provisioner.register.db import Register
from provisioner.request import ColoRequest
from provisioner.steps.result import StepResult
from provisioner.workflow import Step, get_request, perform_step, require_step, step_result

SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,49}$")


class Delivery(BaseModel):
    """The delivered server: its serial, and its address on the staging VLAN where it answers SSH."""

    model_config = ConfigDict(frozen=True)

    serial: str
    staging_address: str | None

    @classmethod
    def of(cls, serial: str, staging_address: str | None) -> Delivery:
        """A delivery as given on the command line (BadInput naming the option that is wrong)."""
        if not SERIAL.fullmatch(serial):
            raise BadInput("--serial: letters, digits and . _ / - (up to 50)")
        if staging_address is None:
            return cls(serial=serial, staging_address=None)
        try:
            return cls(serial=serial, staging_address=str(ipaddress.IPv4Address(staging_address)))
        except ValueError:
            raise BadInput(f"--staging-address: {staging_address!r} is not an IPv4 address") from None


def run(
    register: Register,
    request_id: str,
    delivered: Delivery,
    *,
    by: str | None,
    site: Letterhead,
    output_dir: Path,
) -> StepResult:
    """Record the ``delivered`` server with the application form, filled in by ``by`` (default: the agency's
    contact). A serial other than the letter's is a SpecMismatch, also when step 4 was done before; a repeat
    reports the earlier result."""
    letter = letter_for_apply(register, request_id)
    expected, serial = letter.server.serial, delivered.serial
    if expected and expected != serial:
        raise SpecMismatch(f"{request_id}: the request names serial {expected}, the server is {serial}")
    actor = by or letter.agency.contact.name
    documents = step_documents(site, output_dir, "application_form", register=register)
    run = perform_step(register, request_id, Step.APPLY, actor, delivered.model_dump(), prepare=documents)
    return StepResult.of(run)


def letter_for_apply(register: Register, request_id: str) -> ColoRequest:
    """The request, once step 4 may run: a closed request, or one whose earlier steps are not done, is
    refused as such before the delivered server is compared with it (the comparison means nothing until
    then). A step 4 done before still compares, so a wrong serial is never reported done."""
    with register.session() as session:
        record = get_request(session, request_id)
        if step_result(record, Step.APPLY) is None:
            require_step(record, Step.APPLY)
        return record.spec()
