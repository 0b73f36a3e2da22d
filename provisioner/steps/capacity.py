"""Step 3: check every resource for the request; hold what fits, or close the request as rejected.

The check and the hold are one short transaction under the site's lock; the report document is then rendered
with no lock held, and the step recorded with it, provided the request still holds what its report says
(another check of the same request may have replaced the hold meanwhile). A report that fails to render frees
the hold again. The report is the completion event's ``details["report"]`` (with ``details["reasons"]`` when
rejected), read back as :class:`provisioner.capacity.CapacityReport`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from provisioner.allocate import check_and_hold, demand_of, drop_hold, held_at, in_locked_transaction
from provisioner.capacity import CapacityReport, Remark
from provisioner.dns import open_backend
from provisioner.documents import step_documents
from provisioner.errors import BadInput, Refused
from provisioner.facility import Facility
from provisioner.register.db import Register
from provisioner.register.models import DocumentRecord, EventRecord, RequestRecord
from provisioner.steps.result import StepResult
from provisioner.workflow import Decision, Due, Outcome, Step, get_request, perform_step, step_result


class CapacityChecked(StepResult):
    """Step 3's result: the step and its capacity report."""

    report: CapacityReport


def names_in_zone(facility: Facility, subdomains: tuple[str, ...]) -> dict[str, Remark]:
    """The subdomains the site's DNS zone already holds, asked live (none without `dns.update`)."""
    if facility.dns.update is None or facility.dns.zone is None or not subdomains:
        return {}
    backend, found = open_backend(facility), {}
    for label in subdomains:
        name = backend.lookup(f"{label}.{facility.dns.zone}")
        if name.exists:
            found[label] = Remark("name_in_zone", {"values": ", ".join(name.values) or "other records"})
    return found


def run(
    register: Register, facility: Facility, request_id: str, *, by: str, output_dir: Path | None = None,
    rack: str | None = None,
) -> CapacityChecked:
    """Step 3 by ``by`` (a technician), its report written under ``output_dir`` (None: no document), holding
    space in ``rack`` (None: the allocator chooses); a repeat reports the earlier result, unchanged. Rejected
    when the report is not sufficient (the result says so)."""
    site = facility.site.code
    if rack is not None:
        known_rack(facility, rack)
    actor = facility.organisation.actor(Step.CAPACITY, by)

    def decide(session: Session, record: RequestRecord) -> Decision:
        in_zone = names_in_zone(facility, demand_of(record).subdomains)
        report = check_and_hold(session, facility, record, rack, in_zone)
        if not report.sufficient:
            return Decision({"report": report.model_dump(mode="json"), "reasons": report.shortages},
                            Outcome.REJECTED)
        return Decision({"report": report.model_dump(mode="json")})

    def within_site_lock(work: Callable[[Session], Due]) -> Due:
        return in_locked_transaction(register, site, work)

    def drop_unrecorded_hold(record: RequestRecord) -> None:
        def work(session: Session) -> None:
            if step_result(get_request(session, record.id), Step.CAPACITY) is None:
                drop_hold(session, facility, record.id)

        in_locked_transaction(register, site, work)

    letterhead = facility.letterhead()
    prepare = (step_documents(letterhead, output_dir, "capacity_report", register=register) if output_dir
               else None)
    run = perform_step(register, request_id, Step.CAPACITY, actor, decide=decide, within=within_site_lock,
                       undo=drop_unrecorded_hold, prepare=prepare, after=still_held)
    return CapacityChecked.of(run, report=CapacityReport.model_validate(run.event.details["report"]))


def known_rack(facility: Facility, rack: str) -> None:
    """Refuse (exit 2) a rack the facility file does not name."""
    names = [r.name for r in facility.racks]
    if rack not in names:
        raise BadInput(f"--rack: {rack!r} is not a rack of site {facility.site.code}; nothing was changed",
                       [f"its racks: {', '.join(names)}"])


def still_held(session: Session, record: RequestRecord, event: EventRecord) -> list[DocumentRecord]:
    """Refuse to record step 3 unless the request still holds what its report says."""
    placement = CapacityReport.model_validate(event.details["report"]).placement
    if placement is None:
        return []
    expected = (placement.rack, placement.switch, placement.port, str(placement.address))
    if held_at(session, record.id) != expected:
        raise Refused(f"{record.id}: another check of this request changed its hold; run it again")
    return []
