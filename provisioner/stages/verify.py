"""Stage 2, verify: the server's facts over its staging address against the request; nothing else runs on a
mismatch."""

from __future__ import annotations

from provisioner.errors import SpecMismatch
from provisioner.runner import gather_server_facts
from provisioner.spec import ServerFacts, SpecFinding, compare_spec, ensure_spec
from provisioner.stages.base import StageContext, StageFailedError, StageResult
from provisioner.stages.servers import known_hosts, run_dir, server_target


class Verified(StageResult):
    """The server's facts over its staging address and each field of the request checked against them."""

    address: str
    checks: tuple[SpecFinding, ...]
    facts: ServerFacts


class VerifyStage:
    name = "verify"
    title = "verifikasi spesifikasi (verify)"
    result_type = Verified

    def run(self, ctx: StageContext) -> Verified:
        address = ctx.delivered.staging_address
        facts = gather_server_facts(
            server_target(ctx, address), run_dir(ctx), known_hosts=known_hosts(ctx)
        )
        findings = compare_spec(ctx.request.server, facts, ctx.delivered.serial)
        verified = Verified(address=address, checks=tuple(findings), facts=facts)
        try:
            ensure_spec(findings)
        except SpecMismatch as exc:
            raise StageFailedError(exc, verified) from None
        return verified
