"""Step 7: the final report to the agency with the access check's evidence, and its mail.

The mail (to the agency contact, cc the head of division, the final report and the handover minutes
attached) is always written as <output>/<REQ-ID>/final_report.eml and sent over SMTP when $COLO_SMTP_HOST
names a server ($COLO_SMTP_PORT, default 25). Sender and head-of-division addresses: $COLO_MAIL_FROM and
$COLO_HEAD_OF_DIVISION_EMAIL, else noc@ and persandian@ the site's domain.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from provisioner.documents import StagedDocuments, stage_documents
from provisioner.facility import load_facility
from provisioner.mail import Person, ReportMail, SmtpSettings, build_report_message, deliver_report
from provisioner.register.db import Register
from provisioner.register.models import AssetRecord, EventRecord, RequestRecord
from provisioner.steps.result import StepResult
from provisioner.workflow import Outcome, Step, completions, get_request, perform_step

KIND = "final_report"


def evidence_of(record: RequestRecord) -> dict[str, Any]:
    """The latest passing access check of step 6."""
    passed = [
        e for e in record.events
        if e.step == Step.PROVISION and e.stage == "access_check" and e.outcome == Outcome.OK
    ]
    return dict(passed[-1].details.get("access_check", {})) if passed else {}


def smtp_settings() -> SmtpSettings | None:
    host = os.environ.get("COLO_SMTP_HOST")
    return SmtpSettings(host, int(os.environ.get("COLO_SMTP_PORT", "25"))) if host else None


def report_mail(record: RequestRecord, asset: AssetRecord, domain: str, actor: str) -> ReportMail:
    spec = record.spec()
    head = completions(record)[Step.APPROVE].actor
    head_email = os.environ.get("COLO_HEAD_OF_DIVISION_EMAIL") or f"persandian@{domain}"
    return ReportMail(
        request_id=record.id,
        letter_number=spec.letter.number,
        agency_name=spec.agency.name,
        recipient=Person(spec.agency.contact.name, spec.agency.contact.email),
        head_of_division=Person(head, head_email),
        sender=Person(actor, os.environ.get("COLO_MAIL_FROM") or f"noc@{domain}"),
        hostname=spec.server.hostname,
        address=asset.address or "",
        applications=tuple(
            f"{a.name}: {a.scheme}://{a.subdomain + '.' + domain if a.subdomain else asset.address}:{a.port}"
            for a in spec.applications
        ),
    )


class MailSent(BaseModel):
    """The final report's mail: where its .eml is, whether it was sent over SMTP, and to whom."""

    model_config = ConfigDict(frozen=True)

    eml: str
    sent: bool | None
    """None: the step was done before; this run wrote and sent nothing."""
    recipients: tuple[str, ...] | None = None


class Reported(StepResult):
    """Step 7's result: the step, the final report among its documents, and its mail."""

    mail: MailSent


def run(register: Register, request_id: str, site_dir: Path, output_dir: Path, *, by: str) -> Reported:
    """Step 7 by ``by`` (a technician): the final report (with the evidence) and its mail; a repeat reports
    the earlier result."""
    facility = load_facility(site_dir)
    site_fields = facility.letterhead()
    actor = facility.organisation.actor(Step.REPORT, by)
    mail: list[MailSent] = []

    def prepare(record: RequestRecord, event: EventRecord) -> StagedDocuments:
        """The final report, and its mail sent, before step 7 is recorded (a failure records nothing)."""
        with register.session() as session:
            asset = session.scalars(select(AssetRecord).where(AssetRecord.request_id == record.id)).one()
            documents = get_request(session, record.id).documents
            handover = [Path(d.pdf_path) for d in documents if d.kind == "handover_minutes"][-1:]
        extra = {"evidence": evidence_of(record), "asset": {**asset.details, "address": asset.address}}
        staged = stage_documents(record, event, site_fields, output_dir, [(KIND, extra)], register=register)
        try:
            letter = report_mail(record, asset, site_fields["domain"], actor)
            message = build_report_message(letter, [staged.staged(KIND, "pdf"), *handover])
            result = deliver_report(message, output_dir / record.id / f"{KIND}.eml", smtp_settings())
        except BaseException:
            staged.discard()
            raise
        mail.append(MailSent(eml=str(result.eml_path), sent=result.sent, recipients=result.recipients))
        return staged

    run = perform_step(register, request_id, Step.REPORT, actor, prepare=prepare)
    earlier = MailSent(eml=str(output_dir / run.event.request_id / f"{KIND}.eml"), sent=None)
    return Reported.of(run, mail=mail[-1] if mail else earlier)
