"""Stage 6, access check: what a user outside the server's VLAN reaches, recorded as evidence."""

from __future__ import annotations

from provisioner.checks import access_target_for, run_access_check
from provisioner.errors import AccessCheckFailed
from provisioner.stages.base import Details, StageContext, StageFailedError


class AccessCheckStage:
    name = "access_check"
    title = "uji akses (access check)"

    def run(self, ctx: StageContext) -> Details:
        target = access_target_for(ctx.request, str(ctx.results["plan"]["address"]), ctx.facility)
        report = run_access_check(target)
        evidence: Details = {"access_check": report.model_dump(mode="json")}
        try:
            report.raise_if_failed()
        except AccessCheckFailed as exc:
            raise StageFailedError(exc, evidence) from None
        return evidence
