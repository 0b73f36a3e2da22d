"""Stage 6, access check: what a user outside the server's VLAN reaches, recorded as evidence."""

from __future__ import annotations

from typing import Any

from provisioner.checks import CheckPolicy, access_target_for, run_access_check
from provisioner.errors import AccessCheckFailed
from provisioner.stages.base import StageContext, StageFailedError, StagePreview, StageResult
from provisioner.stages.plan import Placement


class AccessChecked(StageResult):
    """The access check's report as the checks module writes it (step 7 quotes it as evidence)."""

    access_check: dict[str, Any]


class AccessCheckStage:
    name = "access_check"
    title = "uji akses (access check)"
    result_type = AccessChecked

    def run(self, ctx: StageContext) -> AccessChecked:
        target = access_target_for(ctx.request, str(ctx.result(Placement).address), ctx.facility)
        # Where the DNS stage made the names, a name that does not resolve to the server fails the check.
        policy = CheckPolicy(require_dns=ctx.facility.dns.update is not None)
        report = run_access_check(target, policy)
        evidence = AccessChecked(access_check=report.model_dump(mode="json"))
        try:
            report.raise_if_failed()
        except AccessCheckFailed as exc:
            raise StageFailedError(exc, evidence) from None
        return evidence

    def preview(self, ctx: StageContext) -> StagePreview:
        req = ctx.request
        ports = ", ".join(f"{p.port}/{p.protocol}" for p in req.network.ports)
        apps = ", ".join(f"{a.name} ({a.scheme}:{a.port})" for a in req.applications) or "none"
        address = ctx.result(Placement).address
        return StagePreview(f"from the NOC, {address}: ping, the ports {ports}, the applications {apps}",
                            changes=False)
