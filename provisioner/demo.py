"""`colo demo`: the whole SOP on the lab for the example request, with the lab site's people.

The lab comes up if it is not running; its credentials file becomes $COLO_CREDENTIALS_FILE when that is
unset. The example request's server is lab-srv1. The demo can run again and again: an earlier example request
in the register that still holds capacity or an asset is decommissioned first, and lab-srv1 is put back as
delivered (staging VLAN and address). After step 3 its cable is moved to the port the request holds (the
technician's hands), so step 6 runs with --yes. The steps are done by the site's head of division, section
head and technician (--by, where it names a technician of the site); a site that lists no people has its
titles stand for them and --by for its technician.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from provisioner.errors import NoCapacity
from provisioner.facility import Facility, load_facility
from provisioner.organisation import Organisation, Role
from provisioner.register.db import Register
from provisioner.register.models import AssetRecord, RequestRecord
from provisioner.request import ColoRequest, load_request
from provisioner.stages.engine import Processor
from provisioner.steps import provision
from provisioner.workflow import Outcome

EXAMPLE_REQUEST = Path(__file__).resolve().parent.parent / "examples" / "request-simpeg.yaml"
LAB_HOST = "lab-srv1"


@dataclass(frozen=True)
class Actors:
    """Who does the demo's steps."""

    head_of_division: str
    section_head: str
    technician: str


def actors(organisation: Organisation, by: str) -> Actors:
    """The site's first person of each role (the technician ``by`` names, if a technician of the site); a
    site without people: its titles, and ``by`` as the technician."""

    def first(role: Role) -> str:
        return next((p.name for p in organisation.people if role in p.roles), organisation.title(role))

    named = organisation.person(by)
    technician = named.name if named and Role.TECHNICIAN in named.roles else first(Role.TECHNICIAN)
    return Actors(first(Role.HEAD_OF_DIVISION), first(Role.SECTION_HEAD),
                  technician if organisation.checks_roles else by)


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
    from provisioner.lab.api import Lab
    from provisioner.steps import apply, approve, capacity, dispose, report, submit

    staging, serial = lab_ready(say)
    facility = load_facility(site_dir)
    people = actors(facility.organisation, actor)
    clear_earlier(register, site_dir, output_dir, people.technician, say)
    site = facility.letterhead()

    spec, text = load_request(EXAMPLE_REQUEST)
    request_id = submit.run(register, spec, text).request_id
    say(f"step 1: {request_id} submitted ({spec.letter.number})")
    dispose.run(register, request_id, by=people.head_of_division, to=people.section_head, site=site,
                output_dir=output_dir)
    say("step 2: disposition recorded")
    checked = capacity.run(register, facility, request_id, by=people.technician, output_dir=output_dir)
    placement = checked.report.placement
    if checked.outcome != Outcome.OK or placement is None:
        raise NoCapacity(f"{request_id}: the lab has no capacity left", list(checked.report.shortages))
    say(f"step 3: capacity sufficient, held {placement.rack} {placement.port}")
    delivered = apply.Delivery.of(serial, staging)
    apply.run(register, request_id, delivered, by=None, site=site, output_dir=output_dir)
    say(f"step 4: {LAB_HOST} delivered, serial {serial}, staging address {staging}")
    approve.run(register, request_id, by=people.head_of_division, site=site, output_dir=output_dir)
    say("step 5: approved")
    port = placement.port
    Lab().cable(LAB_HOST, port)
    say(f"lab: {LAB_HOST} cabled to {port}")
    with step6_progress() as progress:
        provision.run(register, request_id, site_dir, output_dir, actor=people.technician,
                      confirm=lambda _sheet: True, processors=[progress])
    reported = report.run(register, request_id, site_dir, output_dir, by=people.technician)
    say(f"step 7: final report, mail {reported.mail.eml}")
    folder = output_dir.resolve() / request_id
    return {
        "id": request_id,
        "register": register.engine.url.render_as_string(hide_password=True),
        "documents_dir": str(folder),
        "documents": sorted(str(p) for p in folder.iterdir() if p.suffix in (".pdf", ".eml", ".txt")),
    }
