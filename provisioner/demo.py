"""`colo demo`: the whole SOP on the lab for the example request, with the lab's actors.

The lab comes up if it is not running; its credentials file becomes $COLO_CREDENTIALS_FILE when that is
unset. The example request's server is lab-srv1. The demo can run again and again: an earlier example request
in the register that still holds capacity or an asset is decommissioned first, and lab-srv1 is put back as
delivered (staging VLAN and address). After step 3 its cable is moved to the port the request holds (the
technician's hands), so step 6 runs with --yes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from provisioner.documents import step_documents
from provisioner.errors import NoCapacity
from provisioner.facility import Facility, load_facility
from provisioner.register.db import Register
from provisioner.register.models import AssetRecord, RequestRecord
from provisioner.request import ColoRequest, load_request
from provisioner.stages.engine import Processor
from provisioner.steps import provision
from provisioner.workflow import Outcome, Step, perform_step, submit_request

EXAMPLE_REQUEST = Path(__file__).resolve().parent.parent / "examples" / "request-simpeg.yaml"
LAB_HOST = "lab-srv1"
HEAD_OF_DIVISION = "Drs. Asep Hidayat"
SECTION_HEAD = "Dede Kurniawan, S.Kom."


def lab_ready(say: Callable[[str], None]) -> tuple[str, str]:
    """Bring the lab up if needed; the demo server's staging address and serial."""
    from provisioner.lab.api import Lab

    lab = Lab()
    if lab.host_count() == 0 or not lab.status().healthy:
        say("bringing the lab up (colo lab up)...")
        lab.up()
    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    host = lab.host(LAB_HOST)
    return host.staging_address, host.profile.serial


def still_active(register: Register, facility: Facility, spec: ColoRequest) -> list[str]:
    """Earlier requests for the example's server that still hold capacity or an asset not decommissioned."""
    from provisioner.allocate import find_allocation

    with register.session() as session:
        earlier = session.scalars(select(RequestRecord).where(
            RequestRecord.agency_code == spec.agency.code, RequestRecord.hostname == spec.server.hostname,
            RequestRecord.letter_number == spec.letter.number,
        ).order_by(RequestRecord.id)).all()
        return [
            record.id for record in earlier
            if find_allocation(session, facility, record.id) is not None
            or session.scalar(select(AssetRecord.id).where(AssetRecord.request_id == record.id,
                                                           AssetRecord.decommissioned_at.is_(None)))
        ]


def clear_earlier(register: Register, site_dir: Path, output_dir: Path, actor: str,
                  say: Callable[[str], None]) -> None:
    """Decommission the earlier example requests still active; lab-srv1 back as delivered."""
    from provisioner.lab.api import Lab
    from provisioner.steps import decommission

    spec, _text = load_request(EXAMPLE_REQUEST)
    for request_id in still_active(register, load_facility(site_dir), spec):
        say(f"an earlier demo request, {request_id}, is still active: decommissioning it first")
        decommission.run(register, request_id, site_dir, output_dir, actor=actor)
    Lab().reset_host(LAB_HOST)
    say(f"lab: {LAB_HOST} put back as delivered (staging VLAN, staging address only)")


def run_demo(
    register: Register,
    site_dir: Path,
    output_dir: Path,
    *,
    actor: str,
    step6_progress: Callable[[], AbstractContextManager[Processor]],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Steps 1 to 7 for the example request on the lab; where the documents are. `step6_progress` opens the
    display of step 6's stages, closed before step 7 says anything."""
    from provisioner.allocate import run_capacity_step
    from provisioner.lab.api import Lab
    from provisioner.stages.report import run_report

    staging, serial = lab_ready(say)
    clear_earlier(register, site_dir, output_dir, actor, say)
    facility = load_facility(site_dir)
    site = facility.site.letterhead()
    spec, text = load_request(EXAMPLE_REQUEST)
    request_id = submit_request(register, spec.model_dump(mode="json"), text, actor=spec.agency.contact.name)
    say(f"step 1: {request_id} submitted ({spec.letter.number})")
    perform_step(register, request_id, Step.DISPOSE, HEAD_OF_DIVISION, {"to": SECTION_HEAD},
                 prepare=step_documents(site, output_dir, "disposition"))
    say("step 2: disposition recorded")
    capacity = run_capacity_step(register, facility, request_id, actor,
                                 step_documents(site, output_dir, "capacity_report"))
    placement = capacity.event.details["report"]["placement"]
    if capacity.event.outcome != Outcome.OK or placement is None:
        reasons = capacity.event.details.get("reasons", [])
        raise NoCapacity(f"{request_id}: the lab has no capacity left", reasons)
    say(f"step 3: capacity sufficient, held {placement['rack']} {placement['port']}")
    perform_step(register, request_id, Step.APPLY, spec.agency.contact.name,
                 {"serial": serial, "staging_address": staging},
                 prepare=step_documents(site, output_dir, "application_form"))
    say(f"step 4: {LAB_HOST} delivered, serial {serial}, staging address {staging}")
    perform_step(register, request_id, Step.APPROVE, HEAD_OF_DIVISION, {},
                 prepare=step_documents(site, output_dir, "approval_form"))
    say("step 5: approved")
    port = str(placement["port"])
    Lab().cable(LAB_HOST, port)
    say(f"lab: {LAB_HOST} cabled to {port}")
    with step6_progress() as progress:
        provision.run(register, request_id, site_dir, output_dir, actor=actor, confirm=lambda _sheet: True,
                      processors=[progress])
    report = run_report(register, request_id, site_dir, output_dir, actor=actor)
    say(f"step 7: final report, mail {report['mail']['eml']}")
    folder = output_dir.resolve() / request_id
    return {
        "id": request_id,
        "register": register.engine.url.render_as_string(hide_password=True),
        "documents_dir": str(folder),
        "documents": sorted(str(p) for p in folder.iterdir() if p.suffix in (".pdf", ".eml", ".txt")),
    }
