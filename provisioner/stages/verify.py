"""Stage 2, verify: the server's facts over its staging address against the request; nothing else runs on a
mismatch."""

from __future__ import annotations

from provisioner.errors import SpecMismatch
from provisioner.runner import gather_server_facts
from provisioner.spec import ServerFacts, SpecFinding, compare_spec, ensure_spec
from provisioner.stages.base import StageContext, StageFailedError, StagePreview, StageResult


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
        server = ctx.server
        facts = gather_server_facts(server.target(address), server.run_dir, known_hosts=server.known_hosts)
        findings = compare_spec(ctx.request.server, facts, ctx.delivered.serial)
        verified = Verified(address=address, checks=tuple(findings), facts=facts)
        try:
            ensure_spec(findings)
        except SpecMismatch as exc:
            raise StageFailedError(exc, verified) from None
        return verified

    def preview(self, ctx: StageContext) -> StagePreview:
        wanted = ctx.request.server
        return StagePreview(
            f"the server's facts over {ctx.delivered.staging_address} against the request: serial "
            f"{ctx.delivered.serial}, {wanted.cpu_cores} cores, {wanted.memory_gb} GB memory, "
            f"{wanted.disk_gb} GB disk, {wanted.os.family} {wanted.os.version}",
            changes=False,
        )
